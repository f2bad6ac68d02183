"""The import job: read the stored upload, check every row and image, then write all of it or nothing.

A file with any rejected row imports nothing; the report (in the job's ``result`` and on the
import) names each rejected row and why. Images are checked and stored before the one database
transaction; a rejected import deletes the images it stored.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.core import jobs
from annotation_qc.core.collector import collector_paused
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.core.models import Job
from annotation_qc.datahealth.services.checks import (
    BatchHealth,
    batch_analyse_enqueue,
    batch_check,
    batch_record,
    batch_record_rejected,
)
from annotation_qc.datahealth.services.measure import MEASURE_SIDE, Measurer
from annotation_qc.domain.formats import (
    FormatError,
    ParseOptions,
    ParseResult,
    Rejection,
    SourceItem,
    items_from_files,
    match_files,
    parse_file,
)
from annotation_qc.domain.formats.common import is_http_url
from annotation_qc.exchange.limits import ImportLimits, import_limits
from annotation_qc.exchange.models import DataImport
from annotation_qc.exchange.services.image_pool import BlockMeasurer, Pending
from annotation_qc.exchange.services.images import (
    DecodedImage,
    ImageInfo,
    Undecodable,
    decode_image,
    image_store,
    stored_delete,
)
from annotation_qc.exchange.services.remote_images import images_fetch
from annotation_qc.exchange.services.sources import Source, source_open
from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.imports import items_insert, predictions_import

logger = logging.getLogger(__name__)

#: Rows per call of the labeling and gold services (all inside the one transaction).
WRITE_BATCH = 5000
PROGRESS_EVERY = 200
#: ... or every hundredth of the items, whichever is more (one UPDATE of the job row each time).
PROGRESS_STEPS = 100


def progress_step(items: int) -> int:
    """Items checked between two progress updates of an import's job."""
    return max(PROGRESS_EVERY, items // PROGRESS_STEPS)


#: Items whose URL images are downloaded together (at most this many bodies in memory at once).
FETCH_CHUNK = 64
#: Items whose uploads are read, stored and measured together (one task of a measurement worker).
MEASURE_BLOCK = 256
_SERVICE_PATH = re.compile(r"^(?:items|predictions)\[(\d+)\]\.?(.*)$")


class ImportRejected(Exception):
    def __init__(
        self, rejected: Sequence[Rejection], notes: Sequence[str] = (), health: BatchHealth | None = None
    ) -> None:
        super().__init__(f"{len(rejected)} rejected row(s)")
        self.rejected = list(rejected)
        self.notes = list(notes)
        self.health = health


def _report(
    data_import: DataImport,
    limits: ImportLimits,
    rejected: Sequence[Rejection],
    notes: Sequence[str],
    **counts: int,
) -> dict[str, Any]:
    return {
        "import_id": data_import.pk,
        "format": data_import.format,
        "as": data_import.target,
        **counts,
        "rejected": [r.to_dict() for r in rejected[: limits.report_max_rows]],
        "rejected_total": len(rejected),
        "notes": list(notes),
    }


def import_fail(*, import_id: int, message: str) -> None:
    """Mark the import failed and remove its upload (nothing of it will be read again)."""
    data_import = DataImport.objects.get(pk=import_id)
    DataImport.objects.filter(pk=import_id).update(
        status=DataImport.Status.FAILED, finished_at=timezone.now()
    )
    jobs.job_fail(job_id=data_import.job_id, message=message)
    stored_delete([entry["path"] for entry in data_import.files])


def import_retry(job: Job) -> None:
    """The watchdog's retry of an import whose worker died: enqueue it again (it claims the job anew)."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.exchange.tasks import import_run as import_task

    import_id = DataImport.objects.values_list("pk", flat=True).get(job_id=job.pk)
    enqueue_on_commit(
        import_task,
        import_id,
        on_unavailable=lambda: import_fail(import_id=import_id, message=BROKER_DOWN),
        options=jobs.task_options("import"),
    )


def import_give_up(job: Job, message: str) -> None:
    import_fail(import_id=DataImport.objects.values_list("pk", flat=True).get(job_id=job.pk), message=message)


def import_run(*, import_id: int) -> dict[str, Any]:
    """The job: returns the report. Safe to run twice: a finished import is left alone, and a redelivered
    task whose job another live worker runs (or that failed) does nothing. The rows are written in one
    transaction, so a worker killed mid-import leaves nothing, and the watchdog's retry imports it whole.
    """
    data_import = DataImport.objects.select_related("project").get(pk=import_id)
    if data_import.status in (DataImport.Status.IMPORTED, DataImport.Status.REJECTED):
        return data_import.report
    with jobs.job_running(job_id=data_import.job_id) as mine:
        if not mine:
            return data_import.report
        return _run(data_import)


def _run(data_import: DataImport) -> dict[str, Any]:
    import_id = data_import.pk
    limits = import_limits()
    DataImport.objects.filter(pk=import_id).update(status=DataImport.Status.RUNNING)
    stored: list[str] = []
    try:
        with source_open(data_import, limits) as source:
            report = _import(data_import, source, limits, stored)
    except (ImportRejected, FormatError) as exc:
        stored_delete(stored)
        if isinstance(exc, FormatError):
            exc = ImportRejected([Rejection("file", str(exc))])
        report = _report(data_import, limits, exc.rejected, exc.notes, created=0)
        if isinstance(exc, ImportRejected) and exc.health is not None:
            report["data_health"] = batch_record_rejected(
                data_import_id=data_import.pk, project_id=data_import.project_id, health=exc.health
            )
        message = f"{len(exc.rejected)} problem(s) found; nothing was imported."
        _finish(data_import, DataImport.Status.REJECTED, report)
        jobs.job_fail(job_id=data_import.job_id, message=message, result=report)
        _discard_upload(data_import)
        return report
    except Exception as exc:
        stored_delete(stored)
        import_fail(import_id=import_id, message=f"{exc.__class__.__name__}: {exc}")
        raise
    _finish(data_import, DataImport.Status.IMPORTED, report)
    jobs.job_finish(job_id=data_import.job_id, result=report, message=f"{report['created']} item(s) created.")
    _discard_upload(data_import)
    return report


def _finish(data_import: DataImport, status: str, report: dict[str, Any]) -> None:
    DataImport.objects.filter(pk=data_import.pk).update(
        status=status, report=report, finished_at=timezone.now()
    )


def _discard_upload(data_import: DataImport) -> None:
    """Images and archives are copied into items (or refused): keep only the annotation file."""
    stored_delete([entry["path"] for entry in data_import.files if entry["role"] != "data"])


def _parse(data_import: DataImport, source: Source) -> ParseResult:
    project = data_import.project
    if source.data is None:
        return items_from_files(sorted(source.image_sizes))
    options = ParseOptions(
        kind=project.payload_kind,
        labels=tuple(project.labels),
        target=data_import.target,  # type: ignore[arg-type]
        model_version=data_import.model_version or None,
        max_boxes=project.max_boxes,
    )
    return parse_file(source.data, data_import.format, options)  # type: ignore[arg-type]


def _import(
    data_import: DataImport, source: Source, limits: ImportLimits, stored: list[str]
) -> dict[str, Any]:
    if source.rejected:
        raise ImportRejected(source.rejected, source.notes)
    with collector_paused():  # one object per row, all kept: collections would walk them again and again
        parsed = _parse(data_import, source)
    notes = [*source.notes, *parsed.notes]
    if parsed.rejected:
        raise ImportRejected(parsed.rejected, notes)
    items = list(parsed.items)
    if len(items) > limits.max_items:
        raise ImportRejected(
            [Rejection("file", f"{len(items)} items; at most {limits.max_items} per import")]
        )
    target = data_import.target
    project = data_import.project
    existing: dict[str, tuple[int, int, int]] = {}  # (id, width, height) of items the file predicts for
    if target == DataImport.Target.PREDICTIONS:
        existing = _existing_items(project.pk, [i.external_id for i in items])
    new_items = [i for i in items if i.external_id not in existing]
    jobs.job_start(job_id=data_import.job_id, total=len(items))
    checked = _images(data_import, source, new_items, limits, stored)
    already = {r.row for r in checked.rejected}
    unchecked = [i for i in items if i.row not in already]
    rejected = checked.rejected + _size_problems(unchecked, checked, existing)
    if target == DataImport.Target.GOLD:
        rejected += [Rejection(i.row, "no annotation to use as gold") for i in items if i.payload is None]
    # Data-health checks (datahealth app): failures whose action is "reject" refuse the file too.
    health = batch_check(
        project=project,
        items=new_items,
        measured=checked.measurer.flush(),
        sizes=_sizes(new_items, checked),
        is_gold=target == DataImport.Target.GOLD,
    )
    rejected += health.rejections()
    if rejected:
        raise ImportRejected(rejected, notes, health)
    unused = len(source.image_sizes) - len(checked.used_uploads)
    if unused > 0 and source.data is not None:
        notes.append(f"{unused} uploaded image(s) not referenced by the file: ignored")
    if target == DataImport.Target.ITEMS and any(i.payload for i in items):
        notes.append(
            "the file's annotations were not imported (as=items); import them as gold or predictions"
        )
    with collector_paused(), transaction.atomic():
        rows = [_item_row(item, checked) for item in new_items]
        counts, new_ids = _write(data_import, items, new_items, rows, existing)
        summary = batch_record(
            data_import_id=data_import.pk, project_id=project.pk, health=health, item_ids=new_ids
        )
        if target == DataImport.Target.ITEMS and new_items:
            batch_analyse_enqueue(data_import_id=data_import.pk)
    step = progress_step(len(new_items))
    advanced = len(new_items) // step * step
    jobs.job_advance(job_id=data_import.job_id, by=len(items) - advanced)
    return {**_report(data_import, limits, [], notes, **counts), "data_health": summary}


def _sizes(items: list[SourceItem], checked: CheckedImages) -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    for item in items:
        image = checked.by_item.get(item.external_id)
        info = image[1] if image else checked.at_url.get(item.external_id)
        if info is not None:
            sizes[item.external_id] = (info.width, info.height)
        elif item.width is not None and item.height is not None:
            sizes[item.external_id] = (item.width, item.height)
    return sizes


def _existing_items(project_id: int, external_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    found: dict[str, tuple[int, int, int]] = {}
    for start in range(0, len(external_ids), WRITE_BATCH):
        chunk = external_ids[start : start + WRITE_BATCH]
        found.update(
            (eid, (pk, w, h))
            for eid, pk, w, h in Item.objects.filter(
                project_id=project_id, external_id__any=chunk
            ).values_list("external_id", "pk", "width", "height")
        )
    return found


@dataclass
class CheckedImages:
    """The images the items use, checked: uploaded (or copied from their URL) ones as
    {external_id: (storage name, info)}, the sizes of images left at their URL, and what was wrong."""

    by_item: dict[str, tuple[str, ImageInfo]] = field(default_factory=dict)
    at_url: dict[str, ImageInfo] = field(default_factory=dict)
    used_uploads: set[str] = field(default_factory=set)
    rejected: list[Rejection] = field(default_factory=list)
    #: Statistics, hashes and digests of the decoded images (a batch at a time), for the data-health checks.
    measurer: Measurer = field(default_factory=Measurer)

    def keep(
        self,
        item: SourceItem,
        content: bytes,
        image: DecodedImage | Undecodable,
        name: str,
        stored: list[str],
    ) -> None:
        info = self.measure(item, content, image)
        if info is None:
            return
        if not self.rejected:  # once anything is rejected nothing is imported: stop storing
            name = image_store(content=content)
            stored.append(name)
        self.by_item[item.external_id] = (name, info)

    def measure(
        self, item: SourceItem, content: bytes, image: DecodedImage | Undecodable
    ) -> ImageInfo | None:
        """Hand the decoded pixels to the measurement; for an image that does not decode, record it for
        the ``decodes`` check and return its size from the header or the file (None, rejected: neither)."""
        if isinstance(image, DecodedImage):
            size = (image.info.width, image.info.height)
            if image.reduced is None:  # zero pixels
                self.measurer.add(item.external_id, content, image.pixels, size)
            else:
                self.measurer.add_reduced(item.external_id, content, image.reduced, size)
            return image.info
        width = image.width if image.width else item.width
        height = image.height if image.height else item.height
        if not width or not height:
            self.rejected.append(Rejection(item.row, f"{image.reason}; and the file states no size for it"))
            return None
        self.measurer.add_undecodable(item.external_id, content, image.reason)
        return ImageInfo(kind=image.kind, width=width, height=height)

    def measured(
        self, item: SourceItem, content: bytes, outcome: ImageInfo | Undecodable
    ) -> ImageInfo | None:
        """:meth:`measure` for an image measured in a block (:func:`decode_block`): a decoded one is in
        the block's measurements already."""
        if isinstance(outcome, ImageInfo):
            return outcome
        return self.measure(item, content, outcome)


def _needs_download(item: SourceItem, match: str | Rejection | None, copy_images: bool) -> bool:
    return match is None and is_http_url(item.image) and (copy_images or None in (item.width, item.height))


@dataclass
class _Block:
    """Items ``start`` to ``end`` of an import: their uploads read (or why not), stored as they were read,
    and handed to the measurement (:class:`BlockMeasurer`)."""

    start: int
    end: int
    contents: dict[int, bytes]
    unreadable: dict[int, str]
    names: dict[int, str]
    pending: Pending


def _images(
    data_import: DataImport, source: Source, items: list[SourceItem], limits: ImportLimits, stored: list[str]
) -> CheckedImages:
    """Check every image the items use, storing uploads (and copies) until the first problem.

    Uploads are read, stored and handed to the measurement (decode, checks of the file, statistics and
    hashes) a block at a time; with measurement workers the import reads and stores the next blocks while
    the workers measure the earlier ones, and checks each block's results in order. Images given by URL are
    downloaded a chunk at a time when their size is not stated (to measure them) or when the import copies
    them; the others are referenced as they are.
    """
    checked = CheckedImages()
    references = match_files([i.image for i in items], sorted(source.image_sizes))
    workers = limits.measure_workers if len(items) >= limits.measure_pool_min_images else 0
    progress = _Progress(data_import.job_id, len(items))
    blocks: deque[_Block] = deque()
    with BlockMeasurer(
        workers=workers, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels
    ) as measurer:
        for start in range(0, len(items), MEASURE_BLOCK):
            end = min(start + MEASURE_BLOCK, len(items))
            blocks.append(_block_read(measurer, source, items, references, start, end, checked, stored))
            while len(blocks) > workers:  # keep each worker busy with one block ahead of the checks
                _block_check(
                    data_import,
                    measurer,
                    blocks.popleft(),
                    items,
                    references,
                    limits,
                    checked,
                    stored,
                    progress,
                )
        while blocks:
            _block_check(
                data_import, measurer, blocks.popleft(), items, references, limits, checked, stored, progress
            )
    return checked


class _Progress:
    def __init__(self, job_id: int, total: int) -> None:
        self.job_id = job_id
        self.count = 0
        self.step = progress_step(total)

    def advance(self) -> None:
        self.count += 1
        if self.count % self.step == 0:
            jobs.job_advance(job_id=self.job_id, by=self.step)


def _block_read(
    measurer: BlockMeasurer,
    source: Source,
    items: list[SourceItem],
    references: list[str | Rejection | None],
    start: int,
    end: int,
    checked: CheckedImages,
    stored: list[str],
) -> _Block:
    """Read the block's uploads, hand them to the measurement, then store them (while it measures)."""
    contents: dict[int, bytes] = {}
    unreadable: dict[int, str] = {}
    for index in range(start, end):
        match = references[index]
        if isinstance(match, str):
            try:
                contents[index] = source.read_image(match)
            except FormatError as exc:
                unreadable[index] = str(exc)
    pending = measurer.submit([items[i].external_id for i in contents], [contents[i] for i in contents])
    names: dict[int, str] = {}
    if not checked.rejected:  # once anything is rejected nothing is imported: stop storing
        for index, content in contents.items():
            names[index] = image_store(content=content)
            stored.append(names[index])
    return _Block(start, end, contents, unreadable, names, pending)


def _block_check(
    data_import: DataImport,
    measurer: BlockMeasurer,
    block: _Block,
    items: list[SourceItem],
    references: list[str | Rejection | None],
    limits: ImportLimits,
    checked: CheckedImages,
    stored: list[str],
    progress: _Progress,
) -> None:
    """The block's items in order, with its measurement's results (and downloads of images by URL)."""
    decoded = measurer.result(block.pending)
    checked.measurer.add_measured(decoded.measured)
    outcomes = dict(zip(block.contents, decoded.outcomes, strict=True))
    copy_images = data_import.copy_images
    for chunk_start in range(block.start, block.end, FETCH_CHUNK):
        chunk = range(chunk_start, min(chunk_start + FETCH_CHUNK, block.end))
        downloads = images_fetch(
            (items[i].image for i in chunk if _needs_download(items[i], references[i], copy_images)),
            limits=limits,
        )
        for index in chunk:
            item, match = items[index], references[index]
            progress.advance()
            if isinstance(match, Rejection):
                checked.rejected.append(Rejection(item.row, match.reason))
                continue
            if match is None:
                if not is_http_url(item.image):
                    checked.rejected.append(Rejection(item.row, "image URL: at most 2000 characters"))
                elif item.image in downloads:
                    _check_download(checked, item, downloads[item.image], limits, stored, copy_images)
                continue
            checked.used_uploads.add(match)
            if index in block.unreadable:
                checked.rejected.append(Rejection(item.row, block.unreadable[index]))
                continue
            outcome = outcomes[index]
            if isinstance(outcome, str):
                checked.rejected.append(Rejection(item.row, f"image '{match}': {outcome}"))
                continue
            info = checked.measured(item, block.contents[index], outcome)
            if info is not None:
                checked.by_item[item.external_id] = (block.names.get(index, match), info)


def _decode(content: bytes, limits: ImportLimits) -> DecodedImage | Undecodable | str:
    return decode_image(
        content, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels, side=MEASURE_SIDE
    )


def _check_download(
    checked: CheckedImages,
    item: SourceItem,
    body: bytes | str,
    limits: ImportLimits,
    stored: list[str],
    copy_images: bool,
) -> None:
    decoded = body if isinstance(body, str) else _decode(body, limits)
    if isinstance(decoded, str):
        checked.rejected.append(Rejection(item.row, f"image URL: {decoded}"))
        return
    assert isinstance(body, bytes)
    if copy_images:
        name = posixpath.basename(urlsplit(item.image).path) or "image"
        checked.keep(item, body, decoded, name, stored)
        return
    info = checked.measure(item, body, decoded)  # downloaded to measure it: measure the rest too
    if info is not None:
        checked.at_url[item.external_id] = info


def _size_problems(
    items: list[SourceItem], checked: CheckedImages, existing: dict[str, tuple[int, int, int]]
) -> list[Rejection]:
    """The stated size must match the image (uploaded, downloaded, or the existing item's)."""
    problems = []
    for item in items:
        stated = (item.width, item.height)
        known = existing.get(item.external_id)
        actual = known[1:] if known is not None else None
        what = "the existing item"
        if actual is None and item.external_id in checked.by_item:
            info = checked.by_item[item.external_id][1]
            what = "the image at its URL" if is_http_url(item.image) else "the uploaded image"
            actual = (info.width, info.height)
        elif actual is None and item.external_id in checked.at_url:
            info = checked.at_url[item.external_id]
            actual, what = (info.width, info.height), "the image at its URL"
        if actual is None:
            if None in stated:
                problems.append(Rejection(item.row, "width and height: required for images given by URL"))
        elif None not in stated and stated != actual:
            problems.append(
                Rejection(item.row, f"states {stated[0]}x{stated[1]} but {what} is {actual[0]}x{actual[1]}")
            )
    return problems


def _item_row(item: SourceItem, checked: CheckedImages) -> dict[str, Any]:
    image = checked.by_item.get(item.external_id)
    measured = image[1] if image else checked.at_url.get(item.external_id)
    row: dict[str, Any] = {
        "external_id": item.external_id,
        "width": measured.width if measured else item.width,
        "height": measured.height if measured else item.height,
        "metadata": dict(item.metadata),
    }
    if image is None:
        row["image_url"] = item.image
    else:
        row["image"] = image[0]
        if is_http_url(item.image):  # a copy: keep where it came from
            row["metadata"].setdefault("source_url", item.image)
    if item.payload is not None:
        row["payload"] = item.payload
    return row


def _batched(
    call: Callable[[list[dict[str, Any]]], int],
    rows: list[dict[str, Any]],
    sources: list[SourceItem],
) -> int:
    """Run a labeling/gold service over rows in batches, mapping its errors back to the file's rows."""
    created = 0
    for start in range(0, len(rows), WRITE_BATCH):
        try:
            created += call(rows[start : start + WRITE_BATCH])
        except ServiceError as exc:
            raise ImportRejected(_mapped(exc, sources, start)) from exc
    return created


def _mapped(exc: ServiceError, sources: list[SourceItem], offset: int) -> list[Rejection]:
    if not exc.errors:
        return [Rejection("file", exc.detail)]
    rejected = []
    for path, messages in exc.errors.items():
        match = _SERVICE_PATH.match(path)
        if match is None:
            rejected.append(Rejection("file", f"{path}: {messages[0]}"))
            continue
        source = sources[offset + int(match.group(1))]
        field = f"{match.group(2)}: " if match.group(2) else ""
        rejected.append(Rejection(source.row, f"{field}{messages[0]}"))
    return rejected


def _write(
    data_import: DataImport,
    items: list[SourceItem],
    new_items: list[SourceItem],
    rows: list[dict[str, Any]],
    existing: dict[str, tuple[int, int, int]],
) -> tuple[dict[str, int], list[int] | None]:
    """Write the rows; returns the counts and the new items' ids in row order (None: not known here).
    ``existing``: (id, width, height) of the items already in the project that the file predicts for."""
    project = data_import.project
    target = data_import.target
    if target == DataImport.Target.GOLD:
        user = data_import.created_by
        created = _batched(
            lambda batch: len(gold_import(project=project, rows=batch, user=user)), rows, new_items
        )
        return {"created": created, "gold": created}, None
    new_ids: list[int] = []

    def insert(batch: list[dict[str, Any]]) -> int:
        ids = items_insert(project=project, rows=batch)
        new_ids.extend(ids)
        return len(ids)

    created = _batched(insert, rows, new_items)
    if target == DataImport.Target.ITEMS:
        return {"created": created}, new_ids
    predicted = [i for i in items if i.payload is not None]
    prediction_rows = [
        {"external_id": i.external_id, "payload": i.payload, "scores": i.scores} for i in predicted
    ]
    model_version, owner_id = data_import.model_version, data_import.created_by_id
    # The JSON Lines parser validates each payload against the size its line states (the other formats'
    # parsers build payloads unchecked), and a stated size must equal the item's (checked before the
    # write): then a payload is validated once, not again here, unless some line stated no size.
    checked = data_import.format == "jsonl" and (
        project.payload_kind != "bbox" or all(i.width is not None and i.height is not None for i in predicted)
    )
    # Every item predicted for is known by now: the ones already there, and the ones just written.
    known = {
        **existing,
        **{
            row["external_id"]: (pk, row["width"], row["height"])
            for pk, row in zip(new_ids, rows, strict=True)
        },
    }
    count = _batched(
        lambda batch: predictions_import(
            project=project,
            model_version=model_version,
            rows=batch,
            owner_id=owner_id,
            payloads_checked=checked,
            known_items=known,
        ),
        prediction_rows,
        predicted,
    )
    counts = {"created": created, "existing_items": len(items) - len(new_items), "predictions": count}
    return counts, new_ids
