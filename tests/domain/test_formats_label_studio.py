"""Label Studio JSON: percent rectangles to pixels, choices to labels, which annotation is read, and back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotation_qc.domain.formats import (
    ExportRecord,
    FormatError,
    ParseOptions,
    RawAnnotation,
    build_label_studio,
    parse_file,
    parse_label_studio,
    render_export,
)

LABELS = ("car", "person", "bike")
BBOX = ParseOptions(kind="bbox", labels=LABELS)
CLASSES = ParseOptions(kind="classification", labels=LABELS)


def rectangle(x: float, y: float, w: float, h: float, label: str = "car", **extra: Any) -> dict[str, Any]:
    return {
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": 200,
        "original_height": 100,
        "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]},
        **extra,
    }


def task(*results: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": 4,
        "data": {"image": "https://img.example/4.jpg"},
        "annotations": [{"result": list(results)}],
        **extra,
    }


def reasons(result: Any) -> dict[str, str]:
    return {r.row: r.reason for r in result.rejected}


def test_percent_rectangles_become_pixel_boxes() -> None:
    result = parse_label_studio([task(rectangle(10, 20, 25, 50), rectangle(50, 0, 10.5, 10, "bike"))], BBOX)
    assert result.ok
    (item,) = result.items
    assert (item.external_id, item.image, item.width, item.height) == (
        "4",
        "https://img.example/4.jpg",
        200,
        100,
    )
    assert item.payload == {
        "boxes": [
            {"x": 20.0, "y": 20.0, "w": 50.0, "h": 50.0, "label": "car"},
            {"x": 100.0, "y": 0.0, "w": 21.0, "h": 10.0, "label": "bike"},
        ]
    }


def test_choices_become_a_classification() -> None:
    choice = {"type": "choices", "from_name": "c", "to_name": "image", "value": {"choices": ["person"]}}
    data = [
        {
            "data": {"image": "x.jpg", "external_id": "x", "width": 5, "height": 5},
            "annotations": [{"result": [choice]}],
        }
    ]
    (item,) = parse_label_studio(data, CLASSES).items
    assert (item.external_id, item.payload) == ("x", {"label": "person"})


def test_ground_truth_annotation_is_the_one_read_and_cancelled_ones_are_skipped() -> None:
    data = task()
    data["annotations"] = [
        {"result": [rectangle(0, 0, 10, 10, "car")]},
        {"result": [rectangle(0, 0, 10, 10, "bike")], "ground_truth": True},
        {"result": [rectangle(0, 0, 10, 10, "person")], "was_cancelled": True},
    ]
    (item,) = parse_label_studio([data], BBOX).items
    assert item.payload["boxes"][0]["label"] == "bike"


def test_several_annotations_without_ground_truth_are_rejected() -> None:
    data = task()
    data["annotations"] = [{"result": []}, {"result": []}]
    assert "none marked ground_truth" in reasons(parse_label_studio([data], BBOX))["tasks[0]"]


def test_predictions_are_read_by_model_version_with_scores() -> None:
    data = task(
        predictions=[
            {"model_version": "old", "result": [rectangle(0, 0, 10, 10, score=0.2)]},
            {"model_version": "new", "result": [rectangle(0, 0, 20, 20, score=0.8)]},
        ]
    )
    options = ParseOptions(kind="bbox", labels=LABELS, target="predictions", model_version="new")
    (item,) = parse_label_studio([data], options).items
    assert item.payload["boxes"][0]["w"] == 40.0
    assert item.scores == (0.8,)
    ambiguous = ParseOptions(kind="bbox", labels=LABELS, target="predictions", model_version="other")
    assert "give the model version" in reasons(parse_label_studio([data], ambiguous))["tasks[0]"]


@pytest.mark.parametrize(
    ("result", "fragment"),
    [
        (rectangle(0, 0, 10, 10, "truck"), "'truck' is not one of"),
        ({**rectangle(0, 0, 10, 10), "type": "polygonlabels"}, "'polygonlabels' is not supported"),
        (rectangle(95, 0, 10, 10), "outside the image"),
        (rectangle(0, 0, 0, 10), "no area"),
        (
            {**rectangle(0, 0, 10, 10), "value": {**rectangle(0, 0, 10, 10)["value"], "rotation": 30}},
            "rotated",
        ),
        ({**rectangle(0, 0, 10, 10), "original_width": None}, "original_width"),
    ],
)
def test_bad_results_are_rejected_naming_the_task(result: dict[str, Any], fragment: str) -> None:
    parsed = parse_label_studio([task(rectangle(1, 1, 5, 5)), task(result, id=5)], BBOX)
    assert list(reasons(parsed)) == ["tasks[1]"]
    assert fragment in reasons(parsed)["tasks[1]"]


def test_tasks_without_an_image_and_duplicates_are_rejected() -> None:
    parsed = parse_label_studio([task(), {"data": {}}, task()], BBOX)
    assert "data.image" in reasons(parsed)["tasks[1]"]
    assert "duplicate external id '4'" in reasons(parsed)["tasks[2]"]


def test_rectangles_need_the_image_size() -> None:
    bare = {k: v for k, v in rectangle(0, 0, 10, 10).items() if not k.startswith("original")}
    assert "image size" in reasons(parse_label_studio([task(bare)], BBOX))["tasks[0]"]


def test_coco_given_as_label_studio_is_named() -> None:
    with pytest.raises(FormatError, match="COCO object"):
        parse_file(json.dumps({"images": [], "categories": []}).encode(), "label_studio", BBOX)


RECORDS = [
    ExportRecord(
        external_id="a",
        image_url="https://img.example/a.jpg",
        file_name="a.jpg",
        width=300,
        height=200,
        status="consensus",
        payload={"boxes": [{"x": 12.34, "y": 56.78, "w": 90.12, "h": 33.33, "label": "person"}]},
        raw=(RawAnnotation(8, {"boxes": []}),),
    ),
    ExportRecord(
        external_id="b",
        image_url="/api/v1/items/3/image/",
        file_name="b.png",
        width=640,
        height=480,
        status="unresolved",
        payload=None,
        raw=(RawAnnotation(8, {"boxes": []}), RawAnnotation(9, {"boxes": []})),
    ),
]


def test_export_reads_back_to_the_same_pixels() -> None:
    tasks = json.loads(
        render_export(RECORDS[:1], "label_studio", kind="bbox", labels=LABELS, include_raw=True)
    )
    annotations = tasks[0]["annotations"]
    assert [a["ground_truth"] for a in annotations] == [True, False]
    assert annotations[1]["completed_by"] == 8
    assert annotations[0]["result"][0]["value"]["x"] == pytest.approx(12.34 / 300 * 100)
    parsed = parse_label_studio(tasks, BBOX)
    assert parsed.ok
    assert parsed.items[0].payload == RECORDS[0].payload
    assert parsed.items[0].external_id == "a"


def test_unresolved_items_carry_only_raw_answers() -> None:
    tasks = build_label_studio(RECORDS, kind="bbox", include_raw=True)
    assert [a["ground_truth"] for a in tasks[1]["annotations"]] == [False, False]
    assert build_label_studio(RECORDS, kind="bbox")[1]["annotations"] == []


def test_classification_round_trip() -> None:
    record = ExportRecord("c", "https://img.example/c.jpg", "c.jpg", 4, 4, "single", {"label": "bike"})
    tasks = build_label_studio([record], kind="classification")
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["bike"]}
    assert parse_label_studio(tasks, CLASSES).items[0].payload == {"label": "bike"}
