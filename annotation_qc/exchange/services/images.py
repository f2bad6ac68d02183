"""Uploaded images: checked by content (magic bytes, then Pillow), measured, and stored for items.

:func:`decode_image` is what an import runs on each image: the signature and size checks of
:func:`inspect_image`, then one full decode whose (shrunk) pixels the data-health measurement uses, so
no image is decoded twice. :func:`inspect_image` reads the header and verifies the file without decoding
it (bucket sync, which reads only the head of each object).
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
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


#: Side of the square the decoded pixels are reduced to (by default the data-health measurement's).
DECODE_SIDE = 32


@dataclass(frozen=True)
class DecodedImage:
    """An image that decoded: its type and real size, and its reduction to a side x side RGB square.

    ``reduced`` is the Pillow image (None for an image of zero pixels): the measurement pastes it into
    one image per batch and reads the batch's pixels at once, instead of one array per image."""

    info: ImageInfo
    reduced: Image.Image | None

    @property
    def pixels(self) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The reduced pixels (side x side x 3 uint8; 0 x 0 x 3 for an image of zero pixels)."""
        if self.reduced is None:
            return np.zeros((self.info.height, self.info.width, 3), dtype=np.uint8)
        return np.asarray(self.reduced, dtype=np.uint8)


@dataclass(frozen=True)
class Undecodable:
    """A file of an admitted image type whose pixels do not decode (truncated, corrupt).

    ``width``/``height`` are from its header when that could be read, else None. Whether the item is
    rejected, quarantined or only warned about is the project's ``decodes`` data-health check.
    """

    kind: str
    reason: str
    width: int | None = None
    height: int | None = None


def decode_image(
    content: bytes, *, max_bytes: int, max_pixels: int, side: int = DECODE_SIDE
) -> DecodedImage | Undecodable | str:
    """Check the image as :func:`inspect_image` does, decode it once and reduce it to ``side`` x ``side``.

    Returns the decoded image, an :class:`Undecodable` (a known type whose content is broken), or why
    it is refused outright (too large, not an image by its signature, a type other than its signature
    claims, a decompression bomb).
    """
    if len(content) > max_bytes:
        return f"{len(content)} bytes; images may have at most {max_bytes}"
    kind = sniff_image(content[:16])
    if kind is None:
        return "not a PNG, JPEG, WebP or GIF image (judged by its content, not its name)"
    width: int | None = None
    height: int | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(content, kind) as image:
                width, height = image.size
                if image.format != PILLOW_FORMATS[kind]:
                    return f"content is {image.format}, not the {kind} its signature claims"
                if width * height > max_pixels:
                    return f"{width}x{height} pixels; at most {max_pixels} pixels"
                if width == 0 or height == 0:
                    return DecodedImage(ImageInfo(kind=kind, width=width, height=height), None)
                reduced = _reduced(image, side)
                return DecodedImage(ImageInfo(kind=kind, width=width, height=height), reduced)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return f"refused as a decompression bomb: {exc}"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = f"not a readable {kind} image: {exc}"
        return Undecodable(kind=kind, reason=reason, width=width, height=height)


def _open(content: bytes, kind: str) -> Image.Image:
    """Open with the plugin of the type the signature names (Pillow then tries no others); a file that
    plugin does not take is opened again with every plugin, to say what it is."""
    try:
        return Image.open(io.BytesIO(content), formats=[PILLOW_FORMATS[kind]])
    except UnidentifiedImageError:
        return Image.open(io.BytesIO(content))


def _reduced(image: Image.Image, side: int) -> Image.Image:
    """Decode (JPEG at a reduced scale where the decoder can) and reduce to side x side RGB with Pillow's
    antialiased bilinear filter (in C: cheaper per image than any array code on one image).

    A JPEG is decoded at the smallest of 1/8, 1/4, 1/2 or full scale that keeps both sides at least
    ``side`` (``draft``): at 1/8 each pixel is the mean of an 8 x 8 block (the DCT's DC term), an exact
    area average, so the reduction stays an antialiased one. A 640 x 480 photo decodes at 80 x 60, for about
    a quarter less CPU than at 1/4 scale (what asking for twice ``side`` gave); against that scale its
    hashes move by at most 3 bits and its sharpness (a Laplacian at ``side`` x ``side``) by about 8%
    (bench/README.md, data health)."""
    image.draft("RGB", (side, side))
    # The one full decode happens in ``convert`` or ``resize`` (which load the image): a truncated or
    # corrupt file raises there. No separate ``load()``: a second pass through Pillow's loader per image.
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return rgb.resize((side, side), Image.Resampling.BILINEAR)


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
