"""Where files live: item images, import uploads and export snapshots, through Django's storage API.

Two backends, chosen by the environment (``config/settings/base.py``): the local file system under
``MEDIA_ROOT`` (the embedded default) and S3-compatible object storage (``ObjectStorage``, when
``AWS_STORAGE_BUCKET_NAME`` is set). Every key is opaque (:func:`opaque_key`): random, with no item
id, file name, project or kind in it, so a presigned URL an annotator sees tells nothing.

With object storage, files are served by redirecting (after the permission check) to a short-lived
presigned URL, and large uploads go straight to the bucket through a presigned POST.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect, StreamingHttpResponse
from storages.backends.s3 import S3Storage

from annotation_qc.core.exceptions import NotFound, ServiceError
from annotation_qc.domain.formats import sniff_image

IMAGE_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def opaque_key() -> str:
    """A fresh storage key: 128 random bits, fanned out over two levels of 256 folders each."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}"


class StorageUnavailable(ServiceError):
    """Object storage answered with an error or could not be reached (never a fallback to local disk)."""

    status_code = 503


def storage_error(exc: Exception) -> StorageUnavailable:
    """The API error for a failed storage call, naming the bucket."""
    store = storages["default"]
    where = f"bucket {store.bucket_name}" if isinstance(store, ObjectStorage) else "file storage"
    return StorageUnavailable(f"Object storage unavailable ({where}): {exc}")


#: What boto3 raises when the bucket cannot be reached or refuses a call.
STORAGE_ERRORS = (BotoCoreError, ClientError)


class ObjectStorage(S3Storage):
    """django-storages' S3 backend, presigning against the address browsers reach the bucket at.

    Inside a compose network the app talks to ``http://minio:9000`` while a browser needs
    ``http://localhost:9000``; a presigned signature covers the host, so URLs handed out are signed
    by a client configured with ``public_endpoint_url`` (the endpoint itself when unset).
    """

    public_endpoint_url: str | None = None

    def __init__(self, **options: Any) -> None:
        self.public_endpoint_url = options.pop("public_endpoint_url", None) or None
        super().__init__(**options)
        # Fail in seconds, not minutes, when the endpoint is down (the request or job then says so).
        self.client_config: Config = self.client_config.merge(
            Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"})
        )
        self._public_client: Any = None

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        # Keys are random: never HEAD for a free name before a write.
        defaults["file_overwrite"] = True
        defaults["signature_version"] = defaults.get("signature_version") or "s3v4"
        return defaults

    @property
    def client(self) -> Any:
        return self.connection.meta.client

    def _signing_client(self) -> Any:
        if not self.public_endpoint_url or self.public_endpoint_url == self.endpoint_url:
            return self.client
        if self._public_client is None:
            self._public_client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=(self.client_config or Config()).merge(Config(signature_version="s3v4")),
                verify=self.verify,
            )
        return self._public_client

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        params = dict(parameters or {})
        params["Bucket"] = self.bucket_name
        params["Key"] = self._normalize_name(name)
        url: str = self._signing_client().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )
        return url

    def presigned_post(self, name: str, *, max_bytes: int, expire: int) -> dict[str, Any]:
        """A form upload straight to the bucket, for exactly this key and at most ``max_bytes``."""
        post: dict[str, Any] = self._signing_client().generate_presigned_post(
            Bucket=self.bucket_name,
            Key=self._normalize_name(name),
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=expire,
        )
        return post

    def head_bytes(self, name: str, count: int) -> bytes:
        """The first ``count`` bytes of an object (one ranged GET, not the whole object)."""
        try:
            response = self.client.get_object(
                Bucket=self.bucket_name, Key=self._normalize_name(name), Range=f"bytes=0-{count - 1}"
            )
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 416):
                raise FileNotFoundError(f"No object {name}") from exc
            raise
        data: bytes = response["Body"].read()
        return data


@dataclass(frozen=True)
class DirectUpload:
    """A presigned POST: the form's target and fields, then the file as the field ``file``."""

    url: str
    fields: dict[str, str]


def is_object_storage() -> bool:
    return isinstance(storages["default"], ObjectStorage)


def _object_storage() -> ObjectStorage:
    store = storages["default"]
    if not isinstance(store, ObjectStorage):
        raise StorageUnavailable("Object storage is not configured (AWS_STORAGE_BUCKET_NAME).")
    return store


def url_expire_seconds() -> int:
    return int(settings.ANNOTATION_QC["STORAGE_URL_EXPIRE_SECONDS"])


def presigned_download(
    name: str, *, content_type: str | None = None, filename: str | None = None
) -> str | None:
    """A short-lived URL for the object, or None when files are on the local disk (stream them)."""
    if not is_object_storage():
        return None
    params: dict[str, str] = {}
    if content_type:
        params["ResponseContentType"] = content_type
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    try:
        return _object_storage().url(name, parameters=params, expire=url_expire_seconds())
    except STORAGE_ERRORS as exc:
        raise storage_error(exc) from exc


def presigned_upload(name: str, *, max_bytes: int, expire: int) -> DirectUpload:
    post = _object_storage().presigned_post(name, max_bytes=max_bytes, expire=expire)
    return DirectUpload(url=post["url"], fields=dict(post["fields"]))


def head_bytes(name: str, count: int = 16) -> bytes:
    """The first bytes of a stored file, without reading the rest of it."""
    if is_object_storage():
        return _object_storage().head_bytes(name, count)
    with default_storage.open(name, "rb") as stream:
        data: bytes = stream.read(count)
    return data


#: Item images kept outside the default storage, by the prefix of their name (``Item.image``): an
#: opener takes the rest of the name and returns the bytes and their media type, or None when gone.
#: Bucket sources register theirs (annotation_qc.exchange.apps); such images are streamed, so the
#: object's own key never reaches the client.
REFERENCE_OPENERS: dict[str, Callable[[str], tuple[Iterator[bytes], str] | None]] = {}


def image_response(name: str) -> HttpResponseBase:
    """A stored image, for a request that passed its permission check.

    Object storage: a 302 to a presigned URL (the redirect itself is never cached, so a page asking
    again after the URL expired gets a fresh one). Local disk: the bytes, typed by their signature.
    """
    for prefix, opener in REFERENCE_OPENERS.items():
        if name.startswith(prefix):
            opened = opener(name[len(prefix) :])
            if opened is None:
                raise NotFound("This item's image is no longer available.")
            chunks, content_type = opened
            streamed = StreamingHttpResponse(chunks, content_type=content_type)
            streamed["Cache-Control"] = "private, max-age=3600"
            return streamed
    redirect = presigned_download(name)
    if redirect is not None:
        response: HttpResponseBase = HttpResponseRedirect(redirect)
        response["Cache-Control"] = "private, no-store"
        return response
    stream = default_storage.open(name, "rb")
    kind = sniff_image(stream.read(16))
    stream.seek(0)
    response = FileResponse(
        stream, content_type=IMAGE_MEDIA_TYPES.get(kind or "", "application/octet-stream")
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
