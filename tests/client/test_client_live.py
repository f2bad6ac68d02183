"""The Python client against a live server: what an ML engineer's script does, end to end over HTTP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aqc_client import (
    AuthenticationFailed,
    BadRequest,
    ChecksumMismatch,
    Client,
    JobFailed,
    PermissionDenied,
    box_predictions,
    class_predictions,
)
from aqc_client.cli import main as cli_main

from annotation_qc.labeling.models import Item, Prediction
from annotation_qc.projects.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

LABELS = ["cat", "dog", "bird"]


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def _user(username: str) -> Any:
    user = UserFactory(username=username)
    user.set_password(f"{username}-pw")
    user.save()
    return user


@pytest.fixture
def manager_client(live_server: Any) -> Client:
    _user("mlmanager")
    return Client(live_server.url, username="mlmanager", password="mlmanager-pw", retries=0)


def _items(n: int, prefix: str = "img") -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{prefix}-{i:03d}",
            "image_url": f"https://img.example/{prefix}-{i}.png",
            "width": 64,
            "height": 48,
        }
        for i in range(n)
    ]


def test_project_import_prioritise_queue_and_quality_reads(manager_client: Client) -> None:
    client = manager_client
    project = client.create_project("pets", kind="classification", labels=LABELS)
    assert project["role"] == "manager"
    assert client.import_items(project["id"], _items(30)) == 30

    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=30)
    rows = class_predictions([f"img-{i:03d}" for i in range(30)], proba, LABELS)
    assert client.import_predictions(project["id"], "m1", rows) == 30
    stored = Prediction.objects.get(item__external_id="img-007", item__project_id=project["id"])
    assert stored.proba == pytest.approx(proba[7].tolist())
    assert stored.payload == {"label": LABELS[int(np.argmax(proba[7]))]}

    gold = [{**row, "payload": {"label": "dog"}} for row in _items(2, prefix="gold")]
    assert client.import_gold(project["id"], gold) == 2

    job = client.prioritize(project["id"], strategy="least_confidence", wait=True, timeout=60)
    assert job["status"] == "succeeded"
    # Paged through 7 at a time: every open item once, best (least confident) first.
    entries = list(client.queue(project["id"], page_size=7))
    assert len({e["external_id"] for e in entries}) == len(entries) == 30
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)
    top = entries[0]["external_id"]
    assert proba[int(top.split("-")[1])].max() == pytest.approx(proba.max(axis=1).min())

    assert client.scorecards(project["id"]) == []
    assert client.agreement(project["id"])["report"] is None
    assert list(client.findings(project["id"])) == []
    assert [p["id"] for p in client.projects()] == [project["id"]]


def test_box_predictions_from_arrays(manager_client: Client) -> None:
    client = manager_client
    project = client.create_project("cars", kind="bbox", labels=["car", "person"])
    client.import_items(project["id"], _items(2))
    boxes = [np.array([[1.0, 2.0, 11.0, 22.0], [5, 5, 9, 9]]), np.zeros((0, 4))]
    labels = [np.array([0, 1]), np.array([], dtype=int)]
    scores = [np.array([0.9, 0.4]), np.array([])]
    rows = box_predictions(
        ["img-000", "img-001"], boxes, labels, scores, box_format="xyxy", names=["car", "person"]
    )
    assert client.import_predictions(project["id"], "det-1", rows) == 2
    stored = Prediction.objects.get(item__external_id="img-000", item__project_id=project["id"])
    assert stored.payload == {
        "boxes": [
            {"x": 1.0, "y": 2.0, "w": 10.0, "h": 20.0, "label": "car"},
            {"x": 5.0, "y": 5.0, "w": 4.0, "h": 4.0, "label": "person"},
        ]
    }
    assert stored.scores == [0.9, 0.4]


def test_field_errors_permissions_and_bad_credentials(manager_client: Client, live_server: Any) -> None:
    project = manager_client.create_project("p", kind="classification", labels=LABELS)
    bad = _items(2)
    bad[1]["width"] = 0
    with pytest.raises(BadRequest) as caught:
        manager_client.import_items(project["id"], bad)
    assert caught.value.status == 400
    assert any(
        path.startswith("items[1].width") or path == "items.1.width" or "width" in path
        for path in caught.value.errors
    ), caught.value.errors
    assert "width" in str(caught.value)
    assert not Item.objects.filter(project_id=project["id"]).exists()  # all or nothing

    annotator = _user("ann")
    MembershipFactory(project_id=project["id"], user=annotator, role=Membership.Role.ANNOTATOR)
    with pytest.raises(PermissionDenied):
        Client(live_server.url, username="ann", password="ann-pw", retries=0).scorecards(project["id"])
    with pytest.raises(AuthenticationFailed):
        Client(live_server.url, token="not-a-token", retries=0).projects()
    with pytest.raises(BadRequest):
        Client(live_server.url, username="ann", password="wrong", retries=0)


def test_file_import_and_verified_export(manager_client: Client, tmp_path: Path) -> None:
    client = manager_client
    project = client.create_project("boxes", kind="bbox", labels=["car", "person"])
    document = {
        "images": [
            {
                "id": 1,
                "file_name": "a.jpg",
                "width": 640,
                "height": 480,
                "coco_url": "https://img.example/a.jpg",
            }
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 2, "bbox": [10, 20, 30, 40], "area": 1200, "iscrowd": 0}
        ],
    }
    path = tmp_path / "preds.json"
    path.write_text(json.dumps(document))
    seen: list[str] = []
    done = client.import_file(
        project["id"],
        path,
        as_="predictions",
        model_version="m2",
        on_progress=lambda job: seen.append(job["status"]),
    )
    assert done["status"] == "imported"
    assert seen[-1] == "succeeded"
    assert Prediction.objects.filter(item__project_id=project["id"], model_version="m2").count() == 1

    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps({**document, "annotations": [{**document["annotations"][0], "image_id": 9}]})
    )
    with pytest.raises(JobFailed) as failed:
        client.import_file(project["id"], broken, as_="predictions", model_version="m3")
    assert failed.value.job["result"]["rejected"], failed.value.job

    target = client.export(project["id"], "jsonl", tmp_path / "out.jsonl", timeout=60)
    content = target.read_bytes()
    newest = client.start_export(project["id"], "jsonl")
    client.wait(newest["job_id"], timeout=60)
    info = client.export_info(newest["id"])
    assert hashlib.sha256(content).hexdigest() == info["sha256"]  # same data, same bytes
    assert info["manifest"]["content"]["sha256"] == info["sha256"]
    assert len(content.splitlines()) == info["manifest"]["counts"]["items"]

    # A manifest that disagrees with the bytes is refused and leaves no file behind.
    original = client.export_info

    def tampered(export_id: int) -> Any:
        body = dict(original(export_id))
        body["manifest"] = {**(body.get("manifest") or {}), "content": {"sha256": "0" * 64}}
        return body

    client.export_info = tampered  # type: ignore[method-assign]
    with pytest.raises(ChecksumMismatch):
        client.download_export(newest["id"], tmp_path / "tampered.jsonl")
    assert not (tmp_path / "tampered.jsonl").exists()
    assert not (tmp_path / "tampered.jsonl.part").exists()


def test_cli_commands(
    manager_client: Client, live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = manager_client
    project = client.create_project("cli", kind="classification", labels=LABELS)
    client.import_items(project["id"], _items(5))
    base = ["--url", live_server.url, "--token", str(client.http.token), "--quiet"]

    data = tmp_path / "more.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(
                {
                    "external_id": f"j{i}",
                    "image_url": f"https://img.example/j{i}.png",
                    "width": 10,
                    "height": 10,
                }
            )
            for i in range(3)
        )
        + "\n"
    )
    assert cli_main([*base, "import", str(project["id"]), str(data)]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 3

    assert cli_main([*base, "prioritize", str(project["id"]), "--strategy", "random", "--wait"]) == 0
    capsys.readouterr()
    assert cli_main([*base, "queue", str(project["id"]), "--output", "csv", "--limit", "4"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0] == "item_id,external_id,score,open_slots"
    assert len(rows) == 5

    assert cli_main([*base, "scorecards", str(project["id"])]) == 0
    assert capsys.readouterr().out.startswith("user_id,username,status")

    out = tmp_path / "export.csv"
    assert cli_main([*base, "export", str(project["id"]), "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text().startswith("external_id,")

    # Server refusals come back as a message and exit status 2, not a traceback.
    assert cli_main([*base, "export", str(project["id"]), "--format", "coco", "-o", str(out)]) == 2
    assert "coco" in capsys.readouterr().err.lower()
