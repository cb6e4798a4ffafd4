"""The same messages give the same structure, whatever the random ids and the
process's hash seed: ties are broken on content and order, never on ids."""

from __future__ import annotations

from pathlib import Path

from memstrata import Memory
from memstrata.testing import HashEmbedder
from tests.conftest import T0

PLACES = ["Lyon", "Porto", "Oslo", "Riga", "Bern", "Graz", "Turin", "Ghent"]


def messages() -> list[dict[str, object]]:
    said: list[dict[str, object]] = []
    for i, place in enumerate(PLACES * 3):
        other = PLACES[(i + 3) % len(PLACES)]
        said.append(
            {
                "content": f"I loved the old market in {place} and the harbour walk near {other}.",
                "speaker": "Ana",
            }
        )
    return said


def structure(path: Path) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    with Memory(path, embedder=HashEmbedder()) as memory:
        for message in messages():
            memory.add([message], occurred_at=T0)
        notes = memory.notes(limit=1000)
        text = {n.id: n.text for n in notes}
        return sorted(
            (n.text, n.tags, tuple(sorted(text.get(link, link) for link in n.links))) for n in notes
        )


def test_two_stores_of_the_same_messages_hold_the_same_notes_links_and_tags(
    tmp_path: Path,
) -> None:
    first = structure(tmp_path / "a.db")
    assert any(links for _, _, links in first)
    assert all(structure(tmp_path / f"{i}.db") == first for i in range(3))
