"""Sentence features from all-MiniLM-L6-v2 for Rasa's classifiers, computed with ONNX Runtime.

Rasa 3.6 runs on Python 3.10, where no CPU build of PyTorch is at hand; the model is exported
once to ONNX by the hub's environment (`python -m bot.kb.onnx_export`) and run here with
onnxruntime and the model's own tokenizer. Same vectors as sentence-transformers (cosine 1.0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from tokenizers import Tokenizer

from rasa_addons.featurizing import FeaturizesText

BATCH = 64


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(FeaturizesText, DenseFeaturizer, GraphComponent):
    """Adds one sentence feature per message text: the 384-dimensional mean-pooled embedding,
    followed by the max-pooled one when `max_pool` is on."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model_dir": "models/minilm",
            "threads": 1,
            # Unit vectors are small next to sparse features, and Rasa's logistic regression
            # fixes C=1: scaling the features is how the classifier gets the C it needs.
            "scale": 1.0,
            # Max-pooled token vectors keep the strongest single cue of a sentence, which the
            # mean dilutes; measured in config.yml.
            "max_pool": False,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing beyond the defaults to check: the model folder is checked on load."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        folder = Path(config["model_dir"])
        if not (folder / "model.onnx").exists():
            raise FileNotFoundError(
                f"{folder / 'model.onnx'} is missing: run `make model` (it exports the ONNX model)"
            )
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(256)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(config["threads"])
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls(config, execution_context.node_name)

    def _run(self, texts: list[str]) -> list[np.ndarray]:
        encoded = self._tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        return [np.asarray(out, dtype=np.float32) for out in self._session.run(None, feed)]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length sentence embeddings of `texts` (sentence-transformers' vectors)."""
        return self._run(texts)[0]

    def features(self, texts: list[str]) -> np.ndarray:
        """The scaled sentence features of `texts`, as the classifier sees them."""
        mean, peak = self._run(texts)
        vectors = np.hstack([mean, peak]) if self._config["max_pool"] else mean
        return vectors * float(self._config["scale"])

    def _featurize(self, messages: list[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        for start in range(0, len(with_text), BATCH):
            batch = with_text[start : start + BATCH]
            for message, vector in zip(
                batch, self.features([m.get(TEXT) for m in batch]), strict=True
            ):
                self.add_features_to_message(None, vector[None, :], TEXT, message)
