"""Export snapshots: round trips through the annotator loop, label sources, determinism, manifest, download"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.agreement.models import AgreementSnapshot, Consensus
from annotation_qc.agreement.services.consensus import consensus_update
from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.core.jobs import job_create
from annotation_qc.domain.formats import ParseOptions, parse_label_studio
from annotation_qc.exchange import selectors
from annotation_qc.exchange.models import ExportSnapshot
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.api.exchange_helpers import coco_document, imported, job
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

LABELS = ("car", "person", "bike")
IMAGES = [("a.jpg", 640, 480), ("b.jpg", 320, 240), ("c.jpg", 100, 100)]
BOXES = {
    "a.jpg": [(10, 20, 30, 40, 1), (100, 100, 50, 60, 2), (300, 200, 80, 40, 1)],
    "b.jpg": [(5, 5, 20, 10, 3)],
    "c.jpg": [],
}


@pytest.fixture
def empty(world: World) -> World:
    Item.objects.filter(project=world.project).delete()
    return world


def expected_payload(document: dict[str, Any], external_id: str) -> dict[str, Any]:
    image_id = next(i["id"] for i in document["images"] if i["file_name"] == external_id)
    return {
        "boxes": [
            {
                "x": float(x),
                "y": float(y),
                "w": float(w),
                "h": float(h),
                "label": LABELS[a["category_id"] - 1],
            }
            for a in document["annotations"]
            if a["image_id"] == image_id
            for x, y, w, h in [a["bbox"]]
        ]
    }


def label_everything(world: World, answer: Any, annotator: str = "annotator") -> int:
    """Work the queue through the annotator loop, answering each item with ``answer(item)``."""
    user = world.users[annotator]
    done = 0
    while (task := task_next(project=world.project, annotator_id=user.pk)) is not None:
        annotation_submit(
            task_id=task.pk, annotator_id=user.pk, payload=answer(task.item), client_time_ms=5000
        )
        done += 1
    return done


def export(world: World, capture: Any, role: str = "ml_engineer", **body: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = world.client(role).post(
            f"/api/v1/projects/{world.project.pk}/exports/", body, format="json"
        )
    assert response.status_code == 202, response.json()
    started = response.json()
    assert job(world, started["job_id"])["status"] == "succeeded"
    detail = world.client(role).get(f"/api/v1/exports/{started['export_id']}/")
    assert detail.status_code == 200
    body_: dict[str, Any] = detail.json()
    assert body_["status"] == "ready"
    return body_


def download(world: World, export_id: int, role: str = "ml_engineer", **headers: str) -> Any:
    return world.client(role).get(f"/api/v1/exports/{export_id}/download/", **headers)


def content_of(world: World, export_id: int) -> bytes:
    response = download(world, export_id)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_coco_round_trip_through_the_annotator_loop(empty: World, capture: Any, tmp_path: Any) -> None:
    coco_api = pytest.importorskip("pycocotools.coco")
    document = coco_document(IMAGES, BOXES)
    assert imported(empty, capture, format="coco", data=document)["created"] == 3
    assert label_everything(empty, lambda item: expected_payload(document, item.external_id)) == 3

    snapshot = export(empty, capture, format="coco")
    path = tmp_path / "out.json"
    path.write_bytes(content_of(empty, snapshot["id"]))
    loaded = coco_api.COCO(str(path))
    assert len(loaded.getImgIds()) == 3
    assert len(loaded.getAnnIds()) == 4
    assert [c["name"] for c in loaded.loadCats(loaded.getCatIds())] == list(LABELS)
    by_name = {image["file_name"]: image for image in loaded.loadImgs(loaded.getImgIds())}
    assert (by_name["a.jpg"]["width"], by_name["a.jpg"]["height"]) == (640, 480)
    for name, boxes in BOXES.items():
        annotations = loaded.loadAnns(loaded.getAnnIds(imgIds=[by_name[name]["id"]]))
        got = sorted((*a["bbox"], a["category_id"]) for a in annotations)
        assert got == sorted((*(float(v) for v in box[:4]), box[4]) for box in boxes)
    assert len(loaded.getAnnIds(catIds=loaded.getCatIds(catNms=["car"]))) == 2
    manifest = snapshot["manifest"]
    assert manifest["counts"]["items"] == 3
    assert manifest["counts"]["annotations"] == 4
    assert manifest["counts"]["per_label"] == {"car": 2, "person": 1, "bike": 1}
    assert manifest["counts"]["by_status"] == {"single": 3}
    assert manifest["annotators"] == [
        {"id": empty.users["annotator"].pk, "username": "annotator", "items": 3}
    ]


def test_label_studio_in_and_out(empty: World, capture: Any) -> None:
    def rect(x: float, y: float, w: float, h: float, label: str) -> dict[str, Any]:
        return {
            "type": "rectanglelabels",
            "original_width": 400,
            "original_height": 200,
            "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]},
        }

    tasks = [
        {
            "id": 11,
            "data": {"image": "https://img.example/11.jpg"},
            "predictions": [],
            "annotations": [{"result": [rect(10, 10, 20, 30, "car")]}],
        },
        {"id": 12, "data": {"image": "https://img.example/12.jpg", "width": 400, "height": 200}},
    ]
    assert imported(empty, capture, format="label_studio", data=tasks)["created"] == 2
    answers = {"11": [(40.0, 20.0, 80.0, 60.0, "car")], "12": [(0.0, 0.0, 100.0, 50.0, "bike")]}

    def answer(item: Item) -> dict[str, Any]:
        return {
            "boxes": [
                {"x": x, "y": y, "w": w, "h": h, "label": label}
                for x, y, w, h, label in answers[item.external_id]
            ]
        }

    label_everything(empty, answer)
    snapshot = export(empty, capture, format="label_studio")
    out = json.loads(content_of(empty, snapshot["id"]))
    assert [t["data"]["external_id"] for t in out] == ["11", "12"]
    first = out[0]["annotations"][0]
    assert first["ground_truth"] is True
    assert first["label_status"] == "single"
    assert first["result"][0]["value"]["x"] == pytest.approx(10.0)
    assert first["result"][0]["value"]["width"] == pytest.approx(20.0)
    back = parse_label_studio(out, ParseOptions(kind="bbox", labels=LABELS))
    assert back.ok
    assert [i.payload for i in back.items] == [answer(Item(external_id=e)) for e in ("11", "12")]


@pytest.fixture
def doubled(empty: World) -> World:
    """Three items: x1 labeled once, x2 twice with a consensus, x3 twice without one; x4 unlabeled."""
    rows = [
        {"external_id": f"x{n}", "image_url": f"https://img.example/x{n}.png", "width": 100, "height": 100}
        for n in range(1, 5)
    ]
    from annotation_qc.labeling.services.imports import items_import

    items_import(project=empty.project, rows=rows)
    Item.objects.filter(external_id__in=["x2", "x3"]).update(required_annotations=2, open_slots=2)
    second = UserFactory(username="second")
    MembershipFactory(project=empty.project, user=second, role="annotator")
    empty.users["second"] = second
    box = {"x": 10.0, "y": 10.0, "w": 30.0, "h": 30.0, "label": "car"}
    answers = {
        ("annotator", "x1"): [box],
        ("annotator", "x2"): [box],
        ("second", "x2"): [{**box, "x": 12.0}],
        ("annotator", "x3"): [box],
        ("second", "x3"): [{**box, "label": "bike"}],
    }
    for who in ("annotator", "second"):
        user = empty.users[who]
        while (task := task_next(project=empty.project, annotator_id=user.pk)) is not None:
            key = (who, task.item.external_id)
            if key not in answers:
                from annotation_qc.workflow.submit_pipeline import task_skip

                task_skip(task=task, reason="not in this test")
                continue
            annotation_submit(
                task_id=task.pk, annotator_id=user.pk, payload={"boxes": answers[key]}, client_time_ms=5000
            )
    consensus_update(item_id=Item.objects.get(external_id="x2").pk)
    Consensus.objects.filter(item__external_id="x3").delete()
    return empty


def test_consensus_then_single_and_unresolved_are_reported(doubled: World, capture: Any) -> None:
    assert Consensus.objects.filter(item__external_id="x2").exists()
    snapshot = export(doubled, capture, format="jsonl")
    lines = [json.loads(line) for line in content_of(doubled, snapshot["id"]).decode().splitlines()]
    assert [(r["external_id"], r["label_status"]) for r in lines] == [("x1", "single"), ("x2", "consensus")]
    consensus = Consensus.objects.get(item__external_id="x2").payload
    assert lines[1]["annotation"] == consensus
    manifest = snapshot["manifest"]
    assert manifest["unresolved"] == ["x3"]
    assert manifest["counts"]["unresolved"] == 1
    assert manifest["counts"]["unlabeled"] == 1

    raw = export(doubled, capture, format="jsonl", include_raw=True)
    rows = [json.loads(line) for line in content_of(doubled, raw["id"]).decode().splitlines()]
    assert [(r["external_id"], r["label_status"]) for r in rows] == [
        ("x1", "single"),
        ("x2", "consensus"),
        ("x3", "unresolved"),
    ]
    assert rows[2]["annotation"] is None
    assert sorted(a["annotation"]["boxes"][0]["label"] for a in rows[2]["raw"]) == ["bike", "car"]
    assert raw["manifest"]["counts"]["raw_annotations"] == 5


def test_benchmark_answers_never_exported_and_gold_only_when_asked(empty: World, capture: Any) -> None:
    gold_rows = {"external_id": "g1", "image_url": "https://img.example/g1.png", "width": 50, "height": 50}
    gold_payload = {"boxes": [{"x": 1.0, "y": 1.0, "w": 10.0, "h": 10.0, "label": "person"}]}
    from annotation_qc.benchmarks.services.gold import gold_import

    gold_import(
        project=empty.project, rows=[{**gold_rows, "payload": gold_payload}], user=empty.users["manager"]
    )
    gold_item = Item.objects.get(external_id="g1")
    task = Task.objects.create(
        project=empty.project,
        item=gold_item,
        annotator=empty.users["annotator"],
        kind=Task.Kind.BENCHMARK,
        served_at=timezone.now(),
        lease_expires_at=timezone.now(),
        status=Task.Status.SUBMITTED,
    )
    Annotation.objects.create(
        task=task,
        project=empty.project,
        item=gold_item,
        annotator=empty.users["annotator"],
        payload={"boxes": []},
        server_time_ms=1,
        is_benchmark=True,
        submitted_at=timezone.now(),
    )
    plain = export(empty, capture, format="csv", include_raw=True)
    assert content_of(empty, plain["id"]).decode().splitlines()[1:] == []
    assert plain["manifest"]["annotators"] == []
    with_gold = export(empty, capture, role="manager", format="csv", include_raw=True, include_gold=True)
    content = b"".join(download(empty, with_gold["id"], "manager").streaming_content)
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [(r["external_id"], r["source"], r["label"], r["x"]) for r in rows] == [
        ("g1", "gold", "person", "1")
    ]
    assert with_gold["manifest"]["gold_set"]["count"] == 1


def test_same_data_exported_twice_has_the_same_hash(doubled: World, capture: Any) -> None:
    first = export(doubled, capture, format="coco", include_raw=True)
    second = export(doubled, capture, format="coco", include_raw=True)
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert content_of(doubled, first["id"]) == content_of(doubled, second["id"])
    assert b"built_at" not in content_of(doubled, first["id"])
    Consensus.objects.filter(item__external_id="x2").update(payload={"boxes": []})
    third = export(doubled, capture, format="coco", include_raw=True)
    assert third["sha256"] != first["sha256"]
    for fmt in ("csv", "jsonl", "label_studio"):
        assert (
            export(doubled, capture, format=fmt)["sha256"] == export(doubled, capture, format=fmt)["sha256"]
        )


@pytest.mark.parametrize("fmt", ["coco", "label_studio", "csv", "jsonl"])
def test_reading_the_project_in_small_batches_gives_the_same_snapshot(
    doubled: World, capture: Any, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    whole = export(doubled, capture, format=fmt, include_raw=True)
    monkeypatch.setattr(selectors, "READ_BATCH", 2)  # every item batch of the job holds two items
    batched = export(doubled, capture, format=fmt, include_raw=True)
    assert batched["sha256"] == whole["sha256"]
    assert content_of(doubled, batched["id"]) == content_of(doubled, whole["id"])
    keys = ("counts", "unresolved", "annotators")
    assert {k: batched["manifest"][k] for k in keys} == {k: whole["manifest"][k] for k in keys}
    assert whole["manifest"]["counts"]["items"] > 2


def test_manifest_carries_lineage(doubled: World, capture: Any) -> None:
    project = doubled.project
    AgreementSnapshot.objects.create(
        project=project,
        computed_at=timezone.now(),
        alpha=0.71,
        alpha_low=0.6,
        alpha_high=0.8,
        n_items=2,
        report={},
    )
    run_job = job_create(kind="prioritize", project_id=project.pk, created_by_id=None, params={})
    PriorityRun.objects.create(
        project=project,
        job=run_job,
        strategy="entropy",
        used_strategy="entropy",
        status="active",
        model_version="committee-v3",
    )
    from annotation_qc.benchmarks.services.gold import gold_import

    gold_import(
        project=project,
        rows=[
            {
                "external_id": "g9",
                "image_url": "https://img.example/g9.png",
                "width": 9,
                "height": 9,
                "payload": {"boxes": []},
            }
        ],
        user=doubled.users["manager"],
    )
    snapshot = export(doubled, capture, role="manager", format="coco")
    manifest = snapshot["manifest"]
    assert manifest["content"]["sha256"] == snapshot["sha256"]
    assert manifest["content"]["sha256"] == hashlib.sha256(content_of(doubled, snapshot["id"])).hexdigest()
    assert manifest["agreement"]["alpha"] == 0.71
    assert (manifest["agreement"]["low"], manifest["agreement"]["high"]) == (0.6, 0.8)
    assert manifest["priority"]["model_version"] == "committee-v3"
    gold = manifest["gold_set"]
    assert (gold["count"], gold["max_id"], len(gold["sha256"])) == (1, GoldAnnotation.objects.get().pk, 64)
    users = {b["username"] for b in manifest["benchmarks"]}
    assert {"annotator", "second"} <= users
    assert {"n", "correct", "accuracy", "low", "high", "status"} <= set(manifest["benchmarks"][0])
    assert [a["username"] for a in manifest["annotators"]] == ["annotator", "second"]
    assert manifest["created_by"]["username"] == "manager"
    assert manifest["project"]["labels"] == list(LABELS)
    GoldAnnotation.objects.update(
        payload={"boxes": [{"x": 1.0, "y": 1.0, "w": 2.0, "h": 2.0, "label": "car"}]}
    )
    assert export(doubled, capture, format="coco")["manifest"]["gold_set"]["sha256"] != gold["sha256"]


def test_download_headers_and_conditional_get(doubled: World, capture: Any) -> None:
    snapshot = export(doubled, capture, format="csv")
    response = download(doubled, snapshot["id"])
    content = b"".join(response.streaming_content)
    digest = hashlib.sha256(content).digest()
    assert response["ETag"] == f'"{snapshot["sha256"]}"'
    assert response["Digest"] == "sha-256=" + base64.b64encode(digest).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert snapshot["sha256"][:12] in response["Content-Disposition"]
    again = download(doubled, snapshot["id"], HTTP_IF_NONE_MATCH=f'"{snapshot["sha256"]}"')
    assert again.status_code == 304
    assert again["ETag"] == response["ETag"]


def test_exports_are_listed_newest_first(doubled: World, capture: Any) -> None:
    first = export(doubled, capture, format="csv")
    second = export(doubled, capture, format="jsonl", include_raw=True)
    rows = doubled.client("manager").get(f"/api/v1/projects/{doubled.project.pk}/exports/").json()["results"]
    assert [r["id"] for r in rows] == [second["id"], first["id"]]
    assert rows[0]["options"] == {"include_raw": True, "include_gold": False}
    assert rows[0]["download_url"] == f"/api/v1/exports/{second['id']}/download/"
    assert rows[0]["counts"]["items"] == 3


def test_export_not_built_yet_cannot_be_downloaded(doubled: World) -> None:
    response = doubled.client("manager").post(
        f"/api/v1/projects/{doubled.project.pk}/exports/", {"format": "csv"}, format="json"
    )  # the job is enqueued on commit, which this test transaction never reaches
    assert response.status_code == 202
    export_id = response.json()["export_id"]
    assert ExportSnapshot.objects.get(pk=export_id).status == "pending"
    assert download(doubled, export_id).status_code == 409


def test_bad_export_requests(world: World, capture: Any) -> None:
    url = f"/api/v1/projects/{world.project.pk}/exports/"
    response = world.client("manager").post(url, {"format": "pascal_voc"}, format="json")
    assert response.status_code == 400
    assert "format" in response.json()["errors"]
    classes = ProjectFactory(kind="classification", labels=["cat", "dog"])
    MembershipFactory(project=classes, user=world.users["manager"], role="manager")
    response = world.client("manager").post(
        f"/api/v1/projects/{classes.pk}/exports/", {"format": "coco"}, format="json"
    )
    assert response.status_code == 400
    assert "bbox projects" in response.json()["errors"]["format"][0]
    assert not ExportSnapshot.objects.exists()


def test_classification_export_in_csv_and_label_studio(world: World, capture: Any) -> None:
    classes = ProjectFactory(kind="classification", labels=["cat", "dog"])
    for role in ("manager", "ml_engineer", "annotator"):
        MembershipFactory(project=classes, user=world.users[role], role=role)
    project_world = World(project=classes, users=world.users)
    text = "external_id,image_url,width,height\nk1,https://img.example/k1.png,10,10\nk2,https://img.example/k2.png,10,10\n"
    imported(project_world, capture, format="csv", data=text)
    label_everything(project_world, lambda item: {"label": "dog" if item.external_id == "k1" else "cat"})
    out = content_of(project_world, export(project_world, capture, format="csv")["id"]).decode().splitlines()
    assert out[1:] == [
        "k1,https://img.example/k1.png,10,10,single,,dog",
        "k2,https://img.example/k2.png,10,10,single,,cat",
    ]
    tasks = json.loads(content_of(project_world, export(project_world, capture, format="label_studio")["id"]))
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["dog"]}
