"""The bundled static model: its own tokenizer and means give exactly the
vectors model2vec gives, whatever the text (plain ASCII through the memoised
WordPieces, anything else through the Rust tokenizer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from memstrata.providers.embed.static import MODEL_DIR, StaticEmbedder, bundled
from memstrata.providers.embed.wordpiece import WordPieces

TEXTS = [
    "I adopted a rescue dog named Biscuit last March.",
    "## Recommendations\n\n1. **Hiking boots**: try the Salomon X Ultra 4 (~$150).\n"
    "2. `pip install numpy`; see https://example.com/a_b?c=d&e=f#top",
    "",
    "   \n\t ",
    "naïve café in Zürich — “quoted” ‘text’ 東京 😀",
    "a control\x01character and a form\x0cfeed",
    "special tokens [CLS] and [SEP] and [MASK] in text",
    "x" * 150 + " pneumonoultramicroscopicsilicovolcanoconiosis",
    "Numbers 3.14159, 1,000,000 and 42nd; e-mail: ana@example.org",
    "word " * 2000,  # longer than the model's 512 tokens and its character cut
    "!!!???...---___~~~```|||",
]


def test_vectors_are_model2vec_vectors_bit_for_bit() -> None:
    embedder = StaticEmbedder()
    ours = embedder.embed_array(TEXTS)
    theirs = np.asarray(embedder._model.encode(TEXTS, show_progress_bar=False), dtype=np.float32)
    assert ours.shape == theirs.shape == (len(TEXTS), 256)
    assert np.array_equal(ours, theirs)


def test_word_pieces_match_the_tokenizer_on_ascii_and_decline_the_rest() -> None:
    pieces = WordPieces.of(MODEL_DIR / "tokenizer.json")
    assert pieces is not None
    tokenizer = bundled()._model.tokenizer
    for text in TEXTS:
        ids = pieces.ids(text, 512)
        if not text.isascii() or "\x01" in text:
            assert ids is None, text
            continue
        expected = tokenizer.encode(text, add_special_tokens=False).ids[:512]
        assert ids == expected, text
    again = pieces.ids(TEXTS[1], 512)  # memoised words give the same ids
    assert again == tokenizer.encode(TEXTS[1], add_special_tokens=False).ids


def test_other_tokenizers_get_no_fast_path(tmp_path: Path) -> None:
    spec = json.loads((MODEL_DIR / "tokenizer.json").read_text(encoding="utf-8"))
    spec["normalizer"]["lowercase"] = False
    cased = tmp_path / "tokenizer.json"
    cased.write_text(json.dumps(spec), encoding="utf-8")
    assert WordPieces.of(cased) is None


OFFLINE_LOAD = """
import json, os, socket, sys
def refuse(*args, **kwargs):
    raise RuntimeError("the bundled model reached for the network")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
before = dict(os.environ)
from memstrata.providers.embed.static import StaticEmbedder
vector = StaticEmbedder().embed_batch(["a cat named Tom"])[0]
changed = sorted(k for k in before.keys() | os.environ.keys() if before.get(k) != os.environ.get(k))
print(json.dumps({"dimensions": len(vector), "changed": changed}))
"""


def test_the_bundled_model_loads_with_no_network_and_leaves_the_environment_alone() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    run = subprocess.run(
        [sys.executable, "-c", OFFLINE_LOAD],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    assert json.loads(run.stdout) == {"dimensions": 256, "changed": []}
