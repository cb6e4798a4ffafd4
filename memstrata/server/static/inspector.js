// The memstrata inspector: a namespace's timeline, knowledge graph and search,
// read through the REST API with the key the user types (kept in this tab's
// sessionStorage only). Every value from the API is rendered as text.
"use strict";

const PAGE = 100;
const state = { key: "", ns: "", eventsOffset: 0, generation: 0 };

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  return node;
}

function day(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : ""; }

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(path, options) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": "Bearer " + state.key, "Content-Type": "application/json" },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && body.error ? body.error.code + ": " + body.error.message : response.status;
    throw new Error(String(detail));
  }
  return body;
}

function nsPath(rest) { return "/v1/namespaces/" + encodeURIComponent(state.ns) + rest; }

async function connect() {
  state.key = $("key").value.trim();
  sessionStorage.setItem("memstrata-key", state.key);
  try {
    const names = (await api("/v1/namespaces?limit=1000")).items;
    const select = $("namespace");
    select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    status(names.length + " namespace(s)");
    if (names.length) { select.value = names[0]; await openNamespace(names[0]); }
  } catch (error) { status(error.message, true); }
}

async function openNamespace(ns) {
  state.ns = ns;
  state.eventsOffset = 0;
  state.generation += 1; // answers to an earlier opening are dropped
  $("events").replaceChildren();
  $("hits").replaceChildren();
  $("entity").replaceChildren();
  await Promise.all([loadEvents(), loadGraph()]).catch((error) => status(error.message, true));
}

// -- timeline ------------------------------------------------------------------

async function loadEvents() {
  const generation = state.generation;
  const page = await api(nsPath("/events?limit=" + PAGE + "&offset=" + state.eventsOffset));
  if (generation !== state.generation) return;
  for (const event of page.items) {
    const item = el("li", {},
      el("span", { class: "meta" }, day(event.started_at) + " - " + day(event.ended_at)),
      el("span", { class: "meta" }, event.session_id || "no session"),
      event.title, " ",
      el("span", { class: "meta" }, event.episode_ids.length + " episodes"));
    const open = el("button", { type: "button" }, "open");
    open.addEventListener("click", () => showEpisodes(item, event.episode_ids, open));
    item.append(" ", open);
    $("events").append(item);
  }
  state.eventsOffset = page.next_offset || 0;
  $("more-events").hidden = page.next_offset === null;
}

async function showEpisodes(item, ids, button) {
  button.disabled = true;
  for (const id of ids.slice(0, 50)) {
    const episode = await api(nsPath("/episodes/" + encodeURIComponent(id)));
    item.append(el("div", { class: "episode" },
      el("span", { class: "meta" }, day(episode.occurred_at)),
      el("strong", {}, (episode.speaker || "?") + ": "), episode.content));
  }
}

// -- graph ---------------------------------------------------------------------

// A few hundred iterations of a spring layout: linked entities pull together,
// all push apart; positions are kept inside the canvas.
function layout(names, links, width, height) {
  const at = new Map(names.map((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(names.length, 1);
    return [n, { x: width / 2 + (width / 3) * Math.cos(angle), y: height / 2 + (height / 3) * Math.sin(angle) }];
  }));
  for (let step = 0; step < 300; step++) {
    const move = new Map(names.map((n) => [n, { x: 0, y: 0 }]));
    for (const a of names) for (const b of names) {
      if (a === b) continue;
      const p = at.get(a), q = at.get(b);
      const dx = p.x - q.x, dy = p.y - q.y, d2 = Math.max(dx * dx + dy * dy, 1);
      move.get(a).x += (800 * dx) / d2; move.get(a).y += (800 * dy) / d2;
    }
    for (const [a, b] of links) {
      const p = at.get(a), q = at.get(b);
      const dx = q.x - p.x, dy = q.y - p.y;
      move.get(a).x += 0.02 * dx; move.get(a).y += 0.02 * dy;
      move.get(b).x -= 0.02 * dx; move.get(b).y -= 0.02 * dy;
    }
    for (const n of names) {
      const p = at.get(n), m = move.get(n);
      p.x = Math.min(width - 20, Math.max(20, p.x + Math.max(-10, Math.min(10, m.x))));
      p.y = Math.min(height - 20, Math.max(20, p.y + Math.max(-10, Math.min(10, m.y))));
    }
  }
  return at;
}

// Labels are placed hubs first, each at the first of four spots beside its dot
// (right, left, above, below) that stays inside the canvas and clear of every
// label and dot placed so far; a label with no free spot is left out (its dot
// still names the entity on hover). Widths are estimated from the character
// count, since a hidden tab cannot measure text.
const LABEL = { chars: 24, charWidth: 6.2, height: 12, gap: 7 };

function shortName(name) {
  return name.length > LABEL.chars ? name.slice(0, LABEL.chars - 1) + "\u2026" : name;
}

function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function placeLabels(names, at, degree, width, height) {
  const order = [...names].sort((a, b) => (degree.get(b) || 0) - (degree.get(a) || 0));
  const taken = names.map((n) => ({ x: at.get(n).x - 5, y: at.get(n).y - 5, w: 10, h: 10, owner: n }));
  const placed = new Map();
  for (const name of order) {
    const p = at.get(name), w = shortName(name).length * LABEL.charWidth, h = LABEL.height;
    const spots = [
      { x: p.x + LABEL.gap, y: p.y - h / 2, anchor: "start" },
      { x: p.x - LABEL.gap - w, y: p.y - h / 2, anchor: "end" },
      { x: p.x - w / 2, y: p.y - LABEL.gap - h, anchor: "middle" },
      { x: p.x - w / 2, y: p.y + LABEL.gap, anchor: "middle" },
    ];
    for (const spot of spots) {
      const box = { x: spot.x, y: spot.y, w, h };
      const inside = box.x >= 0 && box.y >= 0 && box.x + w <= width && box.y + h <= height;
      if (!inside || taken.some((other) => other.owner !== name && overlaps(box, other))) continue;
      taken.push(box);
      const x = spot.anchor === "start" ? box.x : spot.anchor === "end" ? box.x + w : box.x + w / 2;
      placed.set(name, { x, y: box.y + h - 2, anchor: spot.anchor });
      break;
    }
  }
  return placed;
}

async function loadGraph() {
  const generation = state.generation;
  const [entities, facts] = await Promise.all([
    api(nsPath("/entities?limit=150")),
    api(nsPath("/facts?limit=500")),
  ]);
  if (generation !== state.generation) return;
  const names = entities.items.map((entity) => entity.name);
  const known = new Set(names);
  const edges = facts.items.filter((f) => known.has(f.subject) && known.has(f.object));
  const links = edges.map((f) => [f.subject, f.object]);
  const at = layout(names, links, 900, 600);
  const degree = new Map();
  for (const [a, b] of links) for (const n of [a, b]) degree.set(n, (degree.get(n) || 0) + 1);
  const labels = placeLabels(names, at, degree, 900, 600);
  const canvas = $("canvas");
  canvas.replaceChildren();
  for (const fact of edges) {
    const p = at.get(fact.subject), q = at.get(fact.object);
    const line = svg("line", { x1: p.x, y1: p.y, x2: q.x, y2: q.y, class: fact.invalid_at ? "closed" : "" });
    const title = svg("title", {});
    title.textContent = fact.statement;
    line.append(title);
    canvas.append(line);
  }
  for (const name of names) {
    const p = at.get(name);
    const dot = svg("circle", { cx: p.x, cy: p.y, r: 5 });
    const title = svg("title", {});
    title.textContent = name;
    dot.append(title);
    dot.addEventListener("click", () => showEntity(name));
    canvas.append(dot);
    const spot = labels.get(name);
    if (!spot) continue;
    const label = svg("text", { x: spot.x, y: spot.y, "text-anchor": spot.anchor });
    label.textContent = shortName(name);
    label.addEventListener("click", () => showEntity(name));
    canvas.append(label);
  }
}

async function showEntity(name) {
  const facts = (await api(nsPath("/entities/" + encodeURIComponent(name) + "/timeline?limit=1000"))).items;
  const list = el("ol", {}, ...facts.map((f) => el("li", { class: f.invalid_at ? "closed" : "" },
    el("span", { class: "meta" }, day(f.valid_at) + (f.invalid_at ? " - " + day(f.invalid_at) : "")),
    f.statement)));
  $("entity").replaceChildren(el("h3", {}, name), facts.length ? list : el("p", {}, "no facts"));
}

// -- search --------------------------------------------------------------------

async function search(submitted) {
  submitted.preventDefault();
  try {
    const hits = await api(nsPath("/search"), {
      method: "POST", body: JSON.stringify({ query: $("query").value, limit: 20 }),
    });
    $("hits").replaceChildren(...hits.map((hit) => el("li", {},
      el("span", { class: "meta" }, day(hit.occurred_at)),
      el("span", { class: "meta" }, hit.session_id || ""),
      el("strong", {}, (hit.speaker || "?") + ": "), hit.text, " ",
      el("span", { class: "meta" }, "score " + hit.score.toFixed(2) + " · " +
        Object.entries(hit.ranks).map(([r, n]) => r + " #" + n).join(", ")))));
    status(hits.length + " hit(s)");
  } catch (error) { status(error.message, true); }
}

function showTab(name) {
  for (const button of document.querySelectorAll("nav button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const tab of ["timeline", "graph", "search"]) $(tab).hidden = tab !== name;
}

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = sessionStorage.getItem("memstrata-key") || "";
  $("connect").addEventListener("click", connect);
  $("namespace").addEventListener("change", (change) => openNamespace(change.target.value));
  $("more-events").addEventListener("click", () => loadEvents().catch((failure) => status(failure.message, true)));
  $("search-form").addEventListener("submit", search);
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  if ($("key").value) connect();
});
