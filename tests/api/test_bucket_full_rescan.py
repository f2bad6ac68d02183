"""Full rescans of a bucket source on moto's S3 server: keys added before the cursor.

An incremental sync lists the keys after the cursor (``StartAfter``), so in a flat prefix a key added
after the sync that sorts before the cursor (``frames/a.png`` after ``frames/z.png`` was synced) is
never listed by it. A full rescan lists the whole prefix, creates only what is missing and counts
those keys (``behind_cursor``); a manager asks for one, and every ``SOURCE_FULL_RESCAN_EVERY``th sync
is one by itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from annotation_qc.exchange.models import BucketSource, SourceObject
from annotation_qc.labeling.models import Item
from tests.api.conftest import ROLES, World
from tests.api.exchange_helpers import job
from tests.api.test_bucket_sources import create, picture, source_body
from tests.s3 import MotoServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def bucket(moto_server: MotoServer) -> Any:
    client = moto_server.client()
    name = f"rescan-{np.random.default_rng().integers(1 << 40):x}"
    client.create_bucket(Bucket=name)
    return client, name


def put(bucket: Any, *keys: str) -> None:
    client, name = bucket
    for key in keys:
        client.put_object(Bucket=name, Key=key, Body=picture(10, 8, sum(map(ord, key))))


def start(world: World, capture: Any, source_id: int, **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start a sync and run its job: (the 202 body, the finished job)."""
    with capture(execute=True):
        response = world.client("manager").post(f"/api/v1/sources/{source_id}/sync/", body, format="json")
    assert response.status_code == 202, response.json()
    done = job(world, response.json()["job_id"])
    assert done["status"] == "succeeded", done
    started: dict[str, Any] = response.json()
    return started, done


def counts(result: dict[str, Any]) -> tuple[int, int, int, int]:
    return result["listed"], result["created"], result["behind_cursor"], result["already_synced"]


def synced(world: World) -> list[str]:
    return sorted(
        Item.objects.filter(project=world.project, image__startswith="bucket").values_list(
            "external_id", flat=True
        )
    )


def test_a_key_added_before_the_cursor_is_missed_by_a_sync_and_found_by_a_full_rescan(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "SOURCE_FULL_RESCAN_EVERY": 0}  # only when asked
    put(bucket, "frames/m.png", "frames/z.png")
    source = create(world, source_body(moto_server, bucket[1], prefix="frames/"))
    _, first = start(world, capture, source["id"])
    assert (first["result"]["created"], first["result"]["cursor"]) == (2, "frames/z.png")

    put(bucket, "frames/a.png", "frames/zz.png")  # a.png sorts before the cursor, zz.png after
    started, second = start(world, capture, source["id"])
    assert (started["full"], started["scheduled"], second["result"]["full"]) == (False, False, False)
    assert (second["result"]["listed"], second["result"]["created"]) == (1, 1)
    assert synced(world) == ["m.png", "z.png", "zz.png"]  # a.png missed

    started, rescan = start(world, capture, source["id"], full=True)
    assert (started["full"], started["scheduled"]) == (True, False)
    result = rescan["result"]
    assert result["full"] is True
    assert counts(result) == (4, 1, 1, 3)
    assert rescan["message"].startswith("Full rescan: 1 item(s) created from bucket")
    assert synced(world) == ["a.png", "m.png", "z.png", "zz.png"]
    assert result["cursor"] == "frames/zz.png"  # never moved back

    _, again = start(world, capture, source["id"], full=True)  # idempotent: nothing new, nothing twice
    result = again["result"]
    assert counts(result) == (4, 0, 0, 4)
    assert synced(world) == ["a.png", "m.png", "z.png", "zz.png"]
    assert SourceObject.objects.filter(source_id=source["id"]).count() == 4
    assert BucketSource.objects.get(pk=source["id"]).cursor == "frames/zz.png"

    listed = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/sources/").json()["results"]
    assert listed[0]["last_sync_job_id"] == again["id"]
    detail = world.client("manager").get(f"/api/v1/sources/{source['id']}/").json()
    assert detail["last_sync_job_id"] == again["id"]


def test_a_key_added_before_a_folders_cursor_is_found_by_a_full_rescan(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "SOURCE_FULL_RESCAN_EVERY": 0}
    put(bucket, "shots/cam1/005.png", "shots/cam2/005.png")
    source = create(world, source_body(moto_server, bucket[1]))
    start(world, capture, source["id"])
    put(bucket, "shots/cam1/001.png")  # before its folder's cursor (shots/cam1/005.png)
    assert start(world, capture, source["id"])[1]["result"]["created"] == 0
    result = start(world, capture, source["id"], full=True)[1]["result"]
    assert (result["created"], result["behind_cursor"]) == (1, 1)
    assert synced(world) == ["cam1/001.png", "cam1/005.png", "cam2/005.png"]


def test_every_nth_sync_is_a_full_rescan_by_itself(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "SOURCE_FULL_RESCAN_EVERY": 3}
    put(bucket, "frames/m.png")
    source = create(world, source_body(moto_server, bucket[1], prefix="frames/"))
    started, _ = start(world, capture, source["id"])  # a first sync lists everything: it counts as full
    assert (started["full"], started["scheduled"]) == (False, False)
    put(bucket, "frames/a.png")
    kinds = []
    for _ in range(4):
        started, done = start(world, capture, source["id"])
        kinds.append((started["full"], started["scheduled"], done["result"]["created"]))
    # Two incremental syncs (a.png missed), the third a scheduled full rescan (a.png found), then again.
    assert kinds == [(False, False, 0), (False, False, 0), (True, True, 1), (False, False, 0)]
    assert synced(world) == ["a.png", "m.png"]
    # A rescan a manager asks for starts the count again.
    assert start(world, capture, source["id"], full=True)[0]["scheduled"] is False
    assert [start(world, capture, source["id"])[0]["full"] for _ in range(3)] == [False, False, True]


def test_bad_sync_requests_name_the_field(world: World) -> None:
    source = BucketSource.objects.create(project=world.project, name="s", bucket="media")
    url = f"/api/v1/sources/{source.pk}/sync/"
    manager = world.client("manager")
    bad = (({"full": "sometimes"}, "full"), ({"rescan": True}, "rescan"), ({"full": None}, "full"))
    for body, field in bad:
        response = manager.post(url, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], response.json()
    assert not source.syncs.exists()


FULL_RESCAN = {"annotator": 404, "manager": 202, "ml_engineer": 404, "outsider": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_projects_managers_start_a_full_rescan(world: World, capture: Any, role: str) -> None:
    source = BucketSource.objects.create(project=world.project, name="s", bucket="media")
    with capture(execute=False):
        response = world.client(role).post(
            f"/api/v1/sources/{source.pk}/sync/", {"full": True}, format="json"
        )
    assert response.status_code == FULL_RESCAN[role], response.content
    assert source.syncs.exists() == (role == "manager")
