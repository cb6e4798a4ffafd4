"""Summaries of `memstrata bench qa`: accuracy per benchmark, context and
question type with a 95 % bootstrap interval, paired differences between
contexts, the tokens sent and the reader's latency; markdown and a plot of
accuracy against the context's token budget."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from memstrata.bench.metrics import percentile
from memstrata.bench.report import markdown_table

DRAWS = 2000
SEED = 0


def interval(values: Sequence[float], draws: int = DRAWS) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of the mean of ``values``, in percent."""
    if not values:
        return (float("nan"), float("nan"))
    data = np.asarray(values, dtype=float)
    picks = np.random.default_rng(SEED).integers(0, len(data), (draws, len(data)))
    means = data[picks].mean(axis=1) * 100
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _cell(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in rows if "error" not in r]
    correct = [float(r["correct"]) for r in judged]
    low, high = interval(correct)
    seconds = [float(r["reader_seconds"]) for r in judged if r.get("reader_seconds")]
    prompt = [float(r["prompt_tokens"]) for r in rows]
    return {
        "n": len(judged),
        "accuracy": 100 * sum(correct) / len(correct) if correct else float("nan"),
        "low": low,
        "high": high,
        "f1": 100 * sum(float(r["f1"]) for r in judged) / len(judged) if judged else float("nan"),
        "errors": len(rows) - len(judged),
        "off_format": sum(r["verdict"] == "off-format" for r in judged),
        "cut": sum(r.get("finish") == "length" for r in judged),
        "history_tokens": sum(float(r["history_tokens"]) for r in rows) / len(rows),
        "prompt_tokens": sum(prompt) / len(prompt),
        "prompt_tokens_max": max(prompt),
        "reader_p50_s": percentile(seconds, 50),
        "reader_p95_s": percentile(seconds, 95),
    }


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """benchmark -> context -> question type (and "all") -> figures, and the
    paired differences between contexts on the same questions."""
    grouped: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in records:
        for kind in (r["kind"], "all"):
            grouped[r["benchmark"]][r["context"]][kind].append(r)
    table = {
        bench: {ctx: {k: _cell(rows) for k, rows in kinds.items()} for ctx, kinds in per.items()}
        for bench, per in grouped.items()
    }
    return {"accuracy": table, "paired": paired(records)}


def paired(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """memstrata at each budget against each other context, on the questions both
    answered: the mean difference in points and its 95 % bootstrap interval."""
    by: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for r in records:
        if "error" not in r:
            by[(r["benchmark"], r["context"])][r["qid"]] = float(r["correct"])
    out = []
    for (bench, ctx), answers in sorted(by.items()):
        if not ctx.startswith("memstrata"):
            continue
        for (other_bench, other), theirs in sorted(by.items()):
            if other_bench != bench or other.startswith("memstrata"):
                continue
            if other.startswith("rrf") and other.split()[-1] != ctx.split()[-1]:
                continue  # against RRF at the same budget only
            common = sorted(set(answers) & set(theirs))
            diffs = [answers[q] - theirs[q] for q in common]
            low, high = interval(diffs)
            out.append(
                {
                    "benchmark": bench,
                    "context": ctx,
                    "against": other,
                    "n": len(common),
                    "difference": 100 * sum(diffs) / len(diffs) if diffs else float("nan"),
                    "low": low,
                    "high": high,
                }
            )
    return out


def _order(context: str) -> tuple[int, int]:
    rank = {"memstrata": 0, "rrf": 1, "full": 2, "no": 3}
    parts = context.split()
    budget = int(parts[-1]) if parts[-1].isdigit() else 0
    return rank.get(parts[0], 4), budget


def render(result: dict[str, Any]) -> str:
    head = (
        f"### Answer accuracy (reader {result['reader']}, judge {result['judge']}, "
        f"{result['embedder']}, budgets in {result['tokenizer']} tokens, "
        f"reader window {result['window']})\n"
    )
    parts = [head]
    for bench, per in result["summary"]["accuracy"].items():
        kinds = sorted({k for cells in per.values() for k in cells if k != "all"})
        contexts = sorted(per, key=_order)
        n = max(per[c]["all"]["n"] for c in contexts)
        parts.append(f"{bench}, {n} questions (model: {result['reader']})\n")
        rows = []
        for ctx in contexts:
            cell = per[ctx]["all"]
            rows.append(
                [ctx, f"{cell['accuracy']:.1f} [{cell['low']:.1f}, {cell['high']:.1f}]",
                 cell["f1"], cell["history_tokens"], cell["prompt_tokens"],
                 cell["prompt_tokens_max"], cell["reader_p50_s"], cell["reader_p95_s"],
                 f"{cell['errors']} / {cell['off_format']} / {cell['cut']}"]
            )  # fmt: skip
        headers = [
            "context", "accuracy [95 % CI]", "token F1", "context tokens", "prompt tokens",
            "prompt max", "reader p50 s", "reader p95 s", "errors / off-format / cut",
        ]  # fmt: skip
        parts.append(markdown_table(headers, rows) + "\n")
        by_kind = [[ctx] + [_short(per[ctx].get(k)) for k in kinds] for ctx in contexts]
        parts.append(markdown_table(["context", *kinds], by_kind) + "\n")
    pairs = result["summary"]["paired"]
    if pairs:
        rows = [
            [p["benchmark"], p["context"], p["against"], p["n"],
             f"{p['difference']:+.1f} [{p['low']:+.1f}, {p['high']:+.1f}]"]
            for p in pairs
        ]  # fmt: skip
        parts.append("Paired differences on the same questions (points)\n")
        headers = ["benchmark", "memstrata", "against", "questions", "difference [95 % CI]"]
        parts.append(markdown_table(headers, rows) + "\n")
    return "\n".join(parts)


def _short(cell: dict[str, Any] | None) -> str:
    return "" if cell is None else f"{cell['accuracy']:.0f} ({cell['n']})"


def write_plot(path: Path, result: dict[str, Any]) -> bool:
    """Accuracy against the budget, a panel per benchmark: memstrata and RRF as
    lines with their intervals, the full history and no context as levels.
    Returns False (and writes nothing) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    table = result["summary"]["accuracy"]
    figure, axes = plt.subplots(1, max(len(table), 1), figsize=(5.5 * max(len(table), 1), 4))
    panels = np.atleast_1d(axes)
    for axis, (bench, per) in zip(panels, table.items(), strict=False):
        for system in ("memstrata", "rrf"):
            points = sorted(
                (int(ctx.split()[-1]), cells["all"])
                for ctx, cells in per.items()
                if ctx.startswith(system)
            )
            if points:
                xs = [b for b, _ in points]
                cells = [c for _, c in points]
                ys = [c["accuracy"] for c in cells]
                errors = [[c["accuracy"] - c["low"] for c in cells],
                          [c["high"] - c["accuracy"] for c in cells]]  # fmt: skip
                axis.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=system)
        for ctx, style in (("full history", "--"), ("no context", ":")):
            if ctx in per:
                axis.axhline(per[ctx]["all"]["accuracy"], linestyle=style, color="grey", label=ctx)
        axis.set_xscale("log", base=2)
        axis.set_xlabel("context budget (tokens)")
        axis.set_ylabel("accuracy (%)")
        axis.set_title(f"{bench} ({result['reader']})")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
