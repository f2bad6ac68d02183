"""Real Celery worker subprocesses for the integration tests, on the test database and Redis database 14."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.conftest import database_url, redis_db_url

WORKER_START_TIMEOUT_S = 60.0


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker: this test database, Redis database 14, acks late with a short
    visibility timeout (a dead worker's message is redelivered after 2 s), plus ``extra``."""
    broker = redis_db_url()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_", "DATABASE_", "REDIS_", "AQC_"))
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
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(
            {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
        ),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Workers:
    """Celery worker subprocesses; the owner kills every one still alive with :meth:`kill_all`."""

    logs: Path
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        n = len(self.started) + 1
        log = self.logs / f"worker-{n}.log"
        command = [
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
            f"--hostname=aqc-crash-{os.getpid()}-{n}@%h",
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started.append(process)
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"worker {n} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            if b" ready." in log.read_bytes():
                return process
            time.sleep(0.2)
        pytest.fail(f"worker {n} not ready after {WORKER_START_TIMEOUT_S:.0f} s:\n{log.read_text()[-4000:]}")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def kill_all(self) -> None:
        for process in self.started:
            self.kill(process)

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))
