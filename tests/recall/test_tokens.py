"""Token counters, and context() blocks that keep to a budget counted by them."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from memstrata import InvalidInput, Memory, Settings
from memstrata.retrieve.tokens import Estimate, counter, fit
from memstrata.testing import HashEmbedder
from tests.conftest import T0

SAMPLES = [
    "Hello world",
    "I moved to Lyon last spring, and the flat near the river is lovely.",
    "## Steps\n1. Preheat the oven to 220 °C.\n2. Knead the dough for 10 minutes.\n",
    "Order 7f3a9c0e1b2d4f5a6c7e8d9a0b1c2d3e shipped on 2023-05-08 at 13:56.",
    "東京で寿司を食べました。とても美味しかった！ 😀🎉",
    "Привет, как дела? Я живу в Москве.",
]


def test_the_bundled_vocabularies_count_as_their_models_do() -> None:
    qwen = counter("qwen2.5")
    assert counter() is qwen and qwen.name == "qwen2.5"
    assert qwen.count("Hello world") == 2  # Qwen2.5: 9707, 1879
    assert qwen.count("2023") == 4  # one token a digit
    assert counter("cl100k").count("Hello world") == 2
    assert counter("o200k").count("Hello world") == 2
    assert counter(" QWEN2.5 ") is qwen


def test_the_estimate_counts_more_than_the_bundled_tokenizers() -> None:
    estimate = counter("estimate")
    assert isinstance(estimate, Estimate)
    block = "\n".join(SAMPLES)
    for name in ("qwen2.5", "cl100k", "o200k"):
        assert estimate.count(block) >= counter(name).count(block)


def test_a_tokenizer_json_counts_with_the_tokenizers_library(tmp_path: Path) -> None:
    trained = Tokenizer(models.BPE(unk_token="[UNK]"))
    trained.pre_tokenizer = pre_tokenizers.Whitespace()
    trained.train_from_iterator(SAMPLES * 20, trainers.BpeTrainer(special_tokens=["[UNK]"]))
    path = tmp_path / "tokenizer.json"
    trained.save(str(path))
    mine = counter(str(path))
    assert mine.name == "tokenizer.json"
    assert mine.count("Hello world") == len(trained.encode("Hello world").ids)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InvalidInput, match=r"tokenizer\.json"):
        counter(str(broken))


def test_unknown_tokenizers_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown tokenizer"):
        counter("gpt-17")
    with pytest.raises(InvalidInput, match="tokenizer"):
        Settings.load({"MEMSTRATA_TOKENIZER": "gpt-17"})
    assert Settings.load({"MEMSTRATA_TOKENIZER": "o200k"}).tokenizer == "o200k"


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=300), st.integers(min_value=1, max_value=60))
def test_fit_keeps_an_opening_within_the_limit(text: str, limit: int) -> None:
    tokens = counter("qwen2.5")
    cut = fit(text, limit, tokens)
    assert text.startswith(cut) and tokens.count(cut) <= limit
    if tokens.count(text) <= limit:
        assert cut == text


def _long_history(memory: Memory) -> None:
    """Short chat and long assistant replies over many sessions."""
    messages = []
    for day in range(12):
        at = T0 + timedelta(days=day)
        for turn in range(8):
            steps = " ".join(
                f"Step {i}: water the {day} tomato plants on day {i}." for i in range(40)
            )
            content = (
                f"On day {day} I repotted basil number {turn} and fed the tomatoes."
                if turn % 2 == 0
                else f"Nice. {steps} Keep the basil {turn} in the sun."
            )
            messages.append(
                {
                    "content": content,
                    "role": "user" if turn % 2 == 0 else "assistant",
                    "occurred_at": at + timedelta(minutes=turn),
                    "session_id": f"garden-{day}",
                }
            )
    memory.add(messages)


@pytest.mark.parametrize("tokenizer", ["qwen2.5", "o200k", "estimate"])
def test_context_fills_its_budget_and_never_exceeds_it(tmp_path: Path, tokenizer: str) -> None:
    chosen = Settings.load({}, tokenizer=tokenizer)
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), settings=chosen) as memory:
        _long_history(memory)
        tokens = counter(tokenizer)
        for budget in (300, 1000, 2500):
            block = memory.context(
                "when did I repot the basil and feed the tomatoes?", token_budget=budget
            )
            assert block.tokens == tokens.count(block.text) and block.tokenizer == tokenizer
            assert 0.95 * budget <= block.tokens <= budget, (budget, block.tokens)
        small = memory.context("basil", token_budget=120)
        assert small.tokens <= 120 and small.refs


def test_every_label_in_the_block_cites_one_record(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        _long_history(memory)
        memory.add("I live in Porto", speaker="Ana", occurred_at=T0)
        block = memory.context("where does Ana live, and the basil?", token_budget=800)
        labels = re.findall(r"^\[(\d+)\] ", block.text, flags=re.M)
        assert labels == [r.label for r in block.refs] == [str(i + 1) for i in range(len(labels))]
        assert len(set(block.ids())) == len(block.ids())
        for ref in block.refs:
            if ref.kind == "episode":
                assert memory.get(ref.id).id == ref.id
        assert not re.search(r"[0-9a-f]{32}", block.text)  # no full ids inside the block


def test_without_the_bundled_vocabularies_budgets_fall_back_to_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memstrata.retrieve import tokens

    monkeypatch.setitem(sys.modules, "quicktok", None)  # as where no wheel installs
    assert isinstance(tokens._bundled("qwen2.5"), Estimate)
