"""The Rasa-side featurizer (ONNX, Python 3.10) gives the hub's embeddings (PyTorch)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from bot.kb.embedder import Embedder
from bot.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
ONNX = PROJECT_ROOT / "models" / "minilm" / "model.onnx"
TEXTS = ["How do I download in full resolution?", "me cobraron dos veces", "bonjour 👋", "x"]


@pytest.mark.skipif(not ONNX.exists(), reason="`make model` exports the ONNX model")
def test_onnx_featurizer_matches_sentence_transformers(embedder: Embedder) -> None:
    script = (
        "import json, sys\n"
        "from rasa_addons.minilm import MiniLMFeaturizer\n"
        "f = MiniLMFeaturizer({**MiniLMFeaturizer.get_default_config()}, 'minilm')\n"
        f"print(json.dumps(f.embed({TEXTS!r}).tolist()))\n"
    )
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script],
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    onnx = np.array(json.loads(done.stdout.strip().splitlines()[-1]), dtype=np.float32)
    torch = embedder.encode(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.all((onnx * torch).sum(axis=1) > 0.9999)
