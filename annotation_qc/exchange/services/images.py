"""Uploaded images: checked by content (magic bytes, then Pillow), measured, and stored for items."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from annotation_qc.core.storage import IMAGE_MEDIA_TYPES, STORAGE_ERRORS, opaque_key
from annotation_qc.domain.formats import sniff_image

logger = logging.getLogger(__name__)

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


def image_store(*, content: bytes) -> str:
    """Save an image where item images live under a fresh opaque key; returns it for ``Item.image``.

    The key carries nothing of the item or the file it came from (see annotation_qc.core.storage).
    """
    file = ContentFile(content)
    kind = sniff_image(content[:16])
    file.content_type = IMAGE_MEDIA_TYPES.get(kind or "", "application/octet-stream")  # type: ignore[attr-defined]
    return default_storage.save(opaque_key(), file)


def stored_delete(names: list[str]) -> None:
    """Delete stored files; one the storage cannot delete now is logged (left over), not raised."""
    for name in names:
        try:
            default_storage.delete(name)
        except STORAGE_ERRORS as exc:
            logger.warning("stored file %s not deleted: %s", name, exc)
