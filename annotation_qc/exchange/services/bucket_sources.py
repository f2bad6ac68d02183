"""Bucket sources: a prefix of an S3-compatible bucket whose images become items, synced incrementally.

A sync lists only the keys after the source's cursors (``StartAfter``, S3 lists keys in order; one
cursor per folder when the prefix has folders, listed in parallel: ``bucket_listing``), keeps those
matching the file pattern, measures each new image (a ranged GET of its head, or its size from the
source's manifest file) and creates items that reference the objects: no copy. It writes a batch of
items, their ``SourceObject`` rows (COPY on PostgreSQL) and the advanced cursors in one transaction,
while the next pages are listed, so a sync that dies half-way leaves consistent cursors and the next
one picks up after them. A full rescan lists the whole prefix: in a flat prefix a key added after
the sync but sorting before the cursor (``frames/a.png`` after ``frames/z.png`` was synced) is seen only
so. A manager asks for one, and every ``SOURCE_FULL_RESCAN_EVERY``th sync of a source is one by itself
(:func:`full_rescan_due`). A key already synced is skipped unless its object changed (another ETag or
a later LastModified): then its item takes the new size and a new image token. Annotation and
prediction files beside the images (sidecars, ``a.png`` and ``a<suffix>``) become gold answers and
predictions, and so do the answers of one annotation file for the prefix in a format imports read
(COCO, JSON Lines, CSV: ``annotation_file``) for the new images it names by their external ids. Keys
that cannot be used (not an image, deleted between the list and the read, an external id taken by
another import, a bad sidecar or row) are listed in the report.
"""

from __future__ import annotations

import fnmatch
import io
import json
import posixpath
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.core import jobs
from annotation_qc.core.exceptions import Conflict, ServiceError
from annotation_qc.core.models import Job
from annotation_qc.core.outbound import is_public_address, literal_host_problem, private_allowed
from annotation_qc.core.sealed import seal, unseal
from annotation_qc.core.storage import IMAGE_MEDIA_TYPES, StorageUnavailable
from annotation_qc.core.tokens import hex_tokens, public_token
from annotation_qc.datahealth.services.intake import rows_checked_write
from annotation_qc.domain.formats import FormatError, ParseOptions, SourceItem, parse_file, sniff_image
from annotation_qc.domain.formats.sidecar import (
    ANNOTATION_FILE_FORMATS,
    MAX_SIDECAR_BYTES,
    Sidecar,
    annotation_file_format,
    answers_by_key,
    parse_sidecar,
    stem,
)
from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.exchange.limits import import_limits
from annotation_qc.exchange.models import BucketSource, SourceObject, SourceSync
from annotation_qc.exchange.services.bucket_listing import Listed, folder_of, list_in_order, plan
from annotation_qc.exchange.services.images import inspect_image
from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.imports import items_insert, predictions_import
from annotation_qc.projects.models import Project

#: ``Item.image`` of an item whose image is an object of a bucket source.
REFERENCE_PREFIX = "bucket-object/"
#: Keys per write (items, their objects and the cursor in one transaction).
WRITE_BATCH = 5000
#: Bytes read from the head of an image to measure it (the whole image when the header lies beyond).
HEAD_BYTES = 64 * 1024
#: Rejected keys kept in a report (the total is always given).
REPORT_MAX_KEYS = 1000
MAX_EXTERNAL_ID = 255
#: Extensions an image beside a sidecar may have (to find an image synced before its sidecar).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".PNG", ".JPG", ".JPEG", ".WEBP", ".GIF")


class SourceUnreachable(Exception):
    """The bucket cannot be listed or read (credentials, endpoint, bucket name)."""


def source_create(
    *,
    project: Project,
    user_id: int | None,
    name: str,
    bucket: str,
    prefix: str = "",
    endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
    pattern: str = "",
    manifest: str = "",
    annotation_suffix: str = "",
    prediction_suffix: str = "",
    model_version: str = "",
    annotation_file: str = "",
) -> BucketSource:
    errors: dict[str, list[str]] = {}
    if annotation_file and annotation_file_format(annotation_file) is None:
        endings = ", ".join(f"{end} ({fmt})" for end, fmt in ANNOTATION_FILE_FORMATS.items())
        errors["annotation_file"] = [f"a key ending in {endings}"]
    if annotation_file and annotation_suffix:
        errors["annotation_file"] = ["annotation_suffix (a file beside each image) or one annotation_file"]
    if prediction_suffix and not model_version:
        errors["model_version"] = ["required with a prediction_suffix: the predictions' model version"]
    for name_, suffix in (("annotation_suffix", annotation_suffix), ("prediction_suffix", prediction_suffix)):
        if suffix and ("/" in suffix or "." not in suffix):
            errors[name_] = ["a file ending such as .json or .pred.json (no /)"]
    if annotation_suffix and annotation_suffix == prediction_suffix:
        errors["prediction_suffix"] = ["must differ from annotation_suffix"]
    if errors:
        raise ServiceError("Bad sidecar settings.", errors=errors)
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServiceError("Bad endpoint.", errors={"endpoint_url": ["an http:// or https:// URL"]})
        problem = literal_host_problem(endpoint_url)
        if problem is not None:
            raise ServiceError("Bad endpoint.", errors={"endpoint_url": [f"refused: {problem}"]})
    return BucketSource.objects.create(
        project=project,
        name=name,
        bucket=bucket,
        prefix=prefix,
        endpoint_url=endpoint_url,
        region=region,
        access_key_id=access_key_id,
        secret_access_key=seal(secret_access_key),
        pattern=pattern or BucketSource._meta.get_field("pattern").get_default(),
        manifest=manifest,
        annotation_suffix=annotation_suffix,
        prediction_suffix=prediction_suffix,
        model_version=model_version,
        annotation_file=annotation_file,
        created_by_id=user_id,
    )


def bucket_client(source: BucketSource) -> Any:
    if source.endpoint_url and not private_allowed():
        host = urlsplit(source.endpoint_url).hostname or ""
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        except OSError as exc:
            raise SourceUnreachable(f"{host} does not resolve: {exc}") from exc
        if not all(is_public_address(str(address)) for address in addresses):
            raise SourceUnreachable(f"{host} is not a public address")
    return boto3.client(
        "s3",
        endpoint_url=source.endpoint_url or None,
        region_name=source.region or None,
        aws_access_key_id=source.access_key_id or None,
        aws_secret_access_key=unseal(source.secret_access_key) or None,
        config=Config(
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=32,
        ),
    )


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """One regex for the source's file patterns (matched against the lowercased base name)."""
    parts = [fnmatch.translate(p.lower()) for p in pattern.split() if p]
    return re.compile("|".join(f"(?:{part})" for part in parts) or "(?!)")


@dataclass
class SyncReport:
    listed: int = 0
    matched: int = 0
    created: int = 0
    updated: int = 0
    already_synced: int = 0
    gold: int = 0
    predictions: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    rejected_total: int = 0
    #: New items from keys that sort at or before where an incremental sync starts listing (found only
    #: because the sync was a full rescan).
    behind_cursor: int = 0

    #: The data-health summary of the batches written (counts summed, failures capped).
    data_health: dict[str, Any] = field(default_factory=dict)

    def reject(self, key: str, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < REPORT_MAX_KEYS:
            self.rejected.append({"key": key, "reason": reason})

    def health(self, summary: dict[str, Any]) -> None:
        merged = self.data_health or {"checks": summary["checks"], "counts": {}, "failures": []}
        for check, per in summary["counts"].items():
            for action, count in per.items():
                merged["counts"].setdefault(check, {})
                merged["counts"][check][action] = merged["counts"][check].get(action, 0) + count
        merged["failures"] = (merged["failures"] + summary["failures"])[:REPORT_MAX_KEYS]
        for key in ("failures_total", "quarantined", "warned", "rejected"):
            merged[key] = merged.get(key, 0) + summary[key]
        self.data_health = merged


def full_rescan_due(source: BucketSource) -> bool:
    """Whether the next sync of a source is a full rescan by itself: after ``SOURCE_FULL_RESCAN_EVERY``
    - 1 incremental syncs that succeeded since the last full listing (a first sync is one: it lists
    from the start). Counted in syncs, not time: a source synced rarely is not rescanned more often than
    it is synced, and the cost of a rescan (one listing of the prefix, one lookup per key) is spread
    over the syncs between."""
    every = int(settings.ANNOTATION_QC.get("SOURCE_FULL_RESCAN_EVERY", 0))
    if every <= 0 or not source.cursor:
        return False  # never, or a first sync: it lists every key anyway
    done = SourceSync.objects.filter(source=source, job__status=Job.Status.SUCCEEDED)
    last_full = done.filter(cursor_before="").order_by("-pk").values_list("pk", flat=True).first()
    incremental = done.filter(pk__gt=last_full or 0).exclude(cursor_before="").count()
    return incremental >= every - 1


def source_sync_start(*, source: BucketSource, user_id: int | None, full: bool = False) -> SourceSync:
    """Enqueue a sync of the keys after the cursors (``full``: of every key, a full rescan; those
    synced and unchanged are skipped, changed ones updated, only missing ones created). A sync not
    asked to be full is one when :func:`full_rescan_due` says so (``params["scheduled"]``)."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.exchange.tasks import source_sync_task

    with transaction.atomic():
        BucketSource.objects.select_for_update().filter(pk=source.pk).first()  # one start at a time
        running = (
            SourceSync.objects.filter(source=source, job__status__in=[Job.Status.PENDING, Job.Status.RUNNING])
            .values_list("job_id", flat=True)
            .first()
        )
        if running is not None:
            raise Conflict(f"A sync of this source is under way (job {running}).", job_id=running)
        scheduled = not full and full_rescan_due(source)
        full = full or scheduled
        job = jobs.job_create(
            kind="source_sync",
            project_id=source.project_id,
            created_by_id=user_id,
            params={"source": source.pk, "full": full, "scheduled": scheduled},
        )
        sync = SourceSync.objects.create(source=source, job=job, cursor_before="" if full else source.cursor)
        sync_id = sync.pk
        enqueue_on_commit(
            source_sync_task,
            sync_id,
            on_unavailable=lambda: source_sync_fail(sync_id=sync_id, message=BROKER_DOWN),
            options=jobs.task_options("source_sync"),
        )
    return sync


def source_sync_fail(*, sync_id: int, message: str, report: dict[str, Any] | None = None) -> None:
    sync = SourceSync.objects.get(pk=sync_id)
    SourceSync.objects.filter(pk=sync_id).update(finished_at=timezone.now(), report=report or {})
    jobs.job_fail(job_id=sync.job_id, message=message, result=report)


def _manifest_sizes(client: Any, source: BucketSource) -> dict[str, tuple[int, int]]:
    """{key: (width, height)} from the source's manifest: a key of the bucket holding JSON Lines
    ``{"key", "width", "height"}`` (keys relative to the prefix)."""
    if not source.manifest:
        return {}
    key = source.manifest
    try:
        body = client.get_object(Bucket=source.bucket, Key=key)["Body"].read()
    except ClientError as exc:
        raise SourceUnreachable(f"manifest {key}: {describe_error(exc)}") from exc
    sizes: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            width, height = int(row["width"]), int(row["height"])
            entry = str(row["key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceUnreachable(f"manifest {key} line {number}: {exc}") from exc
        if width > 0 and height > 0:
            full = (
                posixpath.join(source.prefix, entry)
                if source.prefix and not entry.startswith(source.prefix)
                else entry
            )
            sizes[full] = (width, height)
    return sizes


@dataclass
class _Answers:
    """The answered images of a source's annotation file, by key; its rows that could not be read."""

    by_key: dict[str, SourceItem] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def _annotation_answers(client: Any, source: BucketSource) -> _Answers:
    """The source's annotation file, read as an import reads a file of its format (the whole file,
    at every sync, like the manifest). A file that cannot be read or is not its format fails the sync."""
    key = source.annotation_file
    fmt = annotation_file_format(key) if key else None
    if fmt is None:
        return _Answers()
    limit = import_limits().max_data_file_bytes
    try:
        raw = client.get_object(Bucket=source.bucket, Key=key)["Body"].read(limit + 1)
    except ClientError as exc:
        raise SourceUnreachable(f"annotation file {key}: {describe_error(exc)}") from exc
    if len(raw) > limit:
        raise SourceUnreachable(f"annotation file {key}: larger than {limit} bytes")
    project = source.project
    options = ParseOptions(
        kind=project.payload_kind, labels=tuple(project.labels), target="gold", max_boxes=project.max_boxes
    )
    try:
        parsed = parse_file(raw, fmt, options)
    except FormatError as exc:
        raise SourceUnreachable(f"annotation file {key}: {exc}") from exc
    return _Answers(
        by_key=answers_by_key(parsed, source.prefix),
        rejected=[(f"{key} {r.row}", r.reason) for r in parsed.rejected],
    )


def _measure(client: Any, bucket: str, key: str) -> tuple[int, int, str] | str:
    """(width, height, media type) of an image object from its head, or why it cannot be used."""
    limits = import_limits()
    try:
        head = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            return "deleted before it could be imported"
        return f"cannot be read: {code or exc}"
    kind = sniff_image(head[:16])
    if kind is None:
        return "not a PNG, JPEG, WebP or GIF image (judged by its content)"
    try:
        with Image.open(io.BytesIO(head)) as image:
            width, height = image.size
    except Exception:
        # The header lies beyond the first bytes (large metadata): read the whole image, bounded.
        try:
            content = client.get_object(Bucket=bucket, Key=key)["Body"].read(limits.max_image_bytes + 1)
        except ClientError:
            return "deleted before it could be imported"
        info = inspect_image(content, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels)
        if isinstance(info, str):
            return info
        width, height = info.width, info.height
    if width * height > limits.max_image_pixels:
        return f"{width}x{height} pixels; at most {limits.max_image_pixels} pixels"
    return width, height, IMAGE_MEDIA_TYPES[kind]


def source_sync_retry(job: Job) -> None:
    """The watchdog's retry of a sync whose worker died: the keys it wrote are skipped (idempotent)."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.exchange.tasks import source_sync_task

    sync_id = SourceSync.objects.values_list("pk", flat=True).get(job_id=job.pk)
    enqueue_on_commit(
        source_sync_task,
        sync_id,
        on_unavailable=lambda: source_sync_fail(sync_id=sync_id, message=BROKER_DOWN),
        options=jobs.task_options("source_sync"),
    )


def source_sync_give_up(job: Job, message: str) -> None:
    sync_id = SourceSync.objects.values_list("pk", flat=True).get(job_id=job.pk)
    source_sync_fail(sync_id=sync_id, message=message)


def source_sync_run(*, sync_id: int) -> dict[str, Any]:
    """The job. Safe to run twice: a finished sync is left alone, a sync another live worker runs is
    left to it, and a retry after a crash lists from the same cursor and skips the keys already
    written (each batch of items and the cursor move commit together)."""
    sync = SourceSync.objects.select_related("source", "source__project").get(pk=sync_id)
    if sync.finished_at is not None:
        return sync.report
    with jobs.job_running(job_id=sync.job_id) as mine:
        if not mine:
            return sync.report
        return _sync(sync)


def _sync(sync: SourceSync) -> dict[str, Any]:
    sync_id = sync.pk
    source = sync.source
    jobs.job_start(job_id=sync.job_id, total=0)
    full = bool(sync.job.params.get("full")) if sync.job.params else False
    where = f"bucket {source.bucket}" + (f" (prefix {source.prefix})" if source.prefix else "")
    run: _Run | None = None
    try:
        client = bucket_client(source)
        _check_bucket(client, source)
        run = _Run(client, source, _manifest_sizes(client, source), full=full)
        run.answers = _annotation_answers(client, source)
        for row, reason in run.answers.rejected:
            run.report.reject(row, reason)
        run.sync()
    except (BotoCoreError, ClientError, SourceUnreachable) as exc:
        message = f"{where}: {describe_error(exc)}"
        result = _result(run.report if run else SyncReport(), source, full=full)
        source_sync_fail(sync_id=sync_id, message=message, report=result)
        return result
    report = run.report
    result = _result(report, source, full=full)
    SourceSync.objects.filter(pk=sync_id).update(
        finished_at=timezone.now(), cursor_after=source.cursor, report=result
    )
    if report.matched:
        message = f"{report.created} item(s) created from {where}."
        if full:
            message = f"Full rescan: {message[:-1]}, {report.behind_cursor} of them before the cursor."
        if report.updated:
            message += f" {report.updated} changed object(s) updated."
    else:
        message = f"No new keys under {where} match {source.pattern!r}."
    jobs.job_finish(job_id=sync.job_id, result=result, message=message)
    return result


def _check_bucket(client: Any, source: BucketSource) -> None:
    """HEAD the bucket; when it is refused, ask again with a listing of one key: a refused HEAD has no
    body, so the server's reason (a wrong secret, an unknown key, a policy) comes only with the listing's
    error."""
    try:
        client.head_bucket(Bucket=source.bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("403", "400"):
            raise
        client.list_objects_v2(Bucket=source.bucket, Prefix=source.prefix, MaxKeys=1)
        raise


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
            return f"access refused ({code}): check the credentials"
        if code in ("NoSuchBucket", "404"):
            return "no such bucket"
        return f"{code}: {error.get('Message', '')}".strip()
    return str(exc)


def _result(report: SyncReport, source: BucketSource, *, full: bool) -> dict[str, Any]:
    return {
        "source_id": source.pk,
        "full": full,
        "listed": report.listed,
        "matched": report.matched,
        "created": report.created,
        "behind_cursor": report.behind_cursor,
        "updated": report.updated,
        "already_synced": report.already_synced,
        "gold": report.gold,
        "predictions": report.predictions,
        "rejected": report.rejected,
        "rejected_total": report.rejected_total,
        "cursor": source.cursor,
        "data_health": report.data_health,
    }


def _external_id(source: BucketSource, key: str) -> str:
    return key[len(source.prefix) :].lstrip("/") if source.prefix and key.startswith(source.prefix) else key


@dataclass
class _Known:
    pk: int
    etag: str
    last_modified: datetime | None
    item_id: int


def _changed(entry: Listed, known: _Known) -> bool:
    """Whether the object behind a synced key was replaced: another ETag, or a later LastModified."""
    if entry.etag and known.etag and entry.etag != known.etag:
        return True
    return bool(entry.modified and known.last_modified and entry.modified > known.last_modified)


class _Run:
    """One sync: reads the ordered listing, writes it in batches (items, their objects, the cursors)."""

    def __init__(
        self, client: Any, source: BucketSource, sizes: dict[str, tuple[int, int]], *, full: bool
    ) -> None:
        self.client, self.source, self.sizes, self.full = client, source, sizes, full
        self.report = SyncReport()
        self.matches = _pattern_regex(source.pattern)
        self.suffixes = [s for s in (source.annotation_suffix, source.prediction_suffix) if s]
        #: Every key ever listed sorts at or before this: a key after it was never synced.
        self.synced_upto = source.cursor
        self.folder_cursors: dict[str, str] = dict(source.folder_cursors or {})
        #: Where an incremental sync would have started, per folder ("" for keys directly under the
        #: prefix); empty for a flat prefix (``synced_upto`` then). A retry of a rescan whose worker
        #: died starts from the cursors the batches written so far advanced.
        self.folder_starts = dict(self.folder_cursors)
        self.by_folder = any(folder for folder in self.folder_starts)  # as ``plan`` decides
        #: The answers of the source's annotation file (``annotation_file``), read at the start.
        self.answers = _Answers()

    def behind_cursor(self, key: str) -> bool:
        """Whether an incremental sync would not list this key: it sorts at or before the cursor of
        its folder (a flat prefix: the cursor)."""
        if not self.by_folder:
            return bool(self.synced_upto) and key <= self.synced_upto
        start = self.folder_starts.get(folder_of(self.source.prefix, key), "")
        return bool(start) and key <= start

    def sync(self) -> None:
        source = self.source
        listing = plan(
            prefix=source.prefix, cursor=source.cursor, folder_cursors=self.folder_cursors, full=self.full
        )
        pending: list[Listed] = []
        pages = list_in_order(self.client, bucket=source.bucket, listing=listing)
        try:
            for page in pages:
                self.report.listed += len(page)
                pending.extend(page)
                if len(pending) >= WRITE_BATCH:
                    cut = self._cut(pending)
                    self._write(pending[:cut])
                    pending = pending[cut:]
            self._write(pending)
        finally:
            pages.close()  # type: ignore[attr-defined]

    def _cut(self, entries: list[Listed]) -> int:
        """Where to end a batch: before the trailing keys that share a stem (an image and its sidecars
        are written together)."""
        if not self.suffixes:
            return len(entries)
        last = stem(entries[-1].key, self.suffixes)
        cut = len(entries)
        while cut > 0 and stem(entries[cut - 1].key, self.suffixes) == last:
            cut -= 1
        return cut or len(entries)

    def _is_image(self, key: str) -> bool:
        if key in (self.source.manifest, self.source.annotation_file):
            return False
        if any(key.endswith(suffix) for suffix in self.suffixes):
            return False
        return self.matches.fullmatch(posixpath.basename(key).lower()) is not None

    def _write(self, entries: list[Listed]) -> None:
        """Measure and create (or update) the items of a batch of keys, then move the cursors past them
        (one transaction)."""
        source, report = self.source, self.report
        images = [e for e in entries if self._is_image(e.key)]
        report.matched += len(images)
        sidecars = self._sidecars(entries)
        maybe_known = [e.key for e in images if self.full or e.key <= self.synced_upto]
        known = _known(source, maybe_known) if maybe_known else {}
        fresh: list[Listed] = []
        changed: list[tuple[Listed, _Known]] = []
        for entry in images:
            old = known.get(entry.key)
            if old is None:
                fresh.append(entry)
            elif _changed(entry, old):
                changed.append((entry, old))
            else:
                report.already_synced += 1
        usable = self._usable(fresh)
        measured = _sizes(self.client, source, usable + [e for e, _ in changed], self.sizes)
        rows: list[dict[str, Any]] = []
        gold_rows: list[dict[str, Any]] = []
        objects: list[tuple[Listed, str]] = []
        gold_objects: list[tuple[Listed, str]] = []
        stems = {stem(e.key, self.suffixes): e for e in usable}
        parsed = self._read_sidecars(sidecars, stems, measured)
        tokens = hex_tokens(len(usable))
        for entry, token in zip(usable, tokens, strict=True):
            size = measured[entry.key]
            if isinstance(size, str):
                report.reject(entry.key, size)
                continue
            row = {
                "external_id": _external_id(source, entry.key),
                "image": REFERENCE_PREFIX + token,
                "width": size[0],
                "height": size[1],
                "metadata": {"source": {"bucket_source": source.pk}},
            }
            gold = parsed.gold.get(entry.key)
            answer = self._answer(entry.key, size) if gold is None else gold.payload
            if answer is not None:
                gold_rows.append({**row, "payload": answer})
                gold_objects.append((entry, token))
            else:
                rows.append(row)
                objects.append((entry, token))
        updates = [
            (entry, old, size) for entry, old in changed if not isinstance(size := measured[entry.key], str)
        ]
        for entry, _ in changed:
            if isinstance(measured[entry.key], str):
                report.reject(entry.key, f"changed since the last sync: {measured[entry.key]}")
        with transaction.atomic():
            if rows:
                # The project's data-health checks (datahealth app): refused keys are reported, held items
                # quarantined, the batch audited.
                def create(kept: list[int]) -> list[int]:
                    ids = items_insert(project=source.project, rows=[rows[i] for i in kept])
                    _write_objects(source, [objects[i] for i in kept], ids, parsed.etags)
                    return ids

                intake = rows_checked_write(
                    project=source.project,
                    rows=rows,
                    write=create,
                    actor_id=None,
                    origin=f"bucket source {source.pk}",
                    all_or_nothing=False,
                )
                for index, reason in intake.rejected.items():
                    report.reject(objects[index][0].key, reason)
                report.created += intake.created
                if self.full:
                    report.behind_cursor += sum(
                        1
                        for index, (entry, _) in enumerate(objects)
                        if index not in intake.rejected and self.behind_cursor(entry.key)
                    )
                report.health(intake.summary)
            if gold_rows:
                golds = gold_import(project=source.project, rows=gold_rows, user=source.created_by)
                _write_objects(source, gold_objects, [g.item_id for g in golds], parsed.etags)
                report.created += len(golds)
                report.gold += len(golds)
                if self.full:
                    report.behind_cursor += sum(
                        1 for entry, _ in gold_objects if self.behind_cursor(entry.key)
                    )
            if updates:
                _update_changed(updates)
                report.updated += len(updates)
            if parsed.predictions:
                report.predictions += self._write_predictions(parsed)
            if entries:
                self._advance(entries)

    def _answer(self, key: str, size: tuple[int, int]) -> dict[str, Any] | None:
        """The annotation file's answer for a new image, checked against the image's own size (a
        row that does not fit is reported and the image becomes a plain item)."""
        found = self.answers.by_key.get(key)
        if found is None or found.payload is None:
            return None
        project = self.source.project
        try:
            return validate_payload(
                found.payload,
                kind=project.payload_kind,
                labels=project.labels,
                width=size[0],
                height=size[1],
                max_boxes=project.max_boxes,
            )
        except PayloadError as exc:
            self.report.reject(f"{self.source.annotation_file} {found.row}", f"{key}: {exc}")
            return None

    def _usable(self, fresh: list[Listed]) -> list[Listed]:
        """The new keys that can become items (external id free and short enough)."""
        if not fresh:
            return []
        source = self.source
        ids = [_external_id(source, e.key) for e in fresh]
        taken = set(
            Item.objects.filter(project_id=source.project_id, external_id__any=ids).values_list(
                "external_id", flat=True
            )
        )
        usable = []
        for entry, external_id in zip(fresh, ids, strict=True):
            if len(external_id) > MAX_EXTERNAL_ID:
                self.report.reject(entry.key, f"longer than {MAX_EXTERNAL_ID} characters as an external id")
            elif external_id in taken:
                self.report.reject(
                    entry.key, f"the project already has an item '{external_id}' from another import"
                )
            else:
                usable.append(entry)
        return usable

    def _sidecars(self, entries: list[Listed]) -> dict[str, dict[str, Listed]]:
        """{stem: {"annotation" | "prediction": listed sidecar}} of a batch."""
        found: dict[str, dict[str, Listed]] = {}
        source = self.source
        roles = (("annotation", source.annotation_suffix), ("prediction", source.prediction_suffix))
        for role, suffix in roles:
            if not suffix:
                continue
            for entry in entries:
                if entry.key.endswith(suffix) and len(entry.key) > len(suffix):
                    found.setdefault(entry.key[: -len(suffix)], {})[role] = entry
        return found

    def _read_sidecars(
        self,
        sidecars: dict[str, dict[str, Listed]],
        stems: dict[str, Listed],
        measured: dict[str, tuple[int, int] | str],
    ) -> _Sidecars:
        """Read and check the sidecars of a batch: an annotation for a new image of the batch (gold), a
        prediction for a new image or for one synced earlier."""
        out = _Sidecars()
        if not sidecars:
            return out
        source, project = self.source, self.source.project
        earlier: dict[str, _Earlier] = {}
        orphans = [s for s in sidecars if s not in stems]
        if orphans:
            earlier = _earlier_images(source, orphans, self.matches)
        todo: list[tuple[Listed, str, tuple[int, int], str]] = []  # sidecar, role, size, image key/item
        for sidecar_stem, roles in sidecars.items():
            image = stems.get(sidecar_stem)
            for role, entry in roles.items():
                if image is not None:
                    size = measured.get(image.key)
                    if isinstance(size, tuple):
                        todo.append((entry, role, size, image.key))
                    continue
                found = earlier.get(sidecar_stem)
                if found is None:
                    self.report.reject(entry.key, "no new image beside it")
                elif found.sidecars.get(role) == entry.etag:
                    continue  # read with its image already, unchanged since
                elif role == "annotation":
                    self.report.reject(
                        entry.key,
                        "added or changed after its image was synced: a sync does not make an item gold "
                        "afterwards nor replace a gold answer",
                    )
                else:
                    todo.append((entry, role, (found.width, found.height), f"item:{found.item_id}"))
                    out.earlier[found.item_id] = found
        bodies = _read_objects(self.client, source.bucket, [t[0].key for t in todo])
        for entry, role, (width, height), target in todo:
            body = bodies[entry.key]
            if isinstance(body, str):
                self.report.reject(entry.key, body)
                continue
            try:
                sidecar = parse_sidecar(
                    body,
                    kind=project.payload_kind,
                    labels=project.labels,
                    width=width,
                    height=height,
                    max_boxes=project.max_boxes,
                    prediction=role == "prediction",
                )
            except ValueError as exc:
                self.report.reject(entry.key, f"not a usable {role} file: {exc}")
                continue
            if role == "annotation":
                out.gold[target] = sidecar
            else:
                out.predictions.append((target, sidecar))
            out.etags.setdefault(target, {})[role] = entry.etag
        return out

    def _write_predictions(self, parsed: _Sidecars) -> int:
        """The predictions of a batch's sidecars; the sidecars' ETags noted on the objects synced
        before (those of new objects are written with them)."""
        source, predictions = self.source, parsed.predictions
        earlier = [
            SourceObject(pk=found.pk, sidecars={**found.sidecars, **parsed.etags[f"item:{item_id}"]})
            for item_id, found in parsed.earlier.items()
            if f"item:{item_id}" in parsed.etags
        ]
        SourceObject.objects.bulk_update(earlier, ["sidecars"])
        by_item = {int(t[5:]): s for t, s in predictions if t.startswith("item:")}
        by_key = {t: s for t, s in predictions if not t.startswith("item:")}
        if by_key:
            for key, item_id in SourceObject.objects.filter(source=source, key__in=list(by_key)).values_list(
                "key", "item_id"
            ):
                by_item[item_id] = by_key[key]
        external = dict(Item.objects.filter(pk__in=list(by_item)).values_list("pk", "external_id"))
        rows = [
            {"external_id": external[pk], "payload": s.payload, "scores": s.scores, "proba": s.proba}
            for pk, s in by_item.items()
            if pk in external
        ]
        if not rows:
            return 0
        return predictions_import(
            project=source.project,
            model_version=source.model_version,
            rows=rows,
            owner_id=source.created_by_id,
        )

    def _advance(self, entries: list[Listed]) -> None:
        """Move the cursors forward past a written batch (a full resync never moves one back)."""
        source = self.source
        latest: dict[str, str] = {}
        for entry in entries:
            latest[folder_of(source.prefix, entry.key)] = entry.key  # listed in order: the last wins
        for folder, key in latest.items():
            if key > self.folder_cursors.get(folder, ""):
                self.folder_cursors[folder] = key
        source.cursor = max(source.cursor, entries[-1].key, *latest.values())
        source.folder_cursors = self.folder_cursors
        BucketSource.objects.filter(pk=source.pk).update(
            cursor=source.cursor, folder_cursors=self.folder_cursors
        )


@dataclass
class _Earlier:
    """An image synced before a sidecar of it was listed."""

    pk: int
    item_id: int
    width: int
    height: int
    sidecars: dict[str, str]


@dataclass
class _Sidecars:
    gold: dict[str, Sidecar] = field(default_factory=dict)  # image key: annotation
    predictions: list[tuple[str, Sidecar]] = field(default_factory=list)  # image key or "item:<id>"
    etags: dict[str, dict[str, str]] = field(default_factory=dict)  # image key or "item:<id>": role: ETag
    earlier: dict[int, _Earlier] = field(default_factory=dict)  # item id: its object


def _known(source: BucketSource, keys: list[str]) -> dict[str, _Known]:
    rows = SourceObject.objects.filter(source=source, key__in=keys).values_list(
        "key", "pk", "etag", "last_modified", "item_id"
    )
    return {key: _Known(pk, etag, modified, item_id) for key, pk, etag, modified, item_id in rows}


def _earlier_images(source: BucketSource, stems: list[str], matches: re.Pattern[str]) -> dict[str, _Earlier]:
    """{stem: image} of the images synced before whose stem a sidecar shares."""
    candidates = {f"{s}{ext}": s for s in stems for ext in IMAGE_EXTENSIONS}
    rows = SourceObject.objects.filter(source=source, key__in=list(candidates)).values_list(
        "key", "pk", "item_id", "item__width", "item__height", "sidecars"
    )
    return {
        candidates[key]: _Earlier(pk, item_id, w, h, sidecars or {})
        for key, pk, item_id, w, h, sidecars in rows
    }


def _write_objects(
    source: BucketSource,
    objects: list[tuple[Listed, str]],
    item_ids: list[int],
    sidecars: dict[str, dict[str, str]],
) -> None:
    """The ``SourceObject`` rows of new items (with the ETags of the sidecars read): COPY on PostgreSQL."""
    if connection.vendor != "postgresql":
        SourceObject.objects.bulk_create(
            [
                SourceObject(
                    source=source,
                    key=entry.key,
                    token=token,
                    etag=entry.etag,
                    size=entry.size,
                    last_modified=entry.modified,
                    sidecars=sidecars.get(entry.key, {}),
                    item_id=item_id,
                )
                for (entry, token), item_id in zip(objects, item_ids, strict=True)
            ],
            batch_size=WRITE_BATCH,
        )
        return
    table = SourceObject._meta.db_table
    source_id = str(source.pk)
    lines = [
        "\t".join(
            (
                source_id,
                _copy_text(entry.key),
                token,
                _copy_text(entry.etag),
                str(entry.size),
                entry.modified.isoformat() if entry.modified else r"\N",
                _copy_text(json.dumps(sidecars.get(entry.key, {}))),
                str(item_id),
            )
        )
        for (entry, token), item_id in zip(objects, item_ids, strict=True)
    ]
    columns = "source_id, key, token, etag, size, last_modified, sidecars, item_id"
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write("\n".join(lines) + "\n")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_text(value: str) -> str:
    """A text value for COPY's text format (backslash, tab and line breaks escaped)."""
    return value if _NEEDS_ESCAPE.search(value) is None else value.translate(_COPY_ESCAPES)


def _update_changed(updates: list[tuple[Listed, _Known, tuple[int, int]]]) -> None:
    """A replaced object: its item takes the new size and a new image token (no stale cached image)."""
    items = Item.objects.in_bulk([old.item_id for _, old, _ in updates])
    objects = SourceObject.objects.in_bulk([old.pk for _, old, _ in updates])
    for entry, old, (width, height) in updates:
        item = items[old.item_id]
        item.width, item.height, item.image_token = width, height, public_token()
        obj = objects[old.pk]
        obj.etag, obj.size, obj.last_modified = entry.etag, entry.size, entry.modified
    Item.objects.bulk_update(items.values(), ["width", "height", "image_token"])
    SourceObject.objects.bulk_update(objects.values(), ["etag", "size", "last_modified"])


def _read_objects(client: Any, bucket: str, keys: list[str]) -> dict[str, bytes | str]:
    """The bodies of small objects (sidecars), read in parallel, or why one cannot be read."""

    def read(key: str) -> bytes | str:
        try:
            return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_SIDECAR_BYTES + 1))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return "deleted before it could be imported"
            return f"cannot be read: {code or exc}"

    if not keys:
        return {}
    workers = max(1, import_limits().fetch_concurrency)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(keys, pool.map(read, keys), strict=True))


def _sizes(
    client: Any, source: BucketSource, entries: list[Listed], sizes: dict[str, tuple[int, int]]
) -> dict[str, tuple[int, int] | str]:
    found: dict[str, tuple[int, int] | str] = {e.key: sizes[e.key] for e in entries if e.key in sizes}
    todo = [e.key for e in entries if e.key not in found]
    if todo:
        workers = max(1, import_limits().fetch_concurrency)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for key, measured in zip(
                todo, pool.map(lambda k: _measure(client, source.bucket, k), todo), strict=True
            ):
                found[key] = measured if isinstance(measured, str) else measured[:2]
    return found


def source_object_stream(token: str) -> tuple[Iterator[bytes], str] | None:
    """The bytes of a source object an item references, streamed (its key never reaches the client)."""
    obj = SourceObject.objects.select_related("source").filter(token=token).first()
    if obj is None:
        return None
    try:
        client = bucket_client(obj.source)
        body = client.get_object(Bucket=obj.source.bucket, Key=obj.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None  # deleted from the bucket since the sync
        raise StorageUnavailable(f"bucket {obj.source.bucket}: {describe_error(exc)}") from exc
    except (BotoCoreError, SourceUnreachable) as exc:
        raise StorageUnavailable(f"bucket {obj.source.bucket}: {describe_error(exc)}") from exc
    content_type = body.get("ContentType") or "application/octet-stream"
    stream = body["Body"]
    head = stream.read(16)
    kind = sniff_image(head)
    if kind is not None:
        content_type = IMAGE_MEDIA_TYPES[kind]

    def chunks() -> Iterator[bytes]:
        yield head
        yield from stream.iter_chunks(64 * 1024)

    return chunks(), content_type
