"""Uploaded images, kept only as pixels: decoded by Pillow (PNG, JPEG, GIF or WebP, nothing
else tried), bounded before decoding (no decompression bombs), and re-encoded, so that
whatever rode along — HTML after the image data, EXIF with a location, a polyglot — is gone."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# Pillow's format name -> (content type, file extension).
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
# A 8K screenshot is 33 M pixels; more is a bomb, not a screenshot.
MAX_PIXELS = 40_000_000
MAX_SIDE = 16_384
TOO_BIG = f"images are limited to {MAX_PIXELS // 1_000_000} million pixels, {MAX_SIDE} a side"


class NotAnImage(ValueError):
    """The bytes are not an image we keep; `code` and the message say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A re-encoded image: its bytes, content type and file extension."""

    data: bytes
    content_type: str
    extension: str


def clean_image(data: bytes) -> CleanImage:
    """The image re-encoded in its own format (the first frame of an animation), or
    `NotAnImage`. CPU-bound: run it in a thread."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                fmt = image.format or ""
                width, height = image.size
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise NotAnImage("image_too_large", TOO_BIG)
                image.load()  # decodes the pixels, here and only within the bounds above
                out = io.BytesIO()
                frame = image.copy()
                # Only the pixels travel on: no text chunks, comments, EXIF, XMP or profiles.
                kept = ("transparency",)
                frame.info = {key: image.info[key] for key in kept if key in image.info}
                if fmt == "JPEG":
                    frame.save(out, "JPEG", quality=90)
                else:
                    frame.save(out, fmt)
    except NotAnImage:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise NotAnImage("image_too_large", TOO_BIG) from exc
    except UnidentifiedImageError as exc:
        raise NotAnImage("not_an_image", "only PNG, JPEG, GIF or WebP images") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        raise NotAnImage("unreadable_image", "the image could not be read") from exc
    content_type, extension = FORMATS[fmt]
    return CleanImage(out.getvalue(), content_type, extension)
