"""The app side of a bucket sync, before and after: the same keys written by the sync of commit b821c07
and by the current one, alternately, on the same machine at the same time.

    .venv/bin/python bench/bucket_sync_app_ab.py --database postgres --keys 20000 --rounds 2

No listing: each side gets the same ready-made pages (keys in order, ETag, size, LastModified) and
the sizes from a manifest, so what is timed is the app's own work per key (matching, the checks, the
items, their ``SourceObject`` rows, the cursor) into a fresh project. The old module is read from git
(``git show b821c07:...``), run against today's schema (its new columns have defaults).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from _setup import ROOT, django_setup, fresh_database, scratch_dir

OLD_COMMIT = "b821c07"
OLD_PATH = "annotation_qc/exchange/services/bucket_sources.py"


def old_module() -> Any:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:{OLD_PATH}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = scratch_dir("aqc-bench-old-module-") / "old_bucket_sources.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_bucket_sources", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_bucket_sources"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    django_setup(fresh_database(args.database, "aqc_bench_bucket_sync_ab"))

    from annotation_qc.exchange.models import BucketSource
    from annotation_qc.exchange.services import bucket_sources
    from annotation_qc.exchange.services.bucket_listing import Listed
    from annotation_qc.labeling.models import Item
    from tests.factories import ProjectFactory

    old = old_module()
    keys = [f"frames/{i:08d}.png" for i in range(args.keys)]
    sizes = dict.fromkeys(keys, (64, 48))
    now = datetime.now(UTC)
    new_pages = [
        [Listed(key=k, etag="e" * 32, size=1234, modified=now) for k in keys[i : i + 1000]]
        for i in range(0, len(keys), 1000)
    ]
    old_pages = [
        [old.Listed(key=k, etag="e" * 32, size=1234) for k in keys[i : i + 1000]]
        for i in range(0, len(keys), 1000)
    ]

    def source() -> BucketSource:
        return BucketSource.objects.create(
            project=ProjectFactory(labels=["car"]), name="s", bucket="b", prefix="frames/", pattern="*.png"
        )

    def run_old() -> float:
        src = source()
        report = old.SyncReport()
        start = time.perf_counter()
        pending: list[Any] = []
        for page in old_pages:  # as old.source_sync_run consumed its pages
            report.listed += len(page)
            for entry in page:
                if old._matches(entry.key, ["*.png"]):
                    pending.append(entry)
                    report.matched += 1
            if len(pending) >= old.WRITE_BATCH:
                old._write(None, src, pending, sizes, report, last=page[-1].key)
                pending = []
        old._write(None, src, pending, sizes, report, last=old_pages[-1][-1].key)
        wall = time.perf_counter() - start
        assert Item.objects.filter(project=src.project).count() == args.keys
        return wall

    def run_new() -> float:
        src = source()
        start = time.perf_counter()
        run = bucket_sources._Run(None, src, sizes, full=False)
        pending: list[Any] = []
        for page in new_pages:  # as _Run.sync consumes the listing
            run.report.listed += len(page)
            pending.extend(page)
            if len(pending) >= bucket_sources.WRITE_BATCH:
                cut = run._cut(pending)
                run._write(pending[:cut])
                pending = pending[cut:]
        run._write(pending)
        wall = time.perf_counter() - start
        assert Item.objects.filter(project=src.project).count() == args.keys
        return wall

    for round_ in range(args.rounds):
        for label, fn in (("b821c07", run_old), ("now", run_new)):
            wall = fn()
            row = {"round": round_ + 1, "code": label, "keys": args.keys, "wall_s": round(wall, 2)}
            print(json.dumps({**row, "keys_per_s": round(args.keys / wall)}), flush=True)


if __name__ == "__main__":
    main()
