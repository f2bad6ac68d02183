"""Bucket sources: a prefix of an S3-compatible bucket whose images become items, synced incrementally.

A sync lists only the keys after the source's cursor (``StartAfter``, S3 lists keys in order), keeps
those matching the file pattern, measures each new image (a ranged GET of its head, or its size from
the source's manifest file) and creates items that reference the objects: no copy. It writes a batch
of items, their ``SourceObject`` rows and the advanced cursor in one transaction, so a sync that dies
half-way leaves a consistent cursor and the next one picks up after it; a key already synced is
skipped, so syncing again never duplicates items. Keys that cannot be used (not an image, deleted
between the list and the read, an external id taken by another import) are listed in the report.
"""

from __future__ import annotations

import fnmatch
import io
import json
import posixpath
import secrets
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.db import transaction
from django.utils import timezone
from PIL import Image

from annotation_qc.core import jobs
from annotation_qc.core.exceptions import Conflict, ServiceError
from annotation_qc.core.models import Job
from annotation_qc.core.outbound import is_public_address, literal_host_problem, private_allowed
from annotation_qc.core.sealed import seal, unseal
from annotation_qc.core.storage import IMAGE_MEDIA_TYPES, StorageUnavailable
from annotation_qc.domain.formats import sniff_image
from annotation_qc.exchange.limits import import_limits
from annotation_qc.exchange.models import BucketSource, SourceObject, SourceSync
from annotation_qc.exchange.services.images import inspect_image
from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.imports import items_import
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
) -> BucketSource:
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


def _matches(key: str, patterns: list[str]) -> bool:
    base = posixpath.basename(key).lower()
    return any(fnmatch.fnmatchcase(base, pattern) for pattern in patterns)


@dataclass
class Listed:
    key: str
    etag: str
    size: int


@dataclass
class SyncReport:
    listed: int = 0
    matched: int = 0
    created: int = 0
    already_synced: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    rejected_total: int = 0

    def reject(self, key: str, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < REPORT_MAX_KEYS:
            self.rejected.append({"key": key, "reason": reason})


def source_sync_start(*, source: BucketSource, user_id: int | None, full: bool = False) -> SourceSync:
    """Enqueue a sync of the keys after the cursor (``full``: of every key; those synced are skipped)."""
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
        job = jobs.job_create(
            kind="source_sync",
            project_id=source.project_id,
            created_by_id=user_id,
            params={"source": source.pk, "full": full},
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


def _pages(client: Any, source: BucketSource, start_after: str) -> Iterator[list[Listed]]:
    kwargs: dict[str, Any] = {"Bucket": source.bucket, "Prefix": source.prefix, "MaxKeys": 1000}
    if start_after:
        kwargs["StartAfter"] = start_after
    while True:
        page = client.list_objects_v2(**kwargs)
        yield [
            Listed(key=entry["Key"], etag=entry.get("ETag", "").strip('"'), size=int(entry.get("Size", 0)))
            for entry in page.get("Contents", [])
        ]
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def _manifest_sizes(client: Any, source: BucketSource) -> dict[str, tuple[int, int]]:
    """{key: (width, height)} from the source's manifest: a key of the bucket holding JSON Lines
    ``{"key", "width", "height"}`` (keys relative to the prefix)."""
    if not source.manifest:
        return {}
    key = source.manifest
    try:
        body = client.get_object(Bucket=source.bucket, Key=key)["Body"].read()
    except ClientError as exc:
        raise SourceUnreachable(f"manifest {key}: {exc}") from exc
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
    report = SyncReport()
    where = f"bucket {source.bucket}" + (f" (prefix {source.prefix})" if source.prefix else "")
    try:
        client = bucket_client(source)
        client.head_bucket(Bucket=source.bucket)
        sizes = _manifest_sizes(client, source)
        manifest_key = source.manifest or None
        patterns = [p.lower() for p in source.pattern.split() if p]
        pending: list[Listed] = []
        last_listed: str | None = None
        for page in _pages(client, source, sync.cursor_before):
            report.listed += len(page)
            for entry in page:
                if entry.key != manifest_key and _matches(entry.key, patterns):
                    pending.append(entry)
                    report.matched += 1
            if page:
                last_listed = page[-1].key
            if len(pending) >= WRITE_BATCH:
                _write(client, source, pending, sizes, report, last=last_listed)
                pending = []
        _write(client, source, pending, sizes, report, last=last_listed)
    except (BotoCoreError, ClientError, SourceUnreachable) as exc:
        message = f"{where}: {describe_error(exc)}"
        result = _result(report, source)
        source_sync_fail(sync_id=sync_id, message=message, report=result)
        return result
    result = _result(report, source)
    SourceSync.objects.filter(pk=sync_id).update(
        finished_at=timezone.now(), cursor_after=source.cursor, report=result
    )
    message = (
        f"{report.created} item(s) created from {where}."
        if report.matched
        else f"No new keys under {where} match {source.pattern!r}."
    )
    jobs.job_finish(job_id=sync.job_id, result=result, message=message)
    return result


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


def _result(report: SyncReport, source: BucketSource) -> dict[str, Any]:
    return {
        "source_id": source.pk,
        "listed": report.listed,
        "matched": report.matched,
        "created": report.created,
        "already_synced": report.already_synced,
        "rejected": report.rejected,
        "rejected_total": report.rejected_total,
        "cursor": source.cursor,
    }


def _advance(source: BucketSource, key: str) -> None:
    """Move the cursor forward to ``key`` (a full resync re-listing older keys never moves it back)."""
    BucketSource.objects.filter(pk=source.pk, cursor__lt=key).update(cursor=key)
    source.cursor = max(source.cursor, key)


def _external_id(source: BucketSource, key: str) -> str:
    return key[len(source.prefix) :].lstrip("/") if source.prefix and key.startswith(source.prefix) else key


def _write(
    client: Any,
    source: BucketSource,
    entries: list[Listed],
    sizes: dict[str, tuple[int, int]],
    report: SyncReport,
    last: str | None,
) -> None:
    """Measure and create the items of a batch of keys, then move the cursor past them (one transaction)."""
    if entries:
        known = set(
            SourceObject.objects.filter(source=source, key__in=[e.key for e in entries]).values_list(
                "key", flat=True
            )
        )
        report.already_synced += len(known)
        fresh = [e for e in entries if e.key not in known]
        ids = {e.key: _external_id(source, e.key) for e in fresh}
        taken = set(
            Item.objects.filter(project_id=source.project_id, external_id__in=list(ids.values())).values_list(
                "external_id", flat=True
            )
        )
        usable: list[Listed] = []
        for entry in fresh:
            external_id = ids[entry.key]
            if len(external_id) > MAX_EXTERNAL_ID:
                report.reject(entry.key, f"longer than {MAX_EXTERNAL_ID} characters as an external id")
            elif external_id in taken:
                report.reject(
                    entry.key, f"the project already has an item '{external_id}' from another import"
                )
            else:
                usable.append(entry)
        measured = _sizes(client, source, usable, sizes)
        rows, objects = [], []
        for entry in usable:
            size = measured[entry.key]
            if isinstance(size, str):
                report.reject(entry.key, size)
                continue
            token = secrets.token_hex(16)
            rows.append(
                {
                    "external_id": ids[entry.key],
                    "image": REFERENCE_PREFIX + token,
                    "width": size[0],
                    "height": size[1],
                    "metadata": {"source": {"bucket_source": source.pk}},
                }
            )
            objects.append((entry, token))
    else:
        rows, objects = [], []
    with transaction.atomic():
        if rows:
            items = items_import(project=source.project, rows=rows)
            SourceObject.objects.bulk_create(
                [
                    SourceObject(
                        source=source, key=entry.key, token=token, etag=entry.etag, size=entry.size, item=item
                    )
                    for (entry, token), item in zip(objects, items, strict=True)
                ],
                batch_size=WRITE_BATCH,
            )
            report.created += len(items)
        if last is not None:
            _advance(source, last)


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
