"""Preview renditions of very large item images, so the labeling screen stays responsive.

An image whose longer side (as stated or measured at the import) is above :data:`PREVIEW_FROM_SIDE`
gets a downscaled copy (longer side :data:`PREVIEW_SIDE`) stored under its own opaque key. The
labeling canvas shows the preview and swaps in the original once the annotator zooms in past the
preview's resolution; boxes are always in the original's pixels (the canvas draws either at the
original's size).

Previews are made in a worker after the import, a few items per job: an image stored here is read
from storage; one imported by URL (not copied) is downloaded by the job through the import's
fetcher (the outbound guard on every redirect hop, the import's byte limit and timeout), and only
its preview is kept. The image API then serves the preview of either kind the same way.

A try that fails because of the image (unreachable, too large, refused, not an image, does not
decode) is recorded on the item (``preview_problem``, ``preview_failures``); the beat sweep tries
again until :data:`MAX_FAILURES` tries have failed, then leaves the item without a preview (the
labeling screen shows the image itself, as it does for every image without one). An unreachable
bucket is the service's fault, not the image's: it is logged and not counted.
"""

from __future__ import annotations

import io
import logging
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, Q
from PIL import Image, UnidentifiedImageError

from annotation_qc.core.queue import enqueue_name_on_commit
from annotation_qc.core.storage import REFERENCE_OPENERS, STORAGE_ERRORS, opaque_key
from annotation_qc.exchange.limits import import_limits
from annotation_qc.exchange.services.remote_images import image_fetch
from annotation_qc.labeling.models import Item

logger = logging.getLogger(__name__)
#: What a stored image that cannot be read or decoded raises.
BROKEN = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError)

#: Images whose longer side is above this many pixels get a preview.
PREVIEW_FROM_SIDE = 4096
#: The preview's longer side.
PREVIEW_SIDE = 2048
#: Decoding more pixels than this is refused (stored images are refused above it at the import; the size
#: stated for an image by URL is not checked against the image). A JPEG counts at the reduced scale it is
#: decoded at, so a JPEG of any size the format allows gets a preview in bounded memory.
MAX_PIXELS = 180_000_000
PREVIEWS_TASK = "labeling.previews_make"
#: Items per preview job: a job downloads its URLs one after another (each within the import's
#: timeout), so a large import is spread over the workers and no job outlives the broker's
#: visibility timeout.
PREVIEWS_PER_JOB = 20
#: Failed tries after which an item is left without a preview.
MAX_FAILURES = 3
SWEEP_LIMIT = 200


class PreviewProblem(Exception):
    """Why this image gets no preview (this time): it could not be had or does not decode."""


def needs_preview(*, width: int, height: int) -> bool:
    return max(width, height) > PREVIEW_FROM_SIDE


def previews_enqueue(*, item_ids: list[int]) -> None:
    """Make the previews of these (just written) items in workers, :data:`PREVIEWS_PER_JOB` a job, once
    the transaction commits."""
    for start in range(0, len(item_ids), PREVIEWS_PER_JOB):
        enqueue_name_on_commit(PREVIEWS_TASK, item_ids[start : start + PREVIEWS_PER_JOB])


def _stored_bytes(name: str) -> bytes:
    for prefix, opener in REFERENCE_OPENERS.items():
        if name.startswith(prefix):
            opened = opener(name[len(prefix) :])
            if opened is None:
                raise PreviewProblem("the image is no longer in its bucket")
            return b"".join(opened[0])
    with default_storage.open(name, "rb") as stream:
        data: bytes = stream.read()
        return data


def _downloaded_bytes(url: str) -> bytes:
    """The image at ``url``, through the import's guarded and bounded fetcher."""
    limits = import_limits()
    body = image_fetch(url, max_bytes=limits.max_image_bytes, timeout=limits.fetch_timeout_seconds)
    if isinstance(body, str):
        raise PreviewProblem(body)
    return body


def preview_render(content: bytes, *, side: int = PREVIEW_SIDE) -> tuple[bytes, str]:
    """The image scaled so its longer side is ``side`` (aspect kept); JPEG, or PNG where it has alpha.

    Raises ``Image.DecompressionBombError`` when more than :data:`MAX_PIXELS` would be decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # Pillow's own check counts a JPEG at full size: the size to decode is checked below instead.
        previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(io.BytesIO(content)) as image:
                image.draft("RGB", (side, side))  # JPEG decodes at a reduced scale: far less memory
                if image.width * image.height > MAX_PIXELS:
                    raise Image.DecompressionBombError(
                        f"{image.width}x{image.height} pixels to decode; at most {MAX_PIXELS}"
                    )
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
    """Store the item's preview if its image is large and it has none yet (nor too many failed tries);
    whether one was made. A failure for the image's sake is recorded on the item."""
    row = (
        Item.objects.filter(pk=item_id)
        .values_list("image", "image_url", "preview", "preview_failures", "width", "height")
        .first()
    )
    if row is None:
        return False
    image, image_url, preview, failures, width, height = row
    if preview or failures >= MAX_FAILURES or not (image or image_url):
        return False
    if not needs_preview(width=width, height=height):
        return False
    try:
        content = _stored_bytes(image) if image else _downloaded_bytes(image_url)
        rendered, content_type = preview_render(content)
    except PreviewProblem as exc:
        _failed(item_id, str(exc))
        return False
    except BROKEN as exc:
        _failed(item_id, f"not a readable image ({type(exc).__name__}: {exc})")
        return False
    except STORAGE_ERRORS as exc:
        logger.warning("no preview for item %s for now (storage): %s", item_id, exc)
        return False
    file = ContentFile(rendered)
    file.content_type = content_type  # type: ignore[attr-defined]
    name = default_storage.save(opaque_key(), file)
    if not Item.objects.filter(pk=item_id, preview="").update(preview=name, preview_problem=""):
        default_storage.delete(name)  # another worker was first
        return False
    return True


def _failed(item_id: int, problem: str) -> None:
    logger.warning("no preview for item %s: %s", item_id, problem)
    Item.objects.filter(pk=item_id, preview="").update(
        preview_problem=problem[:500], preview_failures=F("preview_failures") + 1
    )


def previews_make(*, item_ids: list[int]) -> int:
    return sum(item_preview_make(item_id=item_id) for item_id in item_ids)


def items_missing_previews(limit: int = SWEEP_LIMIT) -> list[int]:
    """Large images without a preview and with tries left (a lost job, a failed try, or items imported
    before previews existed), stored here or given by URL."""
    return list(
        Item.objects.filter(
            Q(width__gt=PREVIEW_FROM_SIDE) | Q(height__gt=PREVIEW_FROM_SIDE),
            preview="",
            preview_failures__lt=MAX_FAILURES,
        )
        .exclude(image="", image_url="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def previews_sweep_enqueue() -> int:
    """Beat: send the jobs of items still missing a preview (see :func:`items_missing_previews`); how many
    items were sent. The jobs run in workers, so a slow download never holds up the sweep."""
    item_ids = items_missing_previews()
    previews_enqueue(item_ids=item_ids)
    return len(item_ids)
