"""Starting an import: check the request, store the upload under opaque keys, enqueue the job."""

from __future__ import annotations

import json
import posixpath
import secrets
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from rest_framework import status

from annotation_qc.core import jobs
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.core.storage import STORAGE_ERRORS, opaque_key, storage_error
from annotation_qc.domain.formats import IMPORT_FORMATS, sniff_image, unsafe_name
from annotation_qc.exchange.limits import import_limits
from annotation_qc.exchange.models import DataImport
from annotation_qc.exchange.services.images import stored_delete
from annotation_qc.projects.models import Project

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


class UploadTooLarge(ServiceError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def upload_size_check(*, content_length: int, limit: int | None = None) -> None:
    """413 before anything is read when the request announces more than the import limit."""
    limit = import_limits().max_upload_bytes if limit is None else limit
    if content_length > limit:
        raise UploadTooLarge(
            f"The upload is {content_length} bytes; imports take at most {limit} bytes. "
            "Split it into several imports.",
            errors={"file": [f"larger than {limit} bytes"]},
        )


def _head(upload: File) -> bytes:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return bytes(head)


def file_role(upload: File) -> str:
    """What an uploaded ``file`` is, by its content: an archive, an image or an annotation file."""
    head = _head(upload)
    if head.startswith(ZIP_SIGNATURES):
        return "archive"
    if sniff_image(head) is not None:
        return "image"
    return "data"


def clean_name(name: str, path: str) -> str:
    base = posixpath.basename((name or "").replace("\\", "/"))
    problem = unsafe_name(base)
    if problem is not None:
        raise ServiceError(f"{path}: unusable file name ({problem}).", errors={path: [problem]})
    return base


def _check_request(*, project: Project, fmt: str, target: str, model_version: str, role: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if fmt not in IMPORT_FORMATS:
        errors["format"] = [f"must be one of {', '.join(IMPORT_FORMATS)}"]
    if fmt == "coco" and project.kind != Project.Kind.BBOX:
        errors["format"] = ["COCO detection files are for bbox projects"]
    if target == DataImport.Target.PREDICTIONS and not model_version:
        errors["model_version"] = ["required when importing predictions"]
    if fmt == "images" and target != DataImport.Target.ITEMS:
        errors["as"] = ["bare images carry no annotations: import them as items"]
    if role == "image" and fmt != "images":
        errors["file"] = [f"an image was uploaded with format {fmt}: use format 'images' (mixed formats)"]
    if role == "data" and fmt == "images":
        errors["file"] = ["format 'images' takes images or a zip of images, not an annotation file"]
    if errors:
        raise ServiceError("The import request is not usable; nothing was stored.", errors=errors)


def import_start(
    *,
    project: Project,
    user_id: int | None,
    fmt: str,
    target: str,
    model_version: str = "",
    data: Any = None,
    file: File | None = None,
    images: list[File] | None = None,
    copy_images: bool = False,
    upload_tokens: list[str] | None = None,
) -> DataImport:
    """Store the upload (a JSON body's ``data``, a ``file`` and/or ``images``) and enqueue its import.

    ``upload_tokens`` name files already sent straight to the bucket (direct_uploads).
    Images the file gives by URL are referenced; the job downloads those without a stated size (to
    measure them), and all of them with ``copy_images``.
    """
    if upload_tokens:
        if data is not None or file is not None or images:
            raise ServiceError(
                "Give uploads or files, not both.", errors={"uploads": ["mixed with data or files"]}
            )
        return _import_uploaded(
            project=project,
            user_id=user_id,
            fmt=fmt,
            target=target,
            model_version=model_version,
            tokens=upload_tokens,
            copy_images=copy_images,
        )
    limits = import_limits()
    images = images or []
    role = file_role(file) if file is not None else None
    _check_request(project=project, fmt=fmt, target=target, model_version=model_version, role=role)
    if role == "archive" and images:
        raise ServiceError(
            "Give an archive or images, not both.", errors={"images": ["mixed with an archive"]}
        )
    if data is not None and fmt == "images":
        raise ServiceError("Bad data.", errors={"data": ["format 'images' takes uploaded images, not data"]})
    if data is None and file is None and not images:
        raise ServiceError("Nothing to import.", errors={"file": ["give data, a file or images"]})
    if data is not None and (file is not None or images):
        raise ServiceError("Give data or files, not both.", errors={"data": ["mixed with an upload"]})

    stored: list[dict[str, Any]] = []
    batch = secrets.token_hex(8)  # groups the upload's files in logs; not a folder
    uploads: list[tuple[str, str, Any]] = []  # (role, name, content)
    if data is not None:
        if fmt in ("csv", "jsonl"):
            if not isinstance(data, str):
                raise ServiceError("Bad data.", errors={"data": [f"a {fmt} import takes the file's text"]})
            content = data.encode()
        else:
            content = json.dumps(data).encode()
        extension = {"csv": "csv", "jsonl": "jsonl"}.get(fmt, "json")
        uploads.append(("data", f"data.{extension}", ContentFile(content)))
    if file is not None:
        name = clean_name(file.name or "upload", "file")
        if role == "data" and (file.size or 0) > limits.max_data_file_bytes:
            raise UploadTooLarge(
                f"The annotation file is {file.size} bytes; at most {limits.max_data_file_bytes}.",
                errors={"file": [f"larger than {limits.max_data_file_bytes} bytes"]},
            )
        uploads.append((role or "data", name, file))
    names = {name for _, name, _ in uploads}
    for index, image in enumerate(images):
        name = clean_name(image.name or f"image-{index}", f"images[{index}]")
        if name in names:
            raise ServiceError(
                "Two uploads share a name.", errors={f"images[{index}]": [f"'{name}' appears twice"]}
            )
        names.add(name)
        if (image.size or 0) > limits.max_image_bytes:
            raise UploadTooLarge(
                f"images[{index}] '{name}' is {image.size} bytes; at most {limits.max_image_bytes}.",
                errors={f"images[{index}]": [f"larger than {limits.max_image_bytes} bytes"]},
            )
        if sniff_image(_head(image)) is None:
            raise ServiceError(
                f"images[{index}] '{name}' is not a PNG, JPEG, WebP or GIF image.",
                errors={f"images[{index}]": ["not a PNG, JPEG, WebP or GIF image (judged by its content)"]},
            )
        uploads.append(("image", name, image))

    try:
        for upload_role, name, content in uploads:
            try:
                path = default_storage.save(opaque_key(), content)
                size = default_storage.size(path)
            except STORAGE_ERRORS as exc:
                raise storage_error(exc) from exc
            stored.append({"role": upload_role, "name": name, "path": path, "size": size})
        data_import = _create(
            project=project,
            user_id=user_id,
            fmt=fmt,
            target=target,
            model_version=model_version,
            copy_images=copy_images,
            batch=batch,
            stored=stored,
        )
    except Exception:
        stored_delete([entry["path"] for entry in stored])
        raise
    return data_import


def _import_uploaded(
    *,
    project: Project,
    user_id: int | None,
    fmt: str,
    target: str,
    model_version: str,
    tokens: list[str],
    copy_images: bool,
) -> DataImport:
    from annotation_qc.exchange.services.direct_uploads import uploads_resolve

    files = uploads_resolve(project=project, user_id=user_id, tokens=tokens)
    others = [f for f in files if f.role != "image"]
    role = others[0].role if others else None
    _check_request(project=project, fmt=fmt, target=target, model_version=model_version, role=role)
    if role == "archive" and len(files) > 1:
        raise ServiceError(
            "Give an archive or images, not both.", errors={"uploads": ["images mixed with an archive"]}
        )
    stored = [{"role": f.role, "name": f.name, "path": f.path, "size": f.size} for f in files]
    return _create(
        project=project,
        user_id=user_id,
        fmt=fmt,
        target=target,
        model_version=model_version,
        copy_images=copy_images,
        batch=secrets.token_hex(8),
        stored=stored,
    )


def _create(
    *,
    project: Project,
    user_id: int | None,
    fmt: str,
    target: str,
    model_version: str,
    copy_images: bool,
    batch: str,
    stored: list[dict[str, Any]],
) -> DataImport:
    with transaction.atomic():
        job = jobs.job_create(
            kind="import",
            project_id=project.pk,
            created_by_id=user_id,
            params={
                "format": fmt,
                "as": target,
                "model_version": model_version,
                "copy_images": copy_images,
            },
        )
        data_import = DataImport.objects.create(
            project=project,
            job=job,
            format=fmt,
            target=target,
            model_version=model_version,
            copy_images=copy_images,
            storage_dir=batch,
            files=stored,
            size_bytes=sum(f["size"] for f in stored),
            created_by_id=user_id,
        )
        _enqueue(data_import)
    return data_import


def _enqueue(data_import: DataImport) -> None:
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.exchange.services.imports import import_fail
    from annotation_qc.exchange.tasks import import_run

    import_id = data_import.pk
    enqueue_on_commit(
        import_run,
        import_id,
        on_unavailable=lambda: import_fail(import_id=import_id, message=BROKER_DOWN),
        options=jobs.task_options("import"),
    )
