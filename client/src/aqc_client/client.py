"""The annotation-qc client: one object per server, methods per task an ML team does."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from aqc_client._http import Transport
from aqc_client.errors import ChecksumMismatch, IncompatibleServer, JobFailed, JobTimeout, NotFound
from aqc_client.types import Export, Import, Job, Project, QueueEntry

#: The API versions this client speaks.
SUPPORTED_API_VERSIONS = frozenset({1})
#: Rows per request to the item and prediction endpoints (the server takes at most 10,000).
IMPORT_BATCH = 5_000
#: Every endpoint the client calls, by name: (method, path template). A test checks each against the schema.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "version": ("GET", "/api/v1/version/"),
    "token": ("POST", "/api/v1/auth/token/"),
    "me": ("GET", "/api/v1/auth/me/"),
    "projects": ("GET", "/api/v1/projects/"),
    "project_create": ("POST", "/api/v1/projects/"),
    "project": ("GET", "/api/v1/projects/{project_id}/"),
    "project_update": ("PATCH", "/api/v1/projects/{project_id}/"),
    "progress": ("GET", "/api/v1/projects/{project_id}/progress/"),
    "items": ("POST", "/api/v1/projects/{project_id}/items/"),
    "predictions": ("POST", "/api/v1/projects/{project_id}/predictions/"),
    "gold": ("POST", "/api/v1/projects/{project_id}/gold/"),
    "imports": ("POST", "/api/v1/projects/{project_id}/imports/"),
    "import": ("GET", "/api/v1/imports/{import_id}/"),
    "prioritize": ("POST", "/api/v1/projects/{project_id}/prioritize/"),
    "queue": ("GET", "/api/v1/projects/{project_id}/queue/"),
    "scorecards": ("GET", "/api/v1/projects/{project_id}/annotators/"),
    "agreement": ("GET", "/api/v1/projects/{project_id}/agreement/"),
    "findings": ("GET", "/api/v1/projects/{project_id}/findings/"),
    "exports": ("POST", "/api/v1/projects/{project_id}/exports/"),
    "export": ("GET", "/api/v1/exports/{export_id}/"),
    "export_download": ("GET", "/api/v1/exports/{export_id}/download/"),
    "job": ("GET", "/api/v1/jobs/{job_id}/"),
}
FORMAT_BY_SUFFIX = {".json": "coco", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".zip": "coco"}

ProgressCallback = Callable[[Job], None]


def _path(name: str, **params: Any) -> str:
    return ENDPOINTS[name][1].format(**params)


class Client:
    """A connection to one annotation-qc server.

    >>> client = Client("http://127.0.0.1:8000", token="...")          # or username= and password=
    >>> project = client.create_project("cars", kind="bbox", labels=["car", "person"])
    >>> client.import_items(project["id"], [{"external_id": "a", "image_url": "https://...", ...}])
    >>> for entry in client.queue(project["id"]):  # the prioritised queue, page by page
    ...     print(entry["external_id"], entry["score"])
    >>> path = client.export(project["id"], "coco", "labels.json")     # waits, downloads, verifies the sha256
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        check_version: bool = True,
    ) -> None:
        self.http = Transport(
            url, token=token, timeout=timeout, retries=retries, backoff=backoff, session=session
        )
        self._version_checked = not check_version
        if token is None and username is not None:
            if password is None:
                raise ValueError("password is needed with username")
            self.login(username, password)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Client:
        """A client from ``AQC_URL`` and ``AQC_TOKEN`` (or ``AQC_USERNAME`` and ``AQC_PASSWORD``)."""
        url = os.environ.get("AQC_URL", "http://127.0.0.1:8000")
        return cls(
            url,
            token=os.environ.get("AQC_TOKEN") or None,
            username=os.environ.get("AQC_USERNAME") or None,
            password=os.environ.get("AQC_PASSWORD") or None,
            **kwargs,
        )

    # --- plumbing ---------------------------------------------------------------------------------------

    def _call(
        self, name: str, *, params: dict[str, Any] | None = None, json_body: Any = None, **path: Any
    ) -> Any:
        self.check_version()
        method, _ = ENDPOINTS[name]
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        if json_body is not None:
            kwargs["json"] = json_body
        return self.http.json(method, _path(name, **path), **kwargs)

    def check_version(self) -> dict[str, Any] | None:
        """Refuse to talk to a server of an API version this client does not know (checked once)."""
        if self._version_checked:
            return None
        self._version_checked = True
        try:
            info = self.http.json("GET", _path("version"))
        except NotFound as exc:
            raise IncompatibleServer(
                f"{self.http.base_url} has no /api/v1/version/: it is not an annotation-qc server, "
                "or one older than this client; upgrade the server or use an older client"
            ) from exc
        version = int(info.get("api_version", 0))
        if version not in SUPPORTED_API_VERSIONS:
            raise IncompatibleServer(
                f"{self.http.base_url} speaks API version {version} (server {info.get('server_version')}), "
                f"this client speaks {sorted(SUPPORTED_API_VERSIONS)}: upgrade the client "
                "(pip install -U annotation-qc-client)"
            )
        return dict(info)

    def login(self, username: str, password: str, *, token_name: str = "aqc-client") -> str:
        """Exchange a username and password for an API token (kept on this client and returned)."""
        self.check_version()
        body = self.http.json(
            "POST", _path("token"), json={"username": username, "password": password, "name": token_name}
        )
        self.http.token = body["token"]
        return str(body["token"])

    def me(self) -> dict[str, Any]:
        return dict(self._call("me"))

    # --- projects ---------------------------------------------------------------------------------------

    def projects(self) -> list[Project]:
        self.check_version()
        return [Project(**row) for row in self.http.pages(_path("projects"))]

    def project(self, project_id: int) -> Project:
        return Project(**self._call("project", project_id=project_id))

    def create_project(
        self, name: str, *, kind: str, labels: Sequence[str], settings: dict[str, Any] | None = None
    ) -> Project:
        body = {"name": name, "kind": kind, "labels": list(labels), "settings": settings or {}}
        return Project(**self._call("project_create", json_body=body))

    def update_project(self, project_id: int, **changes: Any) -> Project:
        """Change ``name``, ``labels`` or ``settings`` (a subset of settings is merged by the server)."""
        return Project(**self._call("project_update", project_id=project_id, json_body=changes))

    def progress(self, project_id: int) -> dict[str, Any]:
        return dict(self._call("progress", project_id=project_id))

    # --- data in ----------------------------------------------------------------------------------------

    def _batched(
        self, name: str, project_id: int, rows: Iterable[dict[str, Any]], key: str, **extra: Any
    ) -> int:
        created, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) == IMPORT_BATCH:
                created += self._call(name, project_id=project_id, json_body={**extra, key: batch})["created"]
                batch = []
        if batch:
            created += self._call(name, project_id=project_id, json_body={**extra, key: batch})["created"]
        return created

    def import_items(self, project_id: int, items: Iterable[dict[str, Any]]) -> int:
        """Create items (``external_id``, ``image_url``, ``width``, ``height``, optional ``metadata``,
        ``features``, ``priority``), 5,000 per request; each request is all or nothing. Returns the count."""
        return self._batched("items", project_id, items, "items")

    def import_predictions(
        self, project_id: int, model_version: str, predictions: Iterable[dict[str, Any]]
    ) -> int:
        """Attach a model's predictions (rows from ``aqc_client.box_predictions`` / ``class_predictions``)."""
        return self._batched(
            "predictions", project_id, predictions, "predictions", model_version=model_version
        )

    def import_gold(self, project_id: int, items: Iterable[dict[str, Any]]) -> int:
        """Create gold items: item fields plus the known-correct ``payload`` (managers only)."""
        return self._batched("gold", project_id, items, "items")

    def import_file(
        self,
        project_id: int,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        as_: str = "items",
        model_version: str | None = None,
        copy_images: bool = False,
        images: Sequence[str | os.PathLike[str]] = (),
        wait: bool = True,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Import:
        """Upload a COCO / Label Studio / CSV / JSONL file (or a zip of one plus images) as an import job.

        With ``wait`` (the default) returns the finished import with its report; a rejected file raises
        ``JobFailed`` whose job ``result`` lists every rejected row.
        """
        file_path = Path(path)
        fmt = format or FORMAT_BY_SUFFIX.get(file_path.suffix.lower())
        if fmt is None:
            raise ValueError(f"cannot tell the format of {file_path.name}: pass format=")
        data = {"format": fmt, "as": as_, "copy_images": "true" if copy_images else "false"}
        if model_version:
            data["model_version"] = model_version
        self.check_version()
        with ExitStack() as stack:
            files = [("file", (file_path.name, stack.enter_context(file_path.open("rb")), _mime(file_path)))]
            for image in images:
                image_path = Path(image)
                files.append(
                    (
                        "images",
                        (image_path.name, stack.enter_context(image_path.open("rb")), _mime(image_path)),
                    )
                )
            body = self.http.json("POST", _path("imports", project_id=project_id), data=data, files=files)
        if not wait:
            return Import(id=body["import_id"], job_id=body["job_id"], status=body["status"])
        self.wait(body["job_id"], timeout=timeout, on_progress=on_progress)
        return Import(**self._call("import", import_id=body["import_id"]))

    # --- prioritisation -----------------------------------------------------------------------------------

    def prioritize(
        self,
        project_id: int,
        *,
        strategy: str | None = None,
        diversity_k: int | None = None,
        wait: bool = False,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Job:
        """Start a prioritisation run; returns its job (finished, with ``wait``)."""
        body = {k: v for k, v in {"strategy": strategy, "diversity_k": diversity_k}.items() if v is not None}
        started = self._call("prioritize", project_id=project_id, json_body=body)
        if not wait:
            return self.job(started["job_id"])
        return self.wait(started["job_id"], timeout=timeout, on_progress=on_progress)

    def queue(self, project_id: int, *, page_size: int = 1000) -> Iterator[QueueEntry]:
        """The prioritised queue, best first, fetched page by page as you iterate."""
        self.check_version()
        for row in self.http.pages(_path("queue", project_id=project_id), params={"limit": page_size}):
            yield QueueEntry(**row)

    # --- quality --------------------------------------------------------------------------------------------

    def scorecards(self, project_id: int) -> list[dict[str, Any]]:
        """One scorecard per annotator (benchmark accuracy with its interval, lint rate, agreement...)."""
        return list(self._call("scorecards", project_id=project_id))

    def agreement(self, project_id: int) -> dict[str, Any]:
        """The latest agreement report (``report`` is None before the first one) and its trend."""
        return dict(self._call("agreement", project_id=project_id))

    def findings(
        self, project_id: int, *, code: str | None = None, annotator: str | int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every stored linter finding, newest first, page by page."""
        self.check_version()
        params = {k: v for k, v in {"code": code, "annotator": annotator}.items() if v is not None}
        yield from self.http.pages(_path("findings", project_id=project_id), params=params)

    # --- jobs and data out ----------------------------------------------------------------------------------

    def job(self, job_id: int) -> Job:
        return Job(**self._call("job", job_id=job_id))

    def wait(
        self,
        job_id: int,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        on_progress: ProgressCallback | None = None,
    ) -> Job:
        """Poll a job until it ends; returns it when it succeeded, raises ``JobFailed`` when it failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = poll
        while True:
            job = self.job(job_id)
            if on_progress is not None:
                on_progress(job)
            if job.get("status") == "succeeded":
                return job
            if job.get("status") in ("failed", "cancelled"):
                raise JobFailed(dict(job))
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeout(f"job {job_id} still {job.get('status')} after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def start_export(
        self, project_id: int, format: str, *, include_raw: bool = False, include_gold: bool = False
    ) -> Export:
        body = {"format": format, "include_raw": include_raw, "include_gold": include_gold}
        started = self._call("exports", project_id=project_id, json_body=body)
        return self.export_info(started["export_id"])

    def export_info(self, export_id: int) -> Export:
        return Export(**self._call("export", export_id=export_id))

    def download_export(
        self, export_id: int, destination: str | os.PathLike[str], *, verify: bool = True
    ) -> Path:
        """Stream a ready export to ``destination``; with ``verify`` its sha256 must match the manifest's."""
        info = self.export_info(export_id)
        expected = (info.get("manifest") or {}).get("content", {}).get("sha256") or info.get("sha256")
        target = Path(destination)
        partial = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        response = self.http.request("GET", _path("export_download", export_id=export_id), stream=True)
        try:
            with partial.open("wb") as out:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        finally:
            response.close()
        actual = digest.hexdigest()
        if verify and expected and actual != expected:
            partial.unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"export {export_id}: downloaded sha256 {actual}, manifest says {expected}"
            )
        partial.replace(target)
        return target

    def export(
        self,
        project_id: int,
        format: str,
        destination: str | os.PathLike[str],
        *,
        include_raw: bool = False,
        include_gold: bool = False,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Start an export, wait for it, download it and verify its sha256 against the manifest."""
        started = self.start_export(project_id, format, include_raw=include_raw, include_gold=include_gold)
        self.wait(started["job_id"], timeout=timeout, on_progress=on_progress)
        return self.download_export(started["id"], destination)


def as_frame(rows: Iterable[dict[str, Any]]) -> Any:
    """A pandas DataFrame of plain rows (nested values flattened with dots); needs pandas installed."""
    try:
        import pandas as pd
    except ImportError as exc:  # pandas is optional
        raise ImportError("as_frame needs pandas: pip install 'annotation-qc-client[pandas]'") from exc
    return pd.json_normalize(list(rows))


def _mime(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
