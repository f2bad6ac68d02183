"""Which storage the settings choose from the environment: never the local disk when S3 is meant."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.core.files.storage import storages; "
    "store = storages['default']; print(type(store).__name__, getattr(store, 'bucket_name', '-'))"
)


def probe(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.local", PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_no_bucket_means_the_local_file_system() -> None:
    result = probe()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FileSystemStorage", "-"]


def test_a_bucket_means_object_storage() -> None:
    result = probe(AWS_STORAGE_BUCKET_NAME="media", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ObjectStorage", "media"]


def test_s3_settings_without_a_bucket_refuse_to_start() -> None:
    result = probe(AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000")
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr
