"""Web and worker as two machines would run them: no shared disk, only PostgreSQL, Redis and a bucket.

A gunicorn web process and a Celery worker process start in folders of their own, each with its own
empty ``MEDIA_ROOT``, against the pytest-django PostgreSQL database, Redis database 14 and a bucket of
moto's S3 server on loopback (``tests/s3.py``). Over HTTP, as a client would: an upload import with
images, a bucket import (files sent straight to the bucket through presigned POSTs), a bucket source
synced by the worker, prioritisation, an annotator's image and submission, and an export downloaded
through its presigned URL and checked against its sha256. Neither process may write a file to its
own disk.

Without object storage behind the storage API the upload import fails: the worker cannot find the
upload the web process kept on its disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
import requests
from django.conf import settings
from PIL import Image

from annotation_qc.accounts.models import User
from annotation_qc.accounts.services import api_token_create
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.integration.conftest import database_url, redis_db_url
from tests.s3 import Bucket

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

START_TIMEOUT_S = 60.0
JOB_TIMEOUT_S = 90.0


def png(width: int, height: int, seed: int) -> bytes:
    """A PNG with texture (a flat colour is held back as blank by the data-health checks)."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Machine:
    """One process of the app in a folder of its own, with its own MEDIA_ROOT."""

    name: str
    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def workdir(self) -> Path:
        return self.root / "work"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def log(self) -> Path:
        return self.root / f"{self.name}.log"

    def start(self, command: list[str], env: dict[str, str]) -> None:
        self.workdir.mkdir(parents=True)
        self.media.mkdir()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env={**env, "MEDIA_ROOT": str(self.media)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def files(self) -> list[str]:
        """Every file the process left in its folder or its MEDIA_ROOT."""
        found = [*self.workdir.rglob("*"), *self.media.rglob("*")]
        return [str(path) for path in found if path.is_file()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return f"--- {self.name}\n{self.log.read_text(errors='replace')[-4000:]}" if self.log.exists() else ""


@dataclass
class Cluster:
    web: Machine
    worker: Machine
    base_url: str
    bucket: Bucket
    sessions: dict[str, requests.Session] = field(default_factory=dict)

    def logs(self) -> str:
        return f"{self.web.tail()}\n{self.worker.tail()}"

    def sign_in(self, user: User) -> None:
        """An API token for the user (made here: the web process hashes passwords differently)."""
        session = requests.Session()
        session.headers["Authorization"] = f"Token {api_token_create(user=user, name='no-shared-disk')[1]}"
        self.sessions[user.username] = session

    def as_user(self, username: str) -> requests.Session:
        return self.sessions[username]

    def call(self, username: str, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        response = self.as_user(username).request(method, f"{self.base_url}{path}", timeout=60, **kwargs)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def job(self, job_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            body: dict[str, Any] = self.call("manager", "GET", f"/api/v1/jobs/{job_id}/", 200).json()
            if body["status"] == "failed":
                pytest.fail(f"job {job_id} failed: {body['message']} {body.get('result')}\n{self.logs()}")
            if body["status"] == "succeeded":
                return body
            time.sleep(0.2)
        pytest.fail(f"job {job_id} not done after {JOB_TIMEOUT_S:.0f} s\n{self.logs()}")


def _env(bucket: Bucket) -> dict[str, str]:
    broker = redis_db_url()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_", "DATABASE_", "REDIS_", "AWS_", "MEDIA_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url(),
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=broker,
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
        CELERY_TASK_ALWAYS_EAGER="0",
        PYTHONPATH=str(settings.BASE_DIR),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        LOG_LEVEL="INFO",
        **bucket.storage_env(),
    )
    return env


def _wait_until(ready: Any, machine: Machine, what: str, logs: Any) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert machine.process is not None
        if machine.process.poll() is not None:
            pytest.fail(f"{machine.name} exited with {machine.process.returncode}\n{logs()}")
        if ready():
            return
        time.sleep(0.2)
    pytest.fail(f"{machine.name} not {what} after {START_TIMEOUT_S:.0f} s\n{logs()}")


@pytest.fixture
def cluster(s3_bucket: Bucket, tmp_path: Path, transactional_db: Any) -> Iterator[Cluster]:
    flush = redis.Redis.from_url(redis_db_url())
    flush.flushdb()
    env = _env(s3_bucket)
    port = free_port()
    web, worker = Machine("web", tmp_path / "web"), Machine("worker", tmp_path / "worker")
    cluster = Cluster(web=web, worker=worker, base_url=f"http://127.0.0.1:{port}", bucket=s3_bucket)
    try:
        web.start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--threads=4",
                "--timeout=120",
            ],
            env,
        )
        worker.start(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=aqc-no-shared-disk-{os.getpid()}@%h",
            ],
            env,
        )

        def web_up() -> bool:
            try:
                requests.get(f"{cluster.base_url}/healthz", timeout=10)
            except requests.RequestException:
                return False
            return True

        _wait_until(web_up, web, "serving", cluster.logs)
        _wait_until(lambda: b" ready." in worker.log.read_bytes(), worker, "ready", cluster.logs)
        yield cluster
    finally:
        web.stop()
        worker.stop()
        flush.flushdb()
        flush.close()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_upload_bucket_import_prioritisation_and_export_with_no_shared_disk(cluster: Cluster) -> None:
    project = ProjectFactory(kind="bbox", labels=["car", "person"], benchmark_rate=0.0)
    for username, role in (("manager", "manager"), ("annotator", "annotator")):
        user = UserFactory(username=username)
        MembershipFactory(project=project, user=user, role=role)
        cluster.sign_in(user)
    base = f"/api/v1/projects/{project.pk}"
    images = {
        "a.png": png(64, 48, 1),
        "b.png": png(32, 24, 2),
        "c.png": png(40, 30, 3),
        "d.png": png(50, 40, 4),
    }

    # 1. An upload import with images: the web process stores it, the worker reads it.
    coco = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
            {"id": 2, "file_name": "b.png", "width": 32, "height": 24},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
        "annotations": [],
    }
    started = cluster.call(
        "manager",
        "POST",
        f"{base}/imports/",
        202,
        data={"format": "coco"},
        files=[
            ("file", ("set.json", json.dumps(coco).encode(), "application/json")),
            ("images", ("a.png", images["a.png"], "image/png")),
            ("images", ("b.png", images["b.png"], "image/png")),
        ],
    ).json()
    assert cluster.job(started["job_id"])["result"]["created"] == 2

    # 2. A bucket import: an archive sent straight to the bucket, predictions with box scores.
    lines = [
        {
            "external_id": name,
            "image": name,
            "annotation": {"boxes": [{"x": 2, "y": 2, "w": 10, "h": 8, "label": "car"}]},
            "scores": [score],
        }
        for name, score in (("c.png", 0.55), ("d.png", 0.95))
    ]
    archive = _zip(
        {
            "preds.jsonl": "\n".join(json.dumps(line) for line in lines).encode(),
            "c.png": images["c.png"],
            "d.png": images["d.png"],
        }
    )
    (slot,) = cluster.call(
        "manager",
        "POST",
        f"{base}/uploads/",
        201,
        json={"files": [{"name": "preds.zip", "size": len(archive)}]},
    ).json()["uploads"]
    sent = requests.post(slot["url"], data=slot["fields"], files={"file": ("preds.zip", archive)}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    started = cluster.call(
        "manager",
        "POST",
        f"{base}/imports/",
        202,
        json={"format": "jsonl", "as": "predictions", "model_version": "m1", "uploads": [slot["token"]]},
    ).json()
    report = cluster.job(started["job_id"])["result"]
    assert report["predictions"] == 2

    # 2b. A bucket source: the customer's own bucket, synced by the worker, items reference the objects.
    customer = f"{cluster.bucket.name}-src"
    cluster.bucket.client.create_bucket(Bucket=customer)
    for name, seed in (("e.png", 5), ("f.png", 6)):
        cluster.bucket.client.put_object(Bucket=customer, Key=f"incoming/{name}", Body=png(30, 20, seed))
    env = cluster.bucket.storage_env()
    source = cluster.call(
        "manager",
        "POST",
        f"{base}/sources/",
        201,
        json={
            "name": "incoming",
            "bucket": customer,
            "prefix": "incoming/",
            "endpoint_url": env["AWS_S3_ENDPOINT_URL"],
            "region": env["AWS_S3_REGION_NAME"],
            "access_key_id": env["AWS_ACCESS_KEY_ID"],
            "secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        },
    ).json()
    synced = cluster.call("manager", "POST", f"/api/v1/sources/{source['id']}/sync/", 202, json={}).json()
    assert cluster.job(synced["job_id"])["result"]["created"] == 2

    # 3. Prioritisation on the worker, from the uploaded box scores.
    run = cluster.call(
        "manager", "POST", f"{base}/prioritize/", 202, json={"strategy": "detection_uncertainty"}
    )
    cluster.job(run.json()["job_id"])
    queue = cluster.call("manager", "GET", f"{base}/queue/", 200).json()
    order = [row["external_id"] for row in queue["results"]]
    assert order.index("c.png") < order.index("d.png")  # where the model is least sure first

    # 4. An annotator's image comes from the bucket through a presigned URL; they label it.
    task = cluster.call("annotator", "POST", f"{base}/next-task/", 200).json()
    image = cluster.call("annotator", "GET", task["item"]["image_url"], 302, allow_redirects=False)
    fetched = requests.get(image.headers["Location"], timeout=30)
    assert fetched.status_code == 200
    assert fetched.content in images.values()
    boxes = {"boxes": [{"x": 1, "y": 1, "w": 12, "h": 10, "label": "person"}]}
    cluster.call(
        "annotator",
        "POST",
        f"/api/v1/tasks/{task['id']}/submit/",
        201,
        json={"payload": boxes, "time_spent_ms": 6000},
    )

    # 5. The export is built by the worker and downloaded from the bucket, sha256 checked.
    started = cluster.call("manager", "POST", f"{base}/exports/", 202, json={"format": "jsonl"}).json()
    cluster.job(started["job_id"])
    detail = cluster.call("manager", "GET", f"/api/v1/exports/{started['export_id']}/", 200).json()
    redirect = cluster.call(
        "manager", "GET", f"/api/v1/exports/{started['export_id']}/download/", 302, allow_redirects=False
    )
    download = requests.get(redirect.headers["Location"], timeout=30)  # no API token sent to the bucket
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == detail["sha256"]
    rows = [json.loads(line) for line in download.content.decode().splitlines()]
    assert [row["annotation"] for row in rows if row["label_status"] == "single"] == [boxes]

    # Nothing on either machine's disk: every file is in the bucket.
    assert cluster.web.files() == []
    assert cluster.worker.files() == []
    assert len(cluster.bucket.keys()) >= 6  # 4 item images, the annotation files and the export
    for key in cluster.bucket.client.list_objects_v2(Bucket=customer).get("Contents", []):
        cluster.bucket.client.delete_object(Bucket=customer, Key=key["Key"])
    cluster.bucket.client.delete_bucket(Bucket=customer)
