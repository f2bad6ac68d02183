"""COCO detection files: reading (every kind of malformed row named) and writing (pycocotools loads it)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from annotation_qc.domain.formats import (
    ExportRecord,
    FormatError,
    ParseOptions,
    RawAnnotation,
    build_coco,
    parse_coco,
    parse_file,
    render_export,
)

LABELS = ("car", "person", "bike")
BBOX = ParseOptions(kind="bbox", labels=LABELS)


def coco() -> dict[str, Any]:
    return {
        "images": [
            {
                "id": 1,
                "file_name": "a.jpg",
                "width": 640,
                "height": 480,
                "coco_url": "https://img.example/a.jpg",
            },
            {"id": 7, "file_name": "b.jpg", "width": 100, "height": 50},
            {"id": 3, "file_name": "c.jpg", "width": 10, "height": 10},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}, {"id": 9, "name": "truck"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40], "score": 0.9},
            {"id": 11, "image_id": 7, "category_id": 2, "bbox": [0.5, 1.5, 20, 10], "score": 0.4},
            {"id": 12, "image_id": 1, "category_id": 2, "bbox": [100, 100, 50, 60], "score": 0.7},
        ],
    }


def rows(result: Any) -> dict[str, str]:
    return {r.row: r.reason for r in result.rejected}


def test_reads_images_with_their_boxes_in_file_order() -> None:
    result = parse_coco(coco(), BBOX)
    assert result.ok
    assert [i.external_id for i in result.items] == ["a.jpg", "b.jpg", "c.jpg"]
    first = result.items[0]
    assert first.image == "https://img.example/a.jpg"
    assert (first.width, first.height) == (640, 480)
    assert first.payload == {
        "boxes": [
            {"x": 10.0, "y": 20.0, "w": 30.0, "h": 40.0, "label": "car"},
            {"x": 100.0, "y": 100.0, "w": 50.0, "h": 60.0, "label": "person"},
        ]
    }
    assert first.scores == (0.9, 0.7)
    assert result.items[1].image == "b.jpg"  # a file reference, resolved against the upload
    assert result.items[2].payload == {"boxes": []}  # an image without objects
    assert result.items[2].scores is None
    assert any("truck" in note for note in result.notes)  # unused unknown category: ignored, said so


@pytest.mark.parametrize(
    ("change", "row", "fragment"),
    [
        (lambda d: d["images"][1].pop("id"), "images[1]", "id: required"),
        (lambda d: d["images"][2].update(id=1), "images[2]", "duplicate id 1 (images[0]"),
        (lambda d: d["images"][2].update(file_name="a.jpg"), "images[2]", "duplicate external_id"),
        (lambda d: d["images"][0].update(width=-3), "images[0]", "width"),
        (lambda d: d["annotations"][1].pop("id"), "annotations[1]", "id: required"),
        (lambda d: d["annotations"][2].update(id=10), "annotations[2]", "duplicate id 10"),
        (lambda d: d["annotations"][0].update(image_id=99), "annotations[0]", "image_id 99 is not"),
        (lambda d: d["annotations"][0].update(category_id=5), "annotations[0]", "category_id 5 is not"),
        (lambda d: d["annotations"][1].update(bbox=[90, 0, 20, 10]), "annotations[1]", "outside its image"),
        (lambda d: d["annotations"][1].update(bbox=[0, 0, 0, 10]), "annotations[1]", "must be > 0"),
        (lambda d: d["annotations"][1].update(bbox=[0, 0, 10]), "annotations[1]", "four numbers"),
        (lambda d: d["annotations"][1].update(score=1.5), "annotations[1]", "score"),
        (lambda d: d["annotations"][0].update(category_id=9), "categories[2]", "'truck' is not one of"),
        (lambda d: d["categories"][1].update(id=1), "categories[1]", "duplicate id 1"),
    ],
)
def test_each_malformed_row_is_named(change: Any, row: str, fragment: str) -> None:
    data = coco()
    change(data)
    result = parse_coco(data, BBOX)
    assert not result.ok
    assert row in rows(result), rows(result)
    assert fragment in rows(result)[row]


def test_many_bad_annotations_are_all_reported() -> None:
    data = coco()
    data["annotations"] = [
        {"id": n, "image_id": 7, "category_id": 1, "bbox": [n * 10, 0, 20, 10]} for n in range(1, 11)
    ]
    result = parse_coco(data, BBOX)
    # x + w > 100 (+2 px slack) from x = 90 on: the last two of ten
    assert sorted(rows(result)) == ["annotations[8]", "annotations[9]"]


def test_small_overhang_within_the_payload_tolerance_is_accepted() -> None:
    data = coco()
    data["annotations"][1]["bbox"] = [81.5, 0, 20, 10]  # 1.5 px past a 100 px wide image
    assert parse_coco(data, BBOX).ok


def test_missing_scores_are_rejected_only_for_predictions() -> None:
    data = coco()
    del data["annotations"][2]["score"]
    assert parse_coco(data, BBOX).ok
    result = parse_coco(data, ParseOptions(kind="bbox", labels=LABELS, target="predictions"))
    assert "score missing" in rows(result)["annotations[2]"]


def test_crowd_regions_are_left_out_with_a_note() -> None:
    data = coco()
    data["annotations"][0]["iscrowd"] = 1
    result = parse_coco(data, BBOX)
    assert result.ok
    assert len(result.items[0].payload["boxes"]) == 1
    assert any("crowd" in note for note in result.notes)


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ([{"data": {"image": "x.jpg"}}], "Label Studio tasks"),
        ({"images": []}, "missing categories"),
        ({"images": {}, "categories": []}, "images: must be a list"),
    ],
)
def test_not_coco_at_all_is_a_format_error(document: Any, fragment: str) -> None:
    with pytest.raises(FormatError, match=fragment):
        parse_coco(document, BBOX)


def test_coco_needs_a_bbox_project() -> None:
    with pytest.raises(FormatError, match="bbox project"):
        parse_coco(coco(), ParseOptions(kind="classification", labels=LABELS))


def test_csv_given_as_coco_is_named() -> None:
    with pytest.raises(FormatError, match="looks CSV"):
        parse_file(b"external_id,image_url,width,height\n", "coco", BBOX)


RECORDS = [
    ExportRecord(
        external_id="a",
        image_url="https://img.example/a.jpg",
        file_name="a.jpg",
        width=640,
        height=480,
        status="consensus",
        payload={
            "boxes": [
                {"x": 10.0, "y": 20.0, "w": 30.0, "h": 40.0, "label": "car"},
                {"x": 1.5, "y": 2.5, "w": 3.0, "h": 4.0, "label": "bike"},
            ]
        },
        raw=(
            RawAnnotation(5, {"boxes": [{"x": 11.0, "y": 20.0, "w": 30.0, "h": 40.0, "label": "car"}]}),
            RawAnnotation(6, {"boxes": []}),
        ),
    ),
    ExportRecord(
        external_id="b",
        image_url="/api/v1/items/9/image/",
        file_name="b.png",
        width=100,
        height=50,
        status="single",
        payload={"boxes": [{"x": 0.0, "y": 0.0, "w": 10.0, "h": 10.0, "label": "person"}]},
    ),
]


def test_written_file_loads_in_pycocotools_with_counts_and_boxes(tmp_path: Any) -> None:
    coco_api = pytest.importorskip("pycocotools.coco")
    path = tmp_path / "export.json"
    path.write_bytes(render_export(RECORDS, "coco", kind="bbox", labels=LABELS, include_raw=True))
    loaded = coco_api.COCO(str(path))
    assert len(loaded.getImgIds()) == 2
    assert len(loaded.getAnnIds()) == 3  # final boxes only: raw answers sit apart
    assert [c["name"] for c in loaded.loadCats(loaded.getCatIds())] == list(LABELS)
    image_a = loaded.loadImgs([1])[0]
    assert (image_a["external_id"], image_a["width"], image_a["label_status"]) == ("a", 640, "consensus")
    boxes = sorted(a["bbox"] for a in loaded.loadAnns(loaded.getAnnIds(imgIds=[1])))
    assert boxes == [[1.5, 2.5, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]]
    car = loaded.getCatIds(catNms=["car"])[0]
    assert len(loaded.getAnnIds(catIds=[car])) == 1
    raw = json.loads(path.read_text())["raw_annotations"]
    assert [(r["annotator_id"], r["bbox"]) for r in raw] == [(5, [11.0, 20.0, 30.0, 40.0])]


def test_written_file_reads_back_to_the_same_boxes() -> None:
    document = build_coco(RECORDS, labels=LABELS)
    result = parse_coco(copy.deepcopy(document), BBOX)
    assert result.ok
    assert [i.external_id for i in result.items] == ["a", "b"]
    assert [i.payload for i in result.items] == [r.payload for r in RECORDS]
    assert result.items[0].image == "https://img.example/a.jpg"


def test_same_records_give_the_same_bytes() -> None:
    first = render_export(RECORDS, "coco", kind="bbox", labels=LABELS, include_raw=False)
    second = render_export(
        list(reversed(RECORDS))[::-1], "coco", kind="bbox", labels=LABELS, include_raw=False
    )
    assert first == second
    assert b" " not in first.split(b'"description"')[0]  # compact, sorted: no incidental whitespace


def test_coco_export_of_a_classification_project_is_refused() -> None:
    with pytest.raises(FormatError, match="bbox projects"):
        render_export(RECORDS, "coco", kind="classification", labels=LABELS, include_raw=False)
