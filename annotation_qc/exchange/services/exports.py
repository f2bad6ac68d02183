"""Export snapshots: started by a request, built once by a job, never changed afterwards.

The content holds no timestamps and is written in a fixed order with sorted keys, so the same
labels give the same bytes and the same sha256; everything that changes with time (when, by
whom, agreement and benchmark figures, gold-set version, the priority model) is in the manifest.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any, cast

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from annotation_qc.core import jobs
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.core.models import Job
from annotation_qc.core.storage import opaque_key
from annotation_qc.datahealth.services.pseudonyms import (
    annotator_alias,
    manifest_pseudonymised,
    pseudonymise_enabled,
    records_pseudonymised,
)
from annotation_qc.domain.formats import (
    EXPORT_FORMATS,
    EXPORT_MEDIA_TYPES,
    ExportCounts,
    ExportFormat,
    ExportRecord,
    ExportTally,
    write_export,
)
from annotation_qc.exchange import selectors
from annotation_qc.exchange.models import ExportSnapshot
from annotation_qc.projects.models import Project

MANIFEST_SCHEMA = "annotation-qc/export-manifest/1"
#: Unresolved external ids listed in a manifest (the count is always given).
MANIFEST_MAX_UNRESOLVED = 10_000


def export_start(
    *,
    project: Project,
    user_id: int | None,
    fmt: str,
    include_raw: bool,
    include_gold: bool,
    target_source_id: int | None = None,
) -> ExportSnapshot:
    """Create the snapshot (and its job) and enqueue the build once the transaction commits."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.exchange.tasks import export_build_task

    if fmt not in EXPORT_FORMATS:
        raise ServiceError(
            "Unknown format.", errors={"format": [f"must be one of {', '.join(EXPORT_FORMATS)}"]}
        )
    if fmt == "coco" and project.kind != Project.Kind.BBOX:
        raise ServiceError(
            "COCO detection export is for bbox projects.",
            errors={"format": ["coco is for bbox projects; use csv, jsonl or label_studio"]},
        )
    options: dict[str, Any] = {"include_raw": include_raw, "include_gold": include_gold}
    if pseudonymise_enabled(project.pk):
        options["pseudonymise_annotators"] = True
    if target_source_id is not None:
        from annotation_qc.exchange.models import BucketSource

        if not BucketSource.objects.filter(pk=target_source_id, project=project).exists():
            raise ServiceError(
                "Unknown target.", errors={"target_source_id": ["not a bucket source of this project"]}
            )
        options["target_source_id"] = target_source_id
    with transaction.atomic():
        job = jobs.job_create(
            kind="export", project_id=project.pk, created_by_id=user_id, params={"format": fmt, **options}
        )
        export = ExportSnapshot.objects.create(
            project=project, job=job, format=fmt, options=options, created_by_id=user_id
        )
        export_id = export.pk
        enqueue_on_commit(
            export_build_task,
            export_id,
            on_unavailable=lambda: export_fail(export_id=export_id, message=BROKER_DOWN),
            options=jobs.task_options("export"),
        )
    return export


def export_fail(*, export_id: int, message: str) -> None:
    export = ExportSnapshot.objects.get(pk=export_id)
    if export.status == ExportSnapshot.Status.READY:
        return
    ExportSnapshot.objects.filter(pk=export_id).update(
        status=ExportSnapshot.Status.FAILED, finished_at=timezone.now()
    )
    jobs.job_fail(job_id=export.job_id, message=message)


class _HashingFile:
    """A binary file that hashes and counts what is written to it."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.file.write(data)


def export_build(*, export_id: int) -> ExportSnapshot:
    """Write the content and the manifest. A snapshot already built is returned untouched (immutable).

    The content is written a batch of items at a time to a temporary file (hashed as it is written)
    and then stored, so an export's size is not bounded by the worker's memory.
    """
    export = ExportSnapshot.objects.select_related("project", "created_by").get(pk=export_id)
    if export.status == ExportSnapshot.Status.READY:
        return export
    # One worker at a time (a redelivered task of a live job does nothing); nothing is served until
    # READY is set with the stored file, so a worker killed mid-build leaves no partial export.
    with jobs.job_running(job_id=export.job_id) as mine:
        if not mine:
            return export
        return _build(export)


def export_retry(job: Job) -> None:
    """The watchdog's retry of an export whose worker died."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.exchange.tasks import export_build_task

    export_id = ExportSnapshot.objects.values_list("pk", flat=True).get(job_id=job.pk)
    enqueue_on_commit(
        export_build_task,
        export_id,
        on_unavailable=lambda: export_fail(export_id=export_id, message=BROKER_DOWN),
        options=jobs.task_options("export"),
    )


def export_give_up(job: Job, message: str) -> None:
    export_fail(
        export_id=ExportSnapshot.objects.values_list("pk", flat=True).get(job_id=job.pk), message=message
    )


def _build(export: ExportSnapshot) -> ExportSnapshot:
    export_id = export.pk
    project = export.project
    include_raw = bool(export.options.get("include_raw"))
    include_gold = bool(export.options.get("include_gold"))
    ExportSnapshot.objects.filter(pk=export_id).update(status=ExportSnapshot.Status.RUNNING)
    jobs.job_start(job_id=export.job_id, total=2)

    reader = selectors.ExportReader(project=project, include_raw=include_raw, include_gold=include_gold)
    alias = annotator_alias(project_id=project.pk) if export.options.get("pseudonymise_annotators") else None
    passes: list[ExportTally] = []  # COCO reads the records twice; the last pass's count stands

    def chunks() -> Iterator[list[ExportRecord]]:
        tally = ExportTally()
        passes.append(tally)
        for chunk in reader.chunks():
            if alias is not None:
                chunk = records_pseudonymised(chunk, alias)
            tally.add(chunk)
            yield chunk

    fmt = cast(ExportFormat, export.format)
    media_type, _ = EXPORT_MEDIA_TYPES[export.format]
    with tempfile.TemporaryFile() as spool:
        content = _HashingFile(spool)
        write_export(chunks, fmt, content, kind=project.kind, labels=project.labels, include_raw=include_raw)
        digest = content.digest.hexdigest()
        jobs.job_advance(job_id=export.job_id, by=1)
        spool.seek(0)
        stored = File(spool)
        stored.content_type = media_type  # type: ignore[attr-defined]
        name = default_storage.save(opaque_key(), stored)
    counts = passes[-1].counts(labels=project.labels, include_raw=include_raw)
    manifest = _manifest(export, reader, counts, size=content.size, digest=digest, media_type=media_type)
    if alias is not None:
        manifest = manifest_pseudonymised(manifest, alias)
    ExportSnapshot.objects.filter(pk=export_id, status=ExportSnapshot.Status.RUNNING).update(
        status=ExportSnapshot.Status.READY,
        file=name,
        sha256=digest,
        size_bytes=content.size,
        manifest=manifest,
        finished_at=timezone.now(),
    )
    result: dict[str, Any] = {
        "export_id": export.pk,
        "sha256": digest,
        "items": counts.items,
        "unresolved": len(reader.unresolved),
    }
    target_id = export.options.get("target_source_id")
    if target_id is not None:
        try:
            result["target"] = export_target_write(
                source_id=int(target_id), stored_name=name, manifest=manifest
            )
        except TargetFailed as exc:
            jobs.job_fail(job_id=export.job_id, message=str(exc), result=result)
            export.refresh_from_db()
            return export
    jobs.job_finish(job_id=export.job_id, result=result, message=f"{counts.items} item(s) exported.")
    export.refresh_from_db()
    return export


class TargetFailed(Exception):
    """The export was built but could not be written to its bucket target."""


def export_target_write(*, source_id: int, stored_name: str, manifest: dict[str, Any]) -> dict[str, str]:
    """Copy a built export and its manifest under ``<prefix>exports/`` of a bucket source."""
    from annotation_qc.exchange.models import BucketSource
    from annotation_qc.exchange.services.bucket_sources import bucket_client, describe_error

    source = BucketSource.objects.get(pk=source_id)
    file_name = manifest["content"]["file_name"]
    key = f"{source.prefix}exports/{file_name}"
    try:
        client = bucket_client(source)
        with default_storage.open(stored_name, "rb") as stream:
            client.upload_fileobj(
                stream, source.bucket, key, ExtraArgs={"ContentType": manifest["content"]["media_type"]}
            )
        client.put_object(
            Bucket=source.bucket,
            Key=f"{key}.manifest.json",
            Body=json.dumps(manifest, sort_keys=True, indent=1).encode(),
            ContentType="application/json",
        )
    except Exception as exc:
        raise TargetFailed(
            f"The export was built, but writing it to bucket {source.bucket} failed: {describe_error(exc)}"
        ) from exc
    return {"bucket": source.bucket, "key": key}


def _manifest(
    export: ExportSnapshot,
    reader: selectors.ExportReader,
    counts: ExportCounts,
    *,
    size: int,
    digest: str,
    media_type: str,
) -> dict[str, Any]:
    project = export.project
    names = selectors.annotator_names(sorted(reader.annotator_counts))
    return {
        "schema": MANIFEST_SCHEMA,
        "export_id": export.pk,
        "project": {"id": project.pk, "name": project.name, "kind": project.kind, "labels": project.labels},
        "format": export.format,
        "options": export.options,
        "content": {
            "sha256": digest,
            "bytes": size,
            "media_type": media_type,
            "file_name": selectors.export_file_name(
                project_name=project.name, export_id=export.pk, sha256=digest, fmt=export.format
            ),
        },
        "counts": {
            **counts.to_dict(),
            "unresolved": len(reader.unresolved),
            "pending_review": len(reader.pending_review),
            "unlabeled": reader.unlabeled,
            "awaiting_overlap": reader.awaiting_overlap,
        },
        "unresolved": reader.unresolved[:MANIFEST_MAX_UNRESOLVED],
        # Items whose review is still open are not exported as final: listed here, no label written.
        "pending_review": reader.pending_review[:MANIFEST_MAX_UNRESOLVED],
        "annotators": [
            {
                "id": annotator_id,
                "username": names.get(annotator_id),
                "items": reader.annotator_counts[annotator_id],
            }
            for annotator_id in sorted(reader.annotator_counts)
        ],
        "agreement": selectors.agreement_figures(project=project),
        "benchmarks": selectors.benchmark_figures(project=project),
        "gold_set": selectors.gold_set_version(project=project),
        "priority": selectors.priority_lineage(project=project),
        "created_at": export.created_at.isoformat(),
        "created_by": (
            {"id": export.created_by.pk, "username": export.created_by.username}
            if export.created_by
            else None
        ),
        "built_at": timezone.now().isoformat(),
    }
