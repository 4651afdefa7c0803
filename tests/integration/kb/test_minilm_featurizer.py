"""The Rasa-side featurizer (ONNX, Python 3.10) gives the hub's embeddings (PyTorch)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from bot.kb.embedder import Embedder, model_dir
from bot.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
ONNX = PROJECT_ROOT / "models" / "minilm" / "model.onnx"
TEXTS = ["How do I download in full resolution?", "me cobraron dos veces", "bonjour 👋", "x"]


@pytest.mark.skipif(not ONNX.exists(), reason="`make model` exports the ONNX model")
def test_onnx_featurizer_matches_sentence_transformers(embedder: Embedder) -> None:
    script = (
        "import json, sys\n"
        "from rasa_addons.minilm import MiniLMFeaturizer\n"
        "config = {**MiniLMFeaturizer.get_default_config(), 'max_pool': True, 'scale': 2.0}\n"
        "f = MiniLMFeaturizer(config, 'minilm')\n"
        f"print(json.dumps([f.embed({TEXTS!r}).tolist(), f.features({TEXTS!r}).tolist()]))\n"
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
    embedded, features = json.loads(done.stdout.strip().splitlines()[-1])
    onnx = np.array(embedded, dtype=np.float32)
    torch = embedder.encode(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.all((onnx * torch).sum(axis=1) > 0.9999)
    # With max pooling: [mean, max of the real tokens' vectors], each unit length, scaled.
    both = np.array(features, dtype=np.float32) / 2.0
    assert both.shape == (len(TEXTS), 768)
    np.testing.assert_allclose(both[:, :384], onnx, atol=1e-5)
    model = SentenceTransformer(str(model_dir()), device="cpu")
    tokens = model.encode(TEXTS, output_value="token_embeddings")
    peaks = np.stack([t.max(0).values.numpy() for t in tokens])
    peaks /= np.linalg.norm(peaks, axis=1, keepdims=True)
    assert np.all((both[:, 384:] * peaks).sum(axis=1) > 0.9999)
