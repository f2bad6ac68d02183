"""Data health: the cost of the import checks, drift on a synthetic stream, planted outliers.

    .venv/bin/python bench/data_health.py import --database sqlite --images 100000
    .venv/bin/python bench/data_health.py import --images 100000 --order without,with,with,without
    .venv/bin/python bench/data_health.py import --photos --images 100000 --order without,with,with,without
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

``import --photos``: the same with realistic photos instead: 640 x 480 JPEGs at quality 85 (one in ten turned
to 480 x 640), natural-looking content (sky and ground gradients, soft blobs, shapes, sensor noise, a little
blur). A pool of ``--pool`` distinct photos is drawn once; each image is two of them blended along a random
gradient, with patches of a third pasted through elliptical masks, maybe mirrored, and encoded on its own
(so every file is distinct and no two are near duplicates). Planted as in the tiny mode: 1% near-constant
(a colour with +-2 levels of noise), 1% exact copies, 1% near duplicates (an earlier photo shrunk to half
size and re-encoded at quality 75). The files are streamed into the zip (not held in memory), with
``--cache DIR`` kept for the next run (``DIR/photos-<n>.zip`` and its planted names); the upload limit is
raised to fit the zip, and each run's stored images are deleted after it (outside the timing: 100,000
photos are ~4 GB a run).

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
import shutil
import tempfile
import time
import zipfile
from contextlib import ExitStack
from typing import Any
from unittest import mock

import numpy as np
from _setup import django_setup, fresh_database, scratch_dir

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


PHOTO_W, PHOTO_H = 640, 480
#: Pool photos are larger: each photo crops a window of two of them at random offsets.
POOL_W, POOL_H = 800, 600


def _photo_pool(count: int, rng: np.random.Generator) -> list[Any]:
    """``count`` distinct natural-looking 800 x 600 RGB photos (Pillow images), deterministic from ``rng``."""
    from PIL import Image, ImageDraw, ImageFilter

    pool = []
    ys = np.linspace(0.0, 1.0, POOL_H)[:, None, None]
    xs = np.linspace(0.0, 1.0, POOL_W)[None, :, None]
    for _ in range(count):
        sky_top, sky_bottom, ground_top, ground_bottom = rng.uniform(0, 255, size=(4, 3))
        horizon = rng.uniform(0.3, 0.7)
        tilt = rng.uniform(-0.15, 0.15)
        line = horizon + tilt * (xs - 0.5)
        sky = sky_top + (sky_bottom - sky_top) * np.clip(ys / np.maximum(line, 1e-3), 0, 1)
        ground = ground_top + (ground_bottom - ground_top) * np.clip((ys - line) / (1 - line), 0, 1)
        base = np.where(ys < line, sky, ground)
        # Soft blobs: low-resolution noise enlarged smoothly (clouds, foliage, shading).
        blobs = rng.normal(0, 30, size=(6, 8, 3)).astype(np.float32)
        soft = np.asarray(
            Image.fromarray(np.clip(blobs + 128, 0, 255).astype(np.uint8)).resize(
                (POOL_W, POOL_H), Image.Resampling.BICUBIC
            ),
            dtype=np.float32,
        )
        pixels = np.clip(base + soft - 128, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(3, 9))):
            x, y = rng.integers(0, POOL_W), rng.integers(0, POOL_H)
            w, h = rng.integers(20, 260), rng.integers(20, 200)
            colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
            box = [int(x), int(y), int(x + w), int(y + h)]
            shape = rng.integers(3)
            if shape == 0:
                draw.ellipse(box, fill=colour)
            elif shape == 1:
                draw.rectangle(box, fill=colour)
            else:
                points = [(int(px), int(py)) for px, py in rng.integers(0, [POOL_W, POOL_H], size=(5, 2))]
                draw.polygon(points, fill=colour)
        image = image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.6, 1.5))))
        noise = rng.normal(0, rng.uniform(3, 8), size=(POOL_H, POOL_W, 3))
        pool.append(
            Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
        )
    return pool


def _gradient_masks(count: int, rng: np.random.Generator) -> list[Any]:
    """Blend masks: linear ramps at random angles and offsets (L images)."""
    from PIL import Image

    ys, xs = np.mgrid[0:PHOTO_H, 0:PHOTO_W].astype(np.float32)
    masks = []
    for _ in range(count):
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * (xs - PHOTO_W / 2) + np.sin(angle) * (ys - PHOTO_H / 2)) / rng.uniform(
            80, 300
        )
        masks.append(Image.fromarray((255 / (1 + np.exp(-(ramp + rng.uniform(-1, 1))))).astype(np.uint8)))
    return masks


def _ellipse_masks(rng: np.random.Generator) -> list[Any]:
    from PIL import Image, ImageDraw, ImageFilter

    masks = []
    for w, h in ((120, 90), (200, 150), (160, 240), (280, 180), (90, 160)):
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).ellipse([4, 4, w - 5, h - 5], fill=255)
        masks.append(mask.filter(ImageFilter.GaussianBlur(3)))
    return masks


def _jpeg(image: Any, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def photos(count: int, path: str, pool_size: int, seed: int = 0) -> dict[str, set[str]]:
    """Write ``count`` JPEG photos into a zip at ``path``; returns the names planted as blank / exact / near.

    Exact and near copies are of earlier photos drawn from a reservoir of 2,000 (the files are not all
    kept in memory)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    pool = _photo_pool(pool_size, rng)
    blends = _gradient_masks(64, rng)
    ellipses = _ellipse_masks(rng)
    planted: dict[str, set[str]] = {"blank": set(), "exact": set(), "near": set()}
    kinds = rng.choice(4, size=count, p=[0.97, 0.01, 0.01, 0.01])
    kinds[:10] = 0
    reservoir: list[tuple[str, bytes]] = []
    seen = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for i, kind in enumerate(kinds.tolist()):
            name = f"img-{i:07d}.jpg"
            if kind == 1:
                colour = rng.integers(0, 256, size=3)
                noise = rng.integers(-2, 3, size=(PHOTO_H, PHOTO_W, 3))
                content = _jpeg(Image.fromarray(np.clip(colour + noise, 0, 255).astype(np.uint8)))
                planted["blank"].add(name)
            elif kind == 2:
                content = reservoir[int(rng.integers(len(reservoir)))][1]
                planted["exact"].add(name)
            elif kind == 3:
                with Image.open(io.BytesIO(reservoir[int(rng.integers(len(reservoir)))][1])) as earlier:
                    half = earlier.resize(
                        (earlier.width // 2, earlier.height // 2), Image.Resampling.BILINEAR
                    )
                content = _jpeg(half, quality=75)
                planted["near"].add(name)
            else:
                a, b, c = rng.choice(len(pool), size=3, replace=False).tolist()
                (ax, bx), (ay, by) = (
                    rng.integers(0, POOL_W - PHOTO_W + 1, 2),
                    rng.integers(0, POOL_H - PHOTO_H + 1, 2),
                )
                image = Image.composite(
                    pool[a].crop((int(ax), int(ay), int(ax) + PHOTO_W, int(ay) + PHOTO_H)),
                    pool[b].crop((int(bx), int(by), int(bx) + PHOTO_W, int(by) + PHOTO_H)),
                    blends[int(rng.integers(len(blends)))],
                )
                for _ in range(int(rng.integers(1, 4))):
                    mask = ellipses[int(rng.integers(len(ellipses)))]
                    x, y = (
                        int(rng.integers(0, PHOTO_W - mask.width)),
                        int(rng.integers(0, PHOTO_H - mask.height)),
                    )
                    u, v = (
                        int(rng.integers(0, PHOTO_W - mask.width)),
                        int(rng.integers(0, PHOTO_H - mask.height)),
                    )
                    image.paste(pool[c].crop((u, v, u + mask.width, v + mask.height)), (x, y), mask)
                if rng.random() < 0.5:
                    image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                if rng.random() < 0.1:
                    image = image.transpose(Image.Transpose.ROTATE_90)
                content = _jpeg(image)
                seen += 1
                if len(reservoir) < 2000:
                    reservoir.append((name, content))
                else:
                    slot = int(rng.integers(seen))
                    if slot < 2000:
                        reservoir[slot] = (name, content)
            archive.writestr(name, content)
    return planted


def _photos_zip(count: int, pool_size: int, cache: str) -> tuple[str, dict[str, set[str]], bool]:
    """The photos' zip (generated, or reused from ``cache``), the planted names, and whether it is cached."""
    import json

    if cache:
        os.makedirs(cache, exist_ok=True)
        path = os.path.join(cache, f"photos-{count}-{pool_size}.zip")
        names = path + ".planted.json"
        if os.path.exists(path) and os.path.exists(names):
            with open(names) as handle:
                return path, {k: set(v) for k, v in json.load(handle).items()}, True
    else:
        handle, path = tempfile.mkstemp(suffix=".zip")
        os.close(handle)
    planted = photos(count, path, pool_size)
    if cache:
        with open(names, "w") as out:
            json.dump({k: sorted(v) for k, v in planted.items()}, out)
    return path, planted, bool(cache)


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
    from annotation_qc.datahealth.services.measure import Measured
    from annotation_qc.domain.data_health.expectations import HealthOutcome

    def check(*, items: Any, measured: Any, **_: Any) -> BatchHealth:
        return BatchHealth(
            config={}, items=list(items), measured=Measured.none(), outcome=HealthOutcome((), len(items))
        )

    from annotation_qc.exchange.services.image_pool import DecodedBlock
    from annotation_qc.exchange.services.images import DecodedImage, inspect_image

    def inspect_block(keys: Any, contents: Any, max_bytes: int, max_pixels: int) -> DecodedBlock:
        """The import's own image check as it was: header, type and size, ``verify()``; no decode and no
        measurement."""
        return DecodedBlock(
            outcomes=[inspect_image(c, max_bytes=max_bytes, max_pixels=max_pixels) for c in contents],
            measured=Measured.none(),
        )

    def inspect_only(content: bytes, limits: Any) -> Any:
        """The same for images downloaded from a URL (none here)."""
        info = inspect_image(content, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels)
        return info if isinstance(info, str) else DecodedImage(info, None)

    def keep_info(self: Any, item: Any, content: bytes, image: Any) -> Any:
        """No measurement: the image's size, as the import kept it before data health."""
        return image.info

    stack = ExitStack()
    # In the import's own process (the run sets no measurement workers for it).
    stack.enter_context(mock.patch("annotation_qc.exchange.services.image_pool.decode_block", inspect_block))
    stack.enter_context(mock.patch("annotation_qc.exchange.services.imports._decode", inspect_only))
    # A plain function, not a mock: a mock records every call (holding each image's bytes) and costs
    # the baseline time of its own.
    stack.enter_context(
        mock.patch("annotation_qc.exchange.services.imports.CheckedImages.measure", keep_info)
    )
    stack.enter_context(mock.patch("annotation_qc.exchange.services.imports.batch_check", check))
    stack.enter_context(mock.patch("annotation_qc.exchange.services.imports.batch_record", return_value={}))
    stack.enter_context(
        mock.patch("annotation_qc.exchange.services.imports.batch_analyse_enqueue", return_value=None)
    )
    return stack


def run_import(
    count: int,
    order: list[str],
    *,
    as_photos: bool = False,
    pool: int = 300,
    cache: str = "",
    workers: int = 1,
) -> None:
    from django.conf import settings
    from django.core.files import File

    from annotation_qc.datahealth.models import Quarantine
    from annotation_qc.exchange.services.imports import import_run
    from annotation_qc.exchange.services.uploads import import_start

    started = time.perf_counter()
    keep_zip = False
    if as_photos:
        path, planted, keep_zip = _photos_zip(count, pool, cache)
        size = os.path.getsize(path)
        limits = dict(getattr(settings, "ANNOTATION_QC", {}))
        limits["IMPORT_MAX_UPLOAD_BYTES"] = max(size * 2, 2 << 30)
        settings.ANNOTATION_QC = limits
    else:
        files, planted = images(count)
        path = _zip(files)
        size = sum(map(len, files.values()))
        del files
    print(
        f"{'photos' if as_photos else 'images'}: {count} ({size / 1e6:.1f} MB) ready"
        f" in {time.perf_counter() - started:.1f} s"
    )
    timings: dict[str, float] = {"without checks": 0.0, "with checks": 0.0}
    cpu: dict[str, float] = {"without checks": 0.0, "with checks": 0.0}
    # CPU of this process and of the measurement workers (children, counted once they have ended).
    total_cpu: dict[str, float] = {"without checks": 0.0, "with checks": 0.0}
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
            settings.ANNOTATION_QC = {
                **getattr(settings, "ANNOTATION_QC", {}),
                "IMPORT_MEASURE_WORKERS": workers if label == "with checks" else 0,
            }

            gc.collect()
            start, cpu_start, times = time.perf_counter(), time.process_time(), os.times()
            report = import_run(import_id=data_import.pk)
            wall, used = time.perf_counter() - start, time.process_time() - cpu_start
            after = os.times()
            user, system = after.user - times.user, after.system - times.system
            workers_cpu = (after.children_user - times.children_user) + (
                after.children_system - times.children_system
            )
            timings[label] += wall
            cpu[label] += used
            total_cpu[label] += used + workers_cpu
        print(
            f"run {run + 1} {label}: {report['created']} items in {wall:.1f} s wall, {used:.1f} s CPU"
            f" (user {user:.1f}, system {system:.1f}; {count / wall:.0f} images/s)"
            f"; measurement workers {workers_cpu:.1f} s CPU, total {used + workers_cpu:.1f} s"
        )
        if label == "with checks":
            held = set(Quarantine.objects.filter(project=project).values_list("item__external_id", flat=True))
            for kind, names in planted.items():
                print(f"  planted {kind}: {len(names)}, quarantined {len(names & held)}")
            wanted = set().union(*planted.values())
            print(f"  quarantined and not planted: {len(held - wanted)}")
            print(f"  checks counts: {report['data_health']['counts']}")
        if as_photos:  # the stored photos (~4 GB per 100,000) are not needed after the run
            shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
            os.makedirs(settings.MEDIA_ROOT, exist_ok=True)
    if not keep_zip:
        os.unlink(path)
    runs = {which: order.count(which) for which in ("without", "with")}
    print(
        "CPU per run: "
        + ", ".join(f"{w} checks {cpu[f'{w} checks'] / n:.1f} s" for w, n in runs.items() if n)
    )
    if runs["with"] and runs["without"]:
        mean_wall = {w: timings[f"{w} checks"] / n for w, n in runs.items()}
        mean_cpu = {w: cpu[f"{w} checks"] / n for w, n in runs.items()}
        mean_total = {w: total_cpu[f"{w} checks"] / n for w, n in runs.items()}
        overhead = mean_wall["with"] / mean_wall["without"] - 1
        cpu_overhead = mean_cpu["with"] / mean_cpu["without"] - 1
        total_overhead = mean_total["with"] / mean_total["without"] - 1
        print(
            f"overhead of the checks: {overhead:+.1%} wall, {cpu_overhead:+.1%} CPU of this process,"
            f" {total_overhead:+.1%} CPU with the measurement workers'"
        )


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
    parser.add_argument("--photos", action="store_true", help="import: realistic 640 x 480 JPEG photos")
    parser.add_argument("--pool", type=int, default=300, help="--photos: distinct photos drawn to vary")
    parser.add_argument("--cache", default="", help="--photos: keep (and reuse) the generated zip here")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="import: measurement worker processes of the runs with checks (0: in the import's process)",
    )
    args = parser.parse_args()
    order = [part.strip() for part in args.order.split(",")]
    if not order or any(part not in ("with", "without") for part in order):
        parser.error("--order: a comma-separated list of 'with' and 'without'")
    django_setup(fresh_database(args.database, f"bench_data_health_{args.part}{args.name}"))
    from django.conf import settings

    settings.MEDIA_ROOT = str(scratch_dir("bench-data-health-"))
    parts = {
        "import": lambda: run_import(
            args.images, order, as_photos=args.photos, pool=args.pool, cache=args.cache, workers=args.workers
        ),
        "drift": run_drift,
        "outliers": run_outliers,
    }
    parts[args.part]()


if __name__ == "__main__":
    main()
