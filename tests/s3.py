"""An S3 endpoint on loopback for the tests: moto's server mode, reached over HTTP like a real bucket.

``moto_server`` runs ``moto.server.ThreadedMotoServer`` on a free 127.0.0.1 port for the session;
nothing is mocked inside boto3, so every call the app makes is a real HTTP request. ``s3_bucket``
creates a bucket of the test's own and points Django's default storage at it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.client import Config

ACCESS_KEY = "aqc-test-access"
SECRET_KEY = "aqc-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class MotoServer:
    endpoint: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(signature_version="s3v4"),
        )


@dataclass(frozen=True)
class Bucket:
    server: MotoServer
    name: str
    client: Any

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return [entry["Key"] for page in pages for entry in page.get("Contents", [])]

    def storage_env(self) -> dict[str, str]:
        """The environment that points a process of the app (web, worker) at this bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.name,
            "AWS_S3_ENDPOINT_URL": self.server.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_REGION_NAME": REGION,
        }

    def storage_setting(self) -> dict[str, Any]:
        """``settings.STORAGES`` as ``config/settings/base.py`` builds it from ``storage_env``."""
        return {
            "default": {
                "BACKEND": "annotation_qc.core.storage.ObjectStorage",
                "OPTIONS": {
                    "bucket_name": self.name,
                    "endpoint_url": self.server.endpoint,
                    "region_name": REGION,
                    "access_key": ACCESS_KEY,
                    "secret_key": SECRET_KEY,
                    "default_acl": None,
                    "querystring_auth": True,
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(endpoint=f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_server: MotoServer, settings: Any, tmp_path: Any) -> Iterator[Bucket]:
    """A fresh bucket as the default storage; MEDIA_ROOT is an empty folder that must stay empty."""
    client = moto_server.client()
    bucket = Bucket(server=moto_server, name=f"aqc-test-{uuid.uuid4().hex[:12]}", client=client)
    client.create_bucket(Bucket=bucket.name)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = bucket.storage_setting()
    yield bucket
    keys = bucket.keys()
    for start in range(0, len(keys), 1000):
        client.delete_objects(
            Bucket=bucket.name, Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]]}
        )
    client.delete_bucket(Bucket=bucket.name)
