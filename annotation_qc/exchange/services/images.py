"""Uploaded images: checked by content (magic bytes, then Pillow), measured, and stored for items."""

from __future__ import annotations

import io
import posixpath
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import get_valid_filename
from PIL import Image, UnidentifiedImageError

from annotation_qc.domain.formats import sniff_image

#: Pillow's format names for the types the signature check admits.
PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}


@dataclass(frozen=True)
class ImageInfo:
    kind: str
    width: int
    height: int


def inspect_image(content: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo | str:
    """The image's type and size, or why it is refused (not an image, wrong type, too large, broken)."""
    if len(content) > max_bytes:
        return f"{len(content)} bytes; images may have at most {max_bytes}"
    kind = sniff_image(content[:16])
    if kind is None:
        return "not a PNG, JPEG, WebP or GIF image (judged by its content, not its name)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if image.format != PILLOW_FORMATS[kind]:
                    return f"content is {image.format}, not the {kind} its signature claims"
                if width * height > max_pixels:
                    return f"{width}x{height} pixels; at most {max_pixels} pixels"
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return f"refused as a decompression bomb: {exc}"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"not a readable {kind} image: {exc}"
    return ImageInfo(kind=kind, width=width, height=height)


def image_store(*, content: bytes, name: str) -> str:
    """Save an image where item images live; returns the storage name for ``Item.image``."""
    base = get_valid_filename(posixpath.basename(name)) or "image"
    now = timezone.now()
    path = f"items/{now:%Y/%m}/{uuid.uuid4().hex[:12]}-{base[-100:]}"
    return default_storage.save(path, ContentFile(content))


def stored_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
