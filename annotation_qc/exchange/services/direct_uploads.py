"""Large uploads straight to the bucket: presigned POST slots, then an import that names them.

A manager asks for slots (``upload_slots_create``), sends each file to the bucket with the form it
got (no web worker holds the bytes), and starts the import with the slots' tokens
(``uploads_resolve``). A token is signed and names the opaque key, the project, the user and the
largest size the bucket accepts, so nobody can make an import read another project's objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage

from annotation_qc.core.exceptions import Conflict, ServiceError
from annotation_qc.core.storage import head_bytes, is_object_storage, opaque_key, presigned_upload
from annotation_qc.domain.formats import sniff_image
from annotation_qc.exchange.limits import import_limits
from annotation_qc.projects.models import Project

SALT = "annotation-qc.direct-upload.v1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
#: A token stays usable this long after its slot's POST expires (a large upload takes a while).
TOKEN_GRACE_SECONDS = 24 * 3600


def _expire_seconds() -> int:
    return int(settings.ANNOTATION_QC["DIRECT_UPLOAD_EXPIRE_SECONDS"])


def upload_slots_create(
    *, project: Project, user_id: int | None, files: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One presigned POST per file ({name, size}); 409 when files are not kept in a bucket."""
    from annotation_qc.exchange.services.uploads import UploadTooLarge, clean_name

    if not is_object_storage():
        raise Conflict(
            "Direct uploads need object storage (AWS_STORAGE_BUCKET_NAME); send the files with the "
            "import request instead."
        )
    limit = import_limits().max_upload_bytes
    total = sum(int(f["size"]) for f in files)
    if total > limit:
        raise UploadTooLarge(
            f"The files add up to {total} bytes; imports take at most {limit} bytes.",
            errors={"files": [f"larger than {limit} bytes in all"]},
        )
    expire = _expire_seconds()
    slots = []
    for index, entry in enumerate(files):
        name = clean_name(entry["name"], f"files[{index}].name")
        size = int(entry["size"])
        key = opaque_key()
        post = presigned_upload(key, max_bytes=size, expire=expire)
        token = signing.dumps({"k": key, "p": project.pk, "u": user_id, "n": name, "s": size}, salt=SALT)
        slots.append(
            {
                "name": name,
                "size": size,
                "token": token,
                "url": post.url,
                "fields": post.fields,
                "expires_in": expire,
            }
        )
    return slots


@dataclass(frozen=True)
class UploadedFile:
    role: str  # "archive", "image" or "data", judged by the content
    name: str
    path: str
    size: int


def _role(head: bytes) -> str:
    if head.startswith(ZIP_SIGNATURES):
        return "archive"
    if sniff_image(head) is not None:
        return "image"
    return "data"


def uploads_resolve(*, project: Project, user_id: int | None, tokens: list[str]) -> list[UploadedFile]:
    """The uploaded objects the tokens name, checked: this project's and user's slots, there, in bounds."""
    limits = import_limits()
    errors: dict[str, list[str]] = {}
    found: list[UploadedFile] = []
    names: set[str] = set()
    for index, token in enumerate(tokens):
        field = f"uploads[{index}]"
        try:
            slot = signing.loads(token, salt=SALT, max_age=_expire_seconds() + TOKEN_GRACE_SECONDS)
        except signing.SignatureExpired:
            errors[field] = ["the upload slot has expired: upload the file again"]
            continue
        except signing.BadSignature:
            errors[field] = ["not an upload token"]
            continue
        if slot.get("p") != project.pk or slot.get("u") != user_id:
            errors[field] = ["not an upload slot of yours in this project"]
            continue
        if slot["n"] in names:
            errors[field] = [f"'{slot['n']}' appears twice"]
            continue
        names.add(slot["n"])
        try:
            size = default_storage.size(slot["k"])
            head = head_bytes(slot["k"], 16) if size else b""
        except FileNotFoundError:
            errors[field] = [f"'{slot['n']}' has not been uploaded to its slot"]
            continue
        if size > slot["s"]:
            errors[field] = [f"'{slot['n']}' is {size} bytes; its slot takes at most {slot['s']}"]
            continue
        role = _role(head)
        if role == "image" and size > limits.max_image_bytes:
            errors[field] = [
                f"'{slot['n']}' is {size} bytes; images may have at most {limits.max_image_bytes}"
            ]
            continue
        if role == "data" and size > limits.max_data_file_bytes:
            errors[field] = [
                f"'{slot['n']}' is {size} bytes; annotation files at most {limits.max_data_file_bytes}"
            ]
            continue
        found.append(UploadedFile(role=role, name=slot["n"], path=slot["k"], size=size))
    if errors:
        raise ServiceError("Some uploads are not usable; nothing was imported.", errors=errors)
    if len([f for f in found if f.role != "image"]) > 1:
        raise ServiceError(
            "Give one annotation file or one archive.",
            errors={"uploads": ["more than one annotation file or archive"]},
        )
    return found
