"""Export all-MiniLM-L6-v2 (mean and max pooling, normalised) to ONNX for the Rasa server.

`python -m bot.kb.onnx_export models/minilm` writes `model.onnx` and `tokenizer.json` there.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bot.kb.embedder import model_dir, model_fingerprint


def export(target: Path) -> None:
    """Write the ONNX graph (ids, mask, types -> unit mean-pooled sentence vector, the model's
    own, and a unit max-pooled one) and the tokenizer."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Sentence(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            # Padding must never win the max: push it far below any real activation.
            peaks = (hidden + (mask - 1.0) * 1e4).max(dim=1).values
            normalize = torch.nn.functional.normalize
            return normalize(pooled, dim=-1), normalize(peaks, dim=-1)

    source = str(model_dir())
    tokenizer = AutoTokenizer.from_pretrained(source)
    encoder = AutoModel.from_pretrained(source).eval()
    sample = tokenizer(["an example", "another one here"], return_tensors="pt", padding=True)
    target.mkdir(parents=True, exist_ok=True)
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in inputs}
    torch.onnx.export(
        Sentence(encoder),
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(target / "model.onnx"),
        input_names=list(inputs),
        output_names=["sentence_embedding", "max_embedding"],
        dynamic_axes={**dynamic, "sentence_embedding": {0: "batch"}, "max_embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    shutil.copy(model_dir() / "tokenizer.json", target / "tokenizer.json")
    (target / "FINGERPRINT").write_text(model_fingerprint() + "\n")


if __name__ == "__main__":
    export(Path(sys.argv[1] if len(sys.argv) > 1 else "models/minilm"))
