"""Thumbnails with Pillow, in PocketBase's size syntax (``WxH``, ``WxHt``, ``WxHb``, ``WxHf``, ``0xH``, ``Wx0``)."""

from __future__ import annotations

import io
import re
from typing import BinaryIO

THUMB_SIZE_RE = re.compile(r"^(\d+)x(\d+)(t|b|f)?$")
#: the originals thumbnails are made of
IMAGE_TYPES = ("image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp")
# the largest image Pillow decodes here (a decompression bomb is refused)
MAX_PIXELS = 100_000_000


class ThumbError(Exception):
    """The size or the image cannot make a thumbnail."""


def make_thumb(source: BinaryIO, size: str, content_type: str) -> tuple[bytes, str]:
    """The thumbnail of the image in ``source`` and its content type.

    Crops to ``WxH`` from the center (``t`` top, ``b`` bottom), fits inside it (``f``), or keeps
    the aspect ratio when one side is 0. The format of the original is kept for JPEG, GIF, TIFF
    and BMP; anything else becomes PNG (as PocketBase).
    """
    from PIL import Image, ImageOps

    match = THUMB_SIZE_RE.match(size)
    if match is None:
        raise ThumbError("thumb size must be in WxH, WxHt, WxHb or WxHf format")
    width, height, mode = int(match[1]), int(match[2]), match[3] or ""
    if width == 0 and height == 0:
        raise ThumbError("thumb width and height cannot be zero at the same time")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(source) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            if img.mode not in ("RGB", "RGBA", "L", "LA"):
                img = img.convert("RGBA")
            thumb = _resize(img, width, height, mode)
    except (OSError, ValueError, Image.DecompressionBombError) as ex:
        raise ThumbError(str(ex)) from ex
    formats = {"image/jpeg": "JPEG", "image/gif": "GIF", "image/tiff": "TIFF", "image/bmp": "BMP"}
    fmt = formats.get(content_type, "PNG")
    out_type = content_type if fmt != "PNG" else "image/png"
    if fmt == "JPEG" and thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    buffer = io.BytesIO()
    thumb.save(buffer, fmt, **({"quality": 75} if fmt == "JPEG" else {}))
    return buffer.getvalue(), out_type


def _resize(img: object, width: int, height: int, mode: str) -> object:
    from PIL import Image, ImageOps

    assert isinstance(img, Image.Image)
    resample = Image.Resampling.BILINEAR
    w, h = img.size
    if width == 0 or height == 0:
        if width == 0:
            width = max(1, round(w * height / h))
        else:
            height = max(1, round(h * width / w))
        return img.resize((width, height), resample)
    if mode == "f":
        scale = min(width / w, height / h)
        if scale >= 1:
            return img.copy()
        return img.resize((max(1, round(w * scale)), max(1, round(h * scale))), resample)
    centering = {"t": (0.5, 0.0), "b": (0.5, 1.0)}.get(mode, (0.5, 0.5))
    return ImageOps.fit(img, (width, height), resample, centering=centering)
