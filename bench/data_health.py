"""Data health: the cost of the import checks, drift on a synthetic stream, planted outliers.

    .venv/bin/python bench/data_health.py import --database sqlite --images 100000
    .venv/bin/python bench/data_health.py import --images 100000 --order without,with,with,without
    .venv/bin/python bench/data_health.py drift --database sqlite
    .venv/bin/python bench/data_health.py outliers --database sqlite

``import``: a zip of ``--images`` small generated PNGs (48 x 36 blocks of colour; 1% blank, 1% exact copies of
earlier images, 1% earlier images enlarged to 96 x 72: near duplicates) run through the import job twice, each
into a fresh project: once as shipped (images measured, checks, item statistics stored, quarantines) and once
with the data-health steps replaced by no-ops (the import as it was). Prints both times (wall and this
process's CPU time), the overhead, and whether every planted blank and duplicate image was quarantined (and
nothing else). ``--order`` runs the two kinds in the given order, each into a fresh project of the same
database, and compares their means: a later run writes into bigger tables and a fuller media folder, so
``without,with,with,without`` (ABBA) is fairer than one run of each.

``drift``: a labeled reference of 20,000 items with 64 features (standard normal), then 21 batches of 5,000
through the drift job (``batch_analyse``, default settings: KS per feature, Holm at 0.01, effect >= 0.1);
batch 11 has the mean of 3 features moved by 0.3 sd. Prints which batches drifted and on what.

``outliers``: the same reference, one batch of 5,000 with 1% planted outliers (8 random features moved by
+-4 sd); the job's isolation forest (default settings) flags items; prints precision and recall.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import tempfile
import time
import zipfile
from contextlib import ExitStack
from typing import Any
from unittest import mock

import numpy as np
from _setup import django_setup, fresh_database

FEATURES = 64
REFERENCE = 20_000
BATCH = 5_000


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def images(count: int, seed: int = 0) -> tuple[dict[str, bytes], dict[str, set[str]]]:
    """Generated images by name, and the names planted as blank / exact / near duplicates."""
    rng = np.random.default_rng(seed)
    planted: dict[str, set[str]] = {"blank": set(), "exact": set(), "near": set()}
    files: dict[str, bytes] = {}
    kinds = rng.choice(4, size=count, p=[0.97, 0.01, 0.01, 0.01])
    kinds[:10] = 0  # something to copy from
    originals: list[tuple[str, np.ndarray]] = []
    for i, kind in enumerate(kinds.tolist()):
        name = f"img-{i:07d}.png"
        if kind == 1:
            colour = rng.integers(0, 256, size=3)
            noise = rng.integers(-1, 2, size=(36, 48, 3))
            files[name] = _png(np.clip(colour + noise, 0, 255).astype(np.uint8))
            planted["blank"].add(name)
        elif kind == 2:
            source, _ = originals[int(rng.integers(len(originals)))]
            files[name] = files[source]
            planted["exact"].add(name)
        elif kind == 3:
            _, pixels = originals[int(rng.integers(len(originals)))]
            files[name] = _png(np.kron(pixels, np.ones((2, 2, 1), dtype=np.uint8)))
            planted["near"].add(name)
        else:
            blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
            pixels = np.kron(blocks, np.ones((6, 6, 1), dtype=np.uint8))
            files[name] = _png(pixels)
            originals.append((name, pixels))
    return files, planted


def _zip(files: dict[str, bytes]) -> str:
    handle, path = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def _project(name: str) -> Any:
    from annotation_qc.accounts.models import User
    from annotation_qc.projects.models import Project

    user, _ = User.objects.get_or_create(username="bench-manager")
    return Project.objects.create(name=name, kind="bbox", labels=["a", "b"], created_by=user), user


def _no_checks() -> ExitStack:
    """The import as it was before the data-health steps."""
    from annotation_qc.datahealth.services.checks import BatchHealth
    from annotation_qc.domain.data_health.expectations import HealthOutcome

    def check(*, items: Any, measured: Any, **_: Any) -> BatchHealth:
        return BatchHealth(config={}, items=list(items), measured={}, outcome=HealthOutcome((), len(items)))

    from annotation_qc.exchange.services.images import DecodedImage, inspect_image

    def inspect_only(content: bytes, limits: Any) -> Any:
        """The import's own image check as it was: header, type and size, ``verify()``; no decode."""
        info = inspect_image(content, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels)
        return info if isinstance(info, str) else DecodedImage(info, None)

    stack = ExitStack()
    stack.enter_context(mock.patch("annotation_qc.exchange.services.imports._decode", inspect_only))
    stack.enter_context(mock.patch("annotation_qc.exchange.services.imports.batch_check", check))
    stack.enter_context(mock.patch("annotation_qc.exchange.services.imports.batch_record", return_value={}))
    stack.enter_context(
        mock.patch("annotation_qc.exchange.services.imports.batch_analyse_enqueue", return_value=None)
    )
    stack.enter_context(
        mock.patch("annotation_qc.datahealth.services.measure.Measurer.add", return_value=None)
    )
    return stack


def run_import(count: int, order: list[str]) -> None:
    from django.core.files import File

    from annotation_qc.datahealth.models import Quarantine
    from annotation_qc.exchange.services.imports import import_run
    from annotation_qc.exchange.services.uploads import import_start

    started = time.perf_counter()
    files, planted = images(count)
    path = _zip(files)
    print(
        f"generated {count} images ({sum(map(len, files.values())) / 1e6:.1f} MB)"
        f" in {time.perf_counter() - started:.1f} s"
    )
    timings: dict[str, float] = {"without checks": 0.0, "with checks": 0.0}
    cpu: dict[str, float] = {"without checks": 0.0, "with checks": 0.0}
    for run, which in enumerate(order):
        label = f"{which} checks"
        project, user = _project(f"{label} {run}")
        with open(path, "rb") as handle, mock.patch("annotation_qc.exchange.services.uploads._enqueue"):
            data_import = import_start(
                project=project,
                user_id=user.pk,
                fmt="images",
                target="items",
                file=File(handle, name="images.zip"),
            )
        with ExitStack() as stack:
            # The drift and outlier job runs after the import on a worker (timed by the other parts).
            stack.enter_context(
                mock.patch("annotation_qc.exchange.services.imports.batch_analyse_enqueue", return_value=None)
            )
            if label == "without checks":
                stack.enter_context(_no_checks())

            gc.collect()
            start, cpu_start = time.perf_counter(), time.process_time()
            report = import_run(import_id=data_import.pk)
            wall, used = time.perf_counter() - start, time.process_time() - cpu_start
            timings[label] += wall
            cpu[label] += used
        print(
            f"run {run + 1} {label}: {report['created']} items in {wall:.1f} s wall, {used:.1f} s CPU"
            f" ({count / wall:.0f} images/s)"
        )
        if label == "with checks":
            held = set(Quarantine.objects.filter(project=project).values_list("item__external_id", flat=True))
            for kind, names in planted.items():
                print(f"  planted {kind}: {len(names)}, quarantined {len(names & held)}")
            wanted = set().union(*planted.values())
            print(f"  quarantined and not planted: {len(held - wanted)}")
            print(f"  checks counts: {report['data_health']['counts']}")
    runs = {which: order.count(which) for which in ("without", "with")}
    print(
        "CPU per run: "
        + ", ".join(f"{w} checks {cpu[f'{w} checks'] / n:.1f} s" for w, n in runs.items() if n)
    )
    if runs["with"] and runs["without"]:
        mean_wall = {w: timings[f"{w} checks"] / n for w, n in runs.items()}
        mean_cpu = {w: cpu[f"{w} checks"] / n for w, n in runs.items()}
        overhead = mean_wall["with"] / mean_wall["without"] - 1
        cpu_overhead = mean_cpu["with"] / mean_cpu["without"] - 1
        print(f"overhead of the checks: {overhead:+.1%} wall, {cpu_overhead:+.1%} CPU (this process)")


def _features_batch(project: Any, rows: np.ndarray, prefix: str) -> tuple[int, list[int]]:
    from annotation_qc.core.models import Job
    from annotation_qc.datahealth.models import BatchReport, ItemHealth
    from annotation_qc.exchange.models import DataImport
    from annotation_qc.labeling.services.imports import items_import

    job = Job.objects.create(kind="import", project_id=project.pk)
    data_import = DataImport.objects.create(project=project, job=job, format="jsonl", storage_dir="bench")
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        created = items_import(
            project=project,
            rows=[
                {
                    "external_id": f"{prefix}-{start + i}",
                    "image_url": f"https://img.example/{prefix}/{start + i}.png",
                    "width": 10,
                    "height": 10,
                    "features": row.tolist(),
                }
                for i, row in enumerate(rows[start : start + 5000])
            ],
        )
        ids += [item.pk for item in created]
    ItemHealth.objects.bulk_create(
        [ItemHealth(item_id=pk, project=project, data_import=data_import) for pk in ids], batch_size=5000
    )
    BatchReport.objects.create(data_import=data_import, project=project, items=len(ids))
    return data_import.pk, ids


def _labeled_reference(project: Any, rng: np.random.Generator) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from annotation_qc.labeling.models import Annotation, Task

    _, ids = _features_batch(project, rng.normal(size=(REFERENCE, FEATURES)), "ref")
    user = project.created_by
    now = timezone.now()
    tasks = Task.objects.bulk_create(
        (
            Task(
                project=project,
                item_id=pk,
                annotator=user,
                status="submitted",
                served_at=now,
                lease_expires_at=now + timedelta(minutes=5),
            )
            for pk in ids
        ),
        batch_size=5000,
    )
    Annotation.objects.bulk_create(
        (
            Annotation(
                task=t,
                project=project,
                item_id=t.item_id,
                annotator=user,
                payload={"boxes": []},
                server_time_ms=1,
                submitted_at=now,
            )
            for t in tasks
        ),
        batch_size=5000,
    )


def run_drift() -> None:
    from annotation_qc.datahealth.services.analysis import batch_analyse

    rng = np.random.default_rng(1)
    project, _ = _project("drift")
    _labeled_reference(project, rng)
    shifted_batch = 11
    found: dict[int, list[str]] = {}
    started = time.perf_counter()
    for b in range(21):
        rows = rng.normal(size=(BATCH, FEATURES))
        moved: list[int] = []
        if b == shifted_batch:
            moved = sorted(rng.choice(FEATURES, 3, replace=False).tolist())
            rows[:, moved] += 0.3
        batch_id, _ = _features_batch(project, rows, f"b{b}")
        t = time.perf_counter()
        result = batch_analyse(data_import_id=batch_id)
        drift = result["drift"]
        found[b] = drift["drifted"]
        tests = {x["statistic"]: x for x in drift["tests"]}
        note = ""
        if moved:
            note = "  planted: " + ", ".join(
                f"f{j} (d={tests[f'feature:f{j}']['extra']['cohens_d']:.3f},"
                f" p_holm={tests[f'feature:f{j}']['p_adjusted']:.2g})"
                for j in moved
            )
        print(
            f"batch {b:2d}: drifted {drift['drifted'] or 'nothing'} ({time.perf_counter() - t:.1f} s){note}"
        )
    false = [b for b in found if b != shifted_batch and found[b]]
    print(
        f"shifted batch found: {bool(found[shifted_batch])}; unshifted batches with drift: {false or 'none'}"
    )
    print(f"total {time.perf_counter() - started:.0f} s")


def run_outliers() -> None:
    from annotation_qc.datahealth.models import ItemHealth
    from annotation_qc.datahealth.services.analysis import batch_analyse

    rng = np.random.default_rng(2)
    project, _ = _project("outliers")
    _labeled_reference(project, rng)
    rows = rng.normal(size=(BATCH, FEATURES))
    planted = rng.choice(BATCH, BATCH // 100, replace=False)
    for i in planted.tolist():
        columns = rng.choice(FEATURES, 8, replace=False)
        rows[i, columns] += rng.choice([-4.0, 4.0], size=8)
    batch_id, ids = _features_batch(project, rows, "odd")
    t = time.perf_counter()
    result = batch_analyse(data_import_id=batch_id)
    flagged = set(
        ItemHealth.objects.filter(item_id__in=ids, is_outlier=True).values_list("item_id", flat=True)
    )
    truth = {ids[i] for i in planted.tolist()}
    hits = len(flagged & truth)
    print(f"planted {len(truth)}, flagged {len(flagged)}, correct {hits}")
    print(
        f"precision {hits / max(len(flagged), 1):.3f}, recall {hits / len(truth):.3f}"
        f" ({time.perf_counter() - t:.1f} s)"
    )
    print(
        f"threshold {result['outliers']['threshold']:.4f}"
        f" from {result['outliers']['reference_items']} reference items"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=["import", "drift", "outliers"])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument(
        "--order",
        default="without,with",
        help="import runs in this order, each into a fresh project of the same database (later runs write "
        "into bigger tables and a fuller media folder: 'without,with,with,without' balances that)",
    )
    parser.add_argument("--name", default="", help="suffix of the database name (runs side by side)")
    args = parser.parse_args()
    order = [part.strip() for part in args.order.split(",")]
    if not order or any(part not in ("with", "without") for part in order):
        parser.error("--order: a comma-separated list of 'with' and 'without'")
    django_setup(fresh_database(args.database, f"bench_data_health_{args.part}{args.name}"))
    from django.conf import settings

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-data-health-")
    parts = {"import": lambda: run_import(args.images, order), "drift": run_drift, "outliers": run_outliers}
    parts[args.part]()


if __name__ == "__main__":
    main()
