"""`memstrata bench scenarios`: write-side quality on scripted conversations.

Seeded templates produce conversations about moves, job changes, break-ups,
birthdays, accumulating preferences, corrections, repeated statements in
near-duplicate phrasings and third-person facts, with chit-chat between the
turns. Each scenario states what must hold afterwards: which facts are
current, which were closed (and when) and which were retracted. Reported:
contradiction-handling accuracy, duplicate rates of entities and notes, and
facts lost (a fact no longer traceable to a stored episode), which must be 0.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.report import markdown_table, write_json
from memstrata.memory import Memory
from memstrata.resolve.entities import normalise
from memstrata.resolve.notes import note_key
from memstrata.testing import HashEmbedder

NAMES = [
    "Maya",
    "Leo",
    "Ana",
    "Tom",
    "Priya",
    "Jonas",
    "Chen",
    "Sofia",
    "Omar",
    "Elena",
    "Kofi",
    "Ines",
    "Ravi",
    "Greta",
    "Mateo",
    "Yuki",
]
CITIES = [
    "Lyon",
    "Paris",
    "Berlin",
    "Rome",
    "Lisbon",
    "Madrid",
    "Vienna",
    "Prague",
    "Dublin",
    "Oslo",
    "Kyoto",
    "Toronto",
    "Boston",
    "Seattle",
    "Melbourne",
    "Nairobi",
]
COMPANIES = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Labs",
    "Stark Industries",
    "Hooli",
    "Boulangerie Martin",
    "Blue Harbor Clinic",
    "Northwind Traders",
    "Vandelay Imports",
]
LIKES = [
    "hiking",
    "jazz",
    "green tea",
    "board games",
    "pottery",
    "sushi",
    "cycling",
    "poetry",
    "gardening",
    "salsa dancing",
]
CHATTER = [
    "Haha, that's so true.",
    "How was your weekend?",
    "Thanks for asking!",
    "Sounds good to me.",
    "What do you think about that?",
    "Oh wow, really?",
    "Let's talk later, I have to run.",
    "That reminds me of something funny.",
]


@dataclass
class Scenario:
    name: str
    speaker: str
    turns: list[tuple[str, datetime]] = field(default_factory=list)
    current: list[tuple[str, str, str]] = field(default_factory=list)
    closed: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    retracted: list[tuple[str, str, str]] = field(default_factory=list)
    dated: list[tuple[str, str, str, datetime]] = field(default_factory=list)


def _timeline(rng: random.Random) -> Callable[[], datetime]:
    clock = [datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 60))]

    def tick() -> datetime:
        clock[0] += timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 12))
        return clock[0]

    return tick


def _day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _say(s: Scenario, rng: random.Random, tick: Callable[[], datetime], text: str) -> datetime:
    when = tick()
    if rng.random() < 0.6:
        s.turns.append((rng.choice(CHATTER), when - timedelta(minutes=5)))
    s.turns.append((text, when))
    return when


def move(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    a, b, c = rng.sample(CITIES, 3)
    _say(s, rng, tick, rng.choice([f"I live in {a}.", f"I'm living in {a} these days."]))
    t2 = _say(
        s, rng, tick, rng.choice([f"I moved to {b}!", f"I just moved to {b}, boxes everywhere."])
    )
    if rng.random() < 0.5:
        t3 = _say(s, rng, tick, f"Big news: I relocated to {c} for good.")
        s.closed += [(s.speaker, "lives_in", a, t2), (s.speaker, "lives_in", b, t3)]
        s.current.append((s.speaker, "lives_in", c))
    else:
        s.closed.append((s.speaker, "lives_in", a, t2))
        s.current.append((s.speaker, "lives_in", b))


def job(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    a, b = rng.sample(COMPANIES, 2)
    _say(s, rng, tick, f"I work at {a}, it's fine.")
    monday = rng.random() < 0.5
    text = f"I started a new job at {b} on Monday." if monday else f"I accepted a position at {b}!"
    t2 = _say(s, rng, tick, text)
    began = _day(t2) - timedelta(days=t2.weekday()) if monday else t2
    s.closed.append((s.speaker, "works_at", a, began))
    s.current.append((s.speaker, "works_at", b))


def breakup(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    partner = rng.choice([n for n in NAMES if n != s.speaker])
    _say(s, rng, tick, f"I'm dating {partner}, we met at a concert.")
    last_night = rng.random() < 0.5
    text = f"I broke up with {partner} last night." if last_night else "We broke up, I'm sad."
    t2 = _say(s, rng, tick, text)
    ended = _day(t2) - timedelta(days=1) if last_night else t2
    s.closed.append((s.speaker, "dating", partner, ended))
    s.current.append((s.speaker, "relationship_status", "single"))


def birthday(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    age = rng.randint(22, 60)
    _say(s, rng, tick, f"I'm {age} years old.")
    t2 = _say(s, rng, tick, f"I just turned {age + 1} today!")
    s.closed.append((s.speaker, "age", str(age), _day(t2)))
    s.current.append((s.speaker, "age", str(age + 1)))


def preferences(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    first, second = rng.sample(LIKES, 2)
    _say(s, rng, tick, f"I love {first}.")
    _say(s, rng, tick, f"I really love {first}, honestly.")
    _say(s, rng, tick, f"I also enjoy {second}.")
    s.current += [(s.speaker, "likes", first), (s.speaker, "likes", second)]


def correction(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    a, b = rng.sample(CITIES, 2)
    _say(s, rng, tick, f"I live in {a}.")
    _say(
        s,
        rng,
        tick,
        rng.choice([f"Actually, I live in {b}, not {a}.", f"Sorry, I misspoke: I live in {b}."]),
    )
    s.retracted.append((s.speaker, "lives_in", a))
    s.current.append((s.speaker, "lives_in", b))


def repeats(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    food = rng.choice(["peanuts", "shellfish", "gluten", "cats", "pollen"])
    for text in (
        f"I'm allergic to {food}.",
        f"I am allergic to {food}!",
        f"Just so you know, I'm allergic to {food}.",
    ):
        _say(s, rng, tick, text)
    s.current.append((s.speaker, "allergic_to", food))


def relative(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    sibling = rng.choice([n for n in NAMES if n != s.speaker])
    a, b = rng.sample(CITIES, 2)
    _say(s, rng, tick, f"My sister {sibling} is coming over.")
    t2 = _say(s, rng, tick, f"{sibling} lives in {a}.")
    t3 = _say(s, rng, tick, f"{sibling} moved to {b} last week.")
    s.current += [(s.speaker, "has_sister", sibling), (sibling, "lives_in", b)]
    last_week = _day(t3) - timedelta(days=t3.weekday() + 7)
    # news when told: the move came after the stay in the first city was last mentioned
    s.closed.append((sibling, "lives_in", a, max(last_week, t2)))


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def redate(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    city = rng.choice(CITIES)
    said, meant = rng.sample(range(7), 2)
    when = _say(s, rng, tick, f"I went to {city} on {WEEKDAYS[said]}.")
    s.turns.append(
        (f"Actually it was {WEEKDAYS[meant]}, not {WEEKDAYS[said]}.", when + timedelta(minutes=3))
    )
    s.retracted.append((s.speaker, "visited", city))
    s.current.append((s.speaker, "visited", city))
    s.dated.append(
        (s.speaker, "visited", city, _day(when) - timedelta(days=(when.weekday() - meant) % 7))
    )


def recast(rng: random.Random, s: Scenario, tick: Callable[[], datetime]) -> None:
    wrong, right = rng.sample([n for n in NAMES if n != s.speaker], 2)
    when = _say(s, rng, tick, f"I met {wrong} at the market yesterday.")
    fix = rng.choice([f"Sorry, I meant {right}, not {wrong}.", f"Actually it was {right}."])
    s.turns.append((fix, when + timedelta(minutes=3)))
    s.retracted.append((s.speaker, "met", wrong))
    s.current.append((s.speaker, "met", right))


FAMILIES = [
    move,
    job,
    breakup,
    birthday,
    preferences,
    correction,
    repeats,
    relative,
    redate,
    recast,
]
# What each storyline says about the speaker: a second storyline in the same
# conversation must not touch the first one's predicates.
TOUCHES = {
    move: {"lives_in"},
    job: {"works_at"},
    breakup: {"dating", "relationship_status"},
    birthday: {"age"},
    preferences: {"likes"},
    correction: {"lives_in"},
    repeats: {"allergic_to"},
    relative: {"has_sister"},
    redate: {"visited"},
    recast: {"met"},
}


def scenarios(count: int = 64, seed: int = 5) -> list[Scenario]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        speaker = NAMES[i % len(NAMES)]
        family = FAMILIES[i % len(FAMILIES)]
        s = Scenario(f"{family.__name__}-{i}", speaker)
        tick = _timeline(rng)
        family(rng, s, tick)
        if rng.random() < 0.5:  # a second storyline in the same conversation
            other = rng.choice([f for f in FAMILIES if not TOUCHES[f] & TOUCHES[family]])
            other(rng, s, tick)
        out.append(s)
    return out


def _check(memory: Memory, s: Scenario, namespace: str) -> tuple[int, int, list[str]]:
    ok, total, failures = 0, 0, []
    facts = memory.facts(namespace=namespace)

    def find(subject: str, predicate: str, obj: str) -> list[Any]:
        return [
            f
            for f in facts
            if normalise(f.subject) == normalise(subject)
            and f.predicate == predicate
            and normalise(f.object) == normalise(obj)
        ]

    for subject, predicate, obj in s.current:
        total += 1
        live = [
            f
            for f in find(subject, predicate, obj)
            if f.invalid_at is None and f.expired_at is None
        ]
        if len(live) == 1:
            ok += 1
        else:
            failures.append(f"{s.name}: expected current {subject} {predicate} {obj}")
    for subject, predicate, obj, at in s.closed:
        total += 1
        closed = [f for f in find(subject, predicate, obj) if f.invalid_at is not None]
        if len(closed) == 1 and closed[0].invalid_at == at:
            ok += 1
        else:
            failures.append(
                f"{s.name}: expected {subject} {predicate} {obj} closed at {at:%Y-%m-%d}"
            )
    for subject, predicate, obj, at in s.dated:
        total += 1
        live = [f for f in find(subject, predicate, obj) if f.expired_at is None]
        if len(live) == 1 and live[0].valid_at == at:
            ok += 1
        else:
            failures.append(f"{s.name}: expected {subject} {predicate} {obj} on {at:%Y-%m-%d}")
    for subject, predicate, obj in s.retracted:
        total += 1
        if [f for f in find(subject, predicate, obj) if f.expired_at is not None]:
            ok += 1
        else:
            failures.append(f"{s.name}: expected {subject} {predicate} {obj} retracted")
    return ok, total, failures


def _duplicates(memory: Memory, namespace: str) -> tuple[int, int, int, int]:
    entities = memory.entities(namespace=namespace)
    names = [normalise(e.name) for e in entities]
    notes = memory.notes(namespace=namespace, limit=1000)
    keys = [(note_key(n.text), n.speaker) for n in notes]
    return (len(names) - len(set(names)), len(names), len(keys) - len(set(keys)), len(keys))


def _lost(memory: Memory, namespace: str) -> int:
    lost = 0
    for fact in memory.facts(namespace=namespace):
        if not fact.episode_ids or len(
            memory.store.episodes.get(namespace, list(fact.episode_ids))
        ) != len(fact.episode_ids):
            lost += 1
    return lost


def run_scenarios(out_dir: Path, count: int, console: Console) -> dict[str, Any]:
    ok = total = dup_entities = n_entities = dup_notes = n_notes = lost = turns = 0
    failures: list[str] = []
    start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Memory(Path(tmp) / "s.db", embedder=HashEmbedder()) as memory,
    ):
        for i, s in enumerate(scenarios(count)):
            namespace = f"scenario-{i}"
            for text, when in s.turns:
                memory.add(text, speaker=s.speaker, occurred_at=when, namespace=namespace)
                turns += 1
            good, checks, missed = _check(memory, s, namespace)
            ok, total, failures = ok + good, total + checks, failures + missed
            d_e, e, d_n, n = _duplicates(memory, namespace)
            dup_entities, n_entities, dup_notes, n_notes = (
                dup_entities + d_e,
                n_entities + e,
                dup_notes + d_n,
                n_notes + n,
            )
            lost += _lost(memory, namespace)
    result = {
        "scenarios": count,
        "turns": turns,
        "seconds": time.perf_counter() - start,
        "contradiction_accuracy": ok / total,
        "checks": total,
        "entity_duplicate_rate": dup_entities / max(n_entities, 1),
        "entities": n_entities,
        "note_duplicate_rate": dup_notes / max(n_notes, 1),
        "notes": n_notes,
        "facts_lost": lost,
        "failures": failures,
    }
    write_json(out_dir / "scenarios.json", result)
    table = markdown_table(
        [
            "scenarios",
            "turns",
            "checks",
            "contradiction accuracy %",
            "entity dup %",
            "note dup %",
            "facts lost",
        ],
        [
            [
                count,
                turns,
                total,
                100 * ok / total,
                100 * dup_entities / max(n_entities, 1),
                100 * dup_notes / max(n_notes, 1),
                lost,
            ]
        ],
    )
    (out_dir / "scenarios.md").write_text(table + "\n", encoding="utf-8")
    console.print(table)
    for failure in failures[:20]:
        console.print(f"  missed: {failure}", markup=False)
    return result
