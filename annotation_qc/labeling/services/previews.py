"""Preview renditions of very large item images, so the labeling screen stays responsive.

An image whose longer side is above :data:`PREVIEW_FROM_SIDE` gets a downscaled copy (longer side
:data:`PREVIEW_SIDE`) stored beside the original under its own opaque key. The labeling canvas shows
the preview and swaps in the original once the annotator zooms in past the preview's resolution;
boxes are always in the original's pixels (the canvas draws either at the original's size).
Previews are made in a worker after the import; a beat sweep catches any whose job was lost.
"""

from __future__ import annotations

import io
import logging
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from PIL import Image, UnidentifiedImageError

from annotation_qc.core.queue import enqueue_name_on_commit
from annotation_qc.core.storage import REFERENCE_OPENERS, STORAGE_ERRORS, opaque_key
from annotation_qc.labeling.models import Item

logger = logging.getLogger(__name__)
#: What a stored image that cannot be read or decoded raises.
BROKEN = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError)

#: Images whose longer side is above this many pixels get a preview.
PREVIEW_FROM_SIDE = 4096
#: The preview's longer side.
PREVIEW_SIDE = 2048
#: Decoding larger images than this is refused (imports refuse them already).
MAX_PIXELS = 180_000_000
PREVIEWS_TASK = "labeling.previews_make"
SWEEP_LIMIT = 200


def needs_preview(*, width: int, height: int) -> bool:
    return max(width, height) > PREVIEW_FROM_SIDE


def previews_enqueue(*, item_ids: list[int]) -> None:
    """Make the previews of these (just written) items in a worker, once the transaction commits."""
    if item_ids:
        enqueue_name_on_commit(PREVIEWS_TASK, item_ids)


def _original_bytes(name: str) -> bytes | None:
    for prefix, opener in REFERENCE_OPENERS.items():
        if name.startswith(prefix):
            opened = opener(name[len(prefix) :])
            return None if opened is None else b"".join(opened[0])
    with default_storage.open(name, "rb") as stream:
        data: bytes = stream.read()
        return data


def preview_render(content: bytes, *, side: int = PREVIEW_SIDE) -> tuple[bytes, str]:
    """The image scaled so its longer side is ``side`` (aspect kept); JPEG, or PNG where it has alpha."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_PIXELS
        try:
            with Image.open(io.BytesIO(content)) as image:
                image.draft("RGB", (side, side))  # JPEG decodes at a reduced scale: far less memory
                image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
                alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
                out = io.BytesIO()
                if alpha:
                    image.convert("RGBA").save(out, format="PNG", optimize=True)
                    return out.getvalue(), "image/png"
                image.convert("RGB").save(out, format="JPEG", quality=85)
                return out.getvalue(), "image/jpeg"
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def item_preview_make(*, item_id: int) -> bool:
    """Store the item's preview if its image is large and it has none yet; whether one was made."""
    row = Item.objects.filter(pk=item_id).values_list("image", "preview", "width", "height").first()
    if row is None:
        return False
    image, preview, width, height = row
    if not image or preview or not needs_preview(width=width, height=height):
        return False
    try:
        content = _original_bytes(image)
        if content is None:
            return False
        rendered, content_type = preview_render(content)
    except (
        OSError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        ValueError,
        *STORAGE_ERRORS,
    ) as exc:
        logger.warning("no preview for item %s: %s", item_id, exc)
        return False
    file = ContentFile(rendered)
    file.content_type = content_type  # type: ignore[attr-defined]
    name = default_storage.save(opaque_key(), file)
    if not Item.objects.filter(pk=item_id, preview="").update(preview=name):
        default_storage.delete(name)  # another worker was first
        return False
    return True


def previews_make(*, item_ids: list[int]) -> int:
    return sum(item_preview_make(item_id=item_id) for item_id in item_ids)


def items_missing_previews(limit: int = SWEEP_LIMIT) -> list[int]:
    """Large stored images without a preview (a lost job, or items imported before previews existed)."""
    return list(
        Item.objects.filter(Q(width__gt=PREVIEW_FROM_SIDE) | Q(height__gt=PREVIEW_FROM_SIDE), preview="")
        .exclude(image="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
