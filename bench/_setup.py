"""Shared set-up for the benchmark scripts: a fresh database (SQLite file or PostgreSQL) and Django.

What a run creates (its database, its scratch folders) is removed when the script exits, whether it
finished or failed; ``BENCH_KEEP=1`` keeps them for inspection.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEEP = os.environ.get("BENCH_KEEP") == "1"


def _sqlite_files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]


def _drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _remove_sqlite(path: Path) -> None:
    for file in _sqlite_files(path):
        file.unlink(missing_ok=True)


def fresh_database(kind: str, name: str) -> str:
    """Create an empty database for a benchmark run and return its URL; it is removed at exit."""
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / f"{name}.sqlite3"
        _remove_sqlite(path)
        if not KEEP:
            atexit.register(_remove_sqlite, path)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    if not KEEP:
        atexit.register(_drop_postgres, name)
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def scratch_dir(prefix: str) -> Path:
    """An empty temporary folder for a run's files (media, logs, input files), removed at exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if not KEEP:
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def django_setup(database_url: str, *, migrate: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    warnings.filterwarnings("ignore", message="No directory at")
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    import numpy as np

    values = np.asarray(samples_ms)
    return {f"p{q}": round(float(np.percentile(values, q)), 2) for q in (50, 95, 99)}


def vacuum_analyze(cursor: Any, table: str) -> None:
    """``VACUUM ANALYZE`` a freshly seeded table (PostgreSQL); only ``ANALYZE`` inside a transaction
    (the tests run the seeds in one: ``tests/test_bench_seeds.py``), where VACUUM cannot run."""
    from django.db import connection

    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    cursor.execute(f"{statement} {table}")
