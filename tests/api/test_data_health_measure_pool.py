"""Images decoded and measured in worker processes beside the import: the same results as in the import's
own process, and a worker that dies or an image that does not decode never hangs or half-writes an import."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from annotation_qc.datahealth.models import ItemHealth, Quarantine
from annotation_qc.exchange.models import DataImport
from annotation_qc.exchange.services import image_pool, imports
from annotation_qc.exchange.services.image_pool import BlockMeasurer, MeasurePoolBroken
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import job
from tests.api.test_data_health_decoding import truncated
from tests.api.test_data_health_imports import configure, scene, upload_images

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def photo(seed: int) -> bytes:
    """A 160 x 120 JPEG of coarse random blocks (decoded at a reduced scale)."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(scene(seed, 160, 120))).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def files() -> dict[str, bytes]:
    blank = io.BytesIO()
    Image.new("RGB", (80, 60), (90, 90, 90)).save(blank, format="PNG")
    return {
        **{f"scene{i}.png": scene(i) for i in range(5)},
        **{f"photo{i}.jpg": photo(100 + i) for i in range(4)},
        "blank.png": blank.getvalue(),
        "scene9-copy.png": scene(0),
        "cut.png": truncated(7),
    }


@pytest.fixture
def pooled(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every import measured by one worker process, in blocks of 3 images (several blocks in flight)."""
    settings.ANNOTATION_QC = {
        **getattr(settings, "ANNOTATION_QC", {}),
        "IMPORT_MEASURE_WORKERS": 1,
        "IMPORT_MEASURE_POOL_MIN_IMAGES": 0,
    }
    monkeypatch.setattr(imports, "MEASURE_BLOCK", 3)


def test_a_worker_measures_exactly_what_the_import_process_does() -> None:
    contents = [*files().values(), b"not an image at all"]
    keys = [str(i) for i in range(len(contents))]
    here = image_pool.decode_block(keys, contents, 10**7, 10**8)
    with BlockMeasurer(workers=1, max_bytes=10**7, max_pixels=10**8) as measurer:
        pending = measurer.submit(keys, contents)
        assert not isinstance(pending, image_pool.MeasuredHere)
        there = measurer.result(pending)
    assert there.measured == here.measured
    assert len(here.measured) == len(contents) - 2  # the cut PNG and the non-image are not measured
    assert there.outcomes == here.outcomes
    assert isinstance(there.outcomes[-1], str)


@pytest.mark.parametrize("slot_bytes", [image_pool.SLOT_BYTES, 1000])
def test_blocks_through_shared_slots_or_the_pipe_measure_alike(
    slot_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More blocks than slots (each slot used again), or blocks too large for a slot (sent by pipe)."""
    monkeypatch.setattr(image_pool, "SLOT_BYTES", slot_bytes)
    contents = list(files().values())
    blocks = [(f"b{b}-{i}" for i in range(len(contents))) for b in range(7)]
    with BlockMeasurer(workers=1, max_bytes=10**7, max_pixels=10**8) as measurer:
        results = []
        for block in blocks:
            keys = list(block)
            results.append((keys, measurer.result(measurer.submit(keys, contents))))
    for keys, there in results:
        here = image_pool.decode_block(keys, contents, 10**7, 10**8)
        assert there.measured == here.measured
        assert there.outcomes == here.outcomes


def test_pooled_import_checks_and_writes_as_in_process(world: World, capture: Any, pooled: None) -> None:
    configure(world, {"checks": {"decodes": {"action": "quarantine"}}})
    response = upload_images(world, capture, files())
    report = job(world, response.json()["job_id"])["result"]
    assert report["created"] == 12
    failed = {(f["external_id"], f["check"]) for f in report["data_health"]["failures"]}
    assert failed == {("blank.png", "blank"), ("scene9-copy.png", "exact_duplicate"), ("cut.png", "decodes")}
    held = set(Quarantine.objects.values_list("item__external_id", flat=True))
    assert held == {"blank.png", "scene9-copy.png", "cut.png"}
    health = dict(ItemHealth.objects.values_list("item__external_id", "dhash"))
    assert len(health) == 12
    assert health["cut.png"] is None
    assert health["scene9-copy.png"] == health["scene0.png"] is not None
    cut = Item.objects.get(external_id="cut.png")
    assert (cut.width, cut.height) == (80, 60)


def test_pooled_import_with_a_corrupt_image_rejects_all_of_it(
    world: World, capture: Any, pooled: None, media: Path
) -> None:
    before = Item.objects.count()
    response = upload_images(world, capture, files())
    result = job(world, response.json()["job_id"])
    assert result["status"] == "failed"
    assert [r["row"] for r in result["result"]["rejected"]] == ["file:cut.png"]
    assert Item.objects.count() == before
    assert not ItemHealth.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []  # stored images and the upload deleted


def _dies(*args: Any) -> Any:
    os._exit(3)


def test_a_worker_that_dies_fails_the_import_and_leaves_nothing(
    world: World, capture: Any, pooled: None, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_pool, "decode_block", _dies)  # the forked worker runs this
    before = Item.objects.count()
    with pytest.raises(MeasurePoolBroken):
        upload_images(world, capture, files())
    data_import = DataImport.objects.get()
    assert data_import.status == DataImport.Status.FAILED
    result = job(world, data_import.job_id)
    assert result["status"] == "failed"
    assert "worker died" in result["message"]
    assert Item.objects.count() == before
    assert not ItemHealth.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


class _NoProcesses(image_pool.ProcessPoolExecutor):
    def submit(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("daemonic processes are not allowed to have children")


def test_where_workers_cannot_start_the_import_measures_in_its_own_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(image_pool, "ProcessPoolExecutor", _NoProcesses)
    contents = list(files().values())
    keys = [str(i) for i in range(len(contents))]
    with BlockMeasurer(workers=1, max_bytes=10**7, max_pixels=10**8) as measurer:
        pending = measurer.submit(keys, contents)
        assert isinstance(pending, image_pool.MeasuredHere)
        assert (
            measurer.result(pending).measured
            == image_pool.decode_block(keys, contents, 10**7, 10**8).measured
        )
        assert isinstance(measurer.submit(keys, contents), image_pool.MeasuredHere)


def _in_a_daemon(queue: Any) -> None:
    contents = list(files().values())
    keys = [str(i) for i in range(len(contents))]
    with BlockMeasurer(workers=1, max_bytes=10**7, max_pixels=10**8) as measurer:
        pending = measurer.submit(keys, contents)
        there = measurer.result(pending)
    here = image_pool.decode_block(keys, contents, 10**7, 10**8)
    queue.put((isinstance(pending, image_pool.MeasuredHere), there.measured == here.measured))


def test_a_celery_prefork_child_starts_its_measurement_worker() -> None:
    """Celery's prefork children are daemonic processes, to which ``multiprocessing`` refuses children."""
    billiard = pytest.importorskip("billiard")
    queue = billiard.Queue()
    child = billiard.Process(target=_in_a_daemon, args=(queue,), daemon=True)
    child.start()
    measured_here, alike = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert not measured_here  # a worker process measured it
    assert alike


def _killed_with_a_worker(queue: Any) -> None:
    measurer = BlockMeasurer(workers=1, max_bytes=10**7, max_pixels=10**8).__enter__()
    measurer.result(measurer.submit(["a"], [scene(1)]))
    assert measurer._pool is not None
    queue.put(list(measurer._pool._processes))
    queue.close()
    queue.join_thread()  # sent before the kill
    os.kill(os.getpid(), signal.SIGKILL)  # no shutdown of the pool


def test_a_worker_ends_when_the_import_process_is_killed() -> None:
    billiard = pytest.importorskip("billiard")
    queue = billiard.Queue()
    child = billiard.Process(target=_killed_with_a_worker, args=(queue,))
    child.start()
    (worker,) = queue.get(timeout=60)
    child.join(timeout=60)
    deadline = time.monotonic() + 10 * image_pool.PARENT_CHECK_SECONDS
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False
