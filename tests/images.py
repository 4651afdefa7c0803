"""Real images for tests, made by Pillow (the desk keeps only what Pillow can decode)."""

from __future__ import annotations

import io

from PIL import Image


def png(size: tuple[int, int] = (8, 8), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A solid-colour PNG of `size`."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()
