"""CSV and JSON Lines: reading with named bad rows, writing, and reading an export back."""

from __future__ import annotations

import json

import pytest

from annotation_qc.domain.formats import (
    ExportRecord,
    FormatError,
    ParseOptions,
    RawAnnotation,
    export_counts,
    parse_csv,
    parse_file,
    parse_jsonl,
    render_export,
)

LABELS = ("cat", "dog")
CLASSES = ParseOptions(kind="classification", labels=LABELS)
BOXES = ParseOptions(kind="bbox", labels=LABELS)


def reasons(result: object) -> dict[str, str]:
    return {r.row: r.reason for r in result.rejected}  # type: ignore[attr-defined]


def test_classification_csv_with_and_without_labels() -> None:
    text = "external_id,image_url,width,height,label\na,https://i.example/a.png,10,20,cat\nb,b.png,5,5,\n"
    result = parse_csv(text.encode(), CLASSES)
    assert result.ok
    a, b = result.items
    assert (a.external_id, a.image, a.width, a.height, a.payload) == (
        "a",
        "https://i.example/a.png",
        10,
        20,
        {"label": "cat"},
    )
    assert (b.image, b.payload) == ("b.png", None)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("b,https://i.example/b.png,ten,5,cat", "width: must be a positive integer"),
        ("b,https://i.example/b.png,0,5,cat", "width"),
        ("b,https://i.example/b.png,5,5,cow", "'cow' is not one of"),
        ("a,https://i.example/b.png,5,5,cat", "duplicate external_id 'a' (row 2)"),
        (",https://i.example/b.png,5,5,cat", "external_id"),
        ("b,https://i.example/b.png,5,5", "4 fields where the header has 5"),
    ],
)
def test_bad_csv_rows_are_named_by_line(line: str, fragment: str) -> None:
    text = f"external_id,image_url,width,height,label\na,https://i.example/a.png,10,20,cat\n{line}\n"
    result = parse_csv(text.encode(), CLASSES)
    assert list(reasons(result)) == ["row 3"], reasons(result)
    assert fragment in reasons(result)["row 3"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"images": []}', "looks like JSON"),
        ("id,url\n1,x\n", "missing column"),
        ("external_id,image_url,width,height,colour\n", "unknown column"),
        ("external_id,image_url,width,height,x,y,w,h\n", "classification project"),
        ("", "empty CSV"),
    ],
)
def test_wrong_csv_files_are_format_errors(text: str, fragment: str) -> None:
    with pytest.raises(FormatError, match=fragment):
        parse_csv(text.encode(), CLASSES)


def test_binary_given_as_csv_is_named() -> None:
    with pytest.raises(FormatError, match="not UTF-8"):
        parse_csv(b"\x89PNG\r\n\x1a\n\xff\xfe", CLASSES)


BOX_CSV = (
    "external_id,image_url,width,height,label,x,y,w,h\n"
    "a,https://i.example/a.png,100,50,cat,1,2,3,4\n"
    "b,https://i.example/b.png,10,10,,,,,\n"
    "a,https://i.example/a.png,100,50,dog,10.5,0,20,20\n"
)


def test_bbox_csv_groups_rows_by_item() -> None:
    result = parse_csv(BOX_CSV.encode(), BOXES)
    assert result.ok
    a, b = result.items
    assert a.payload == {
        "boxes": [
            {"x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "label": "cat"},
            {"x": 10.5, "y": 0.0, "w": 20.0, "h": 20.0, "label": "dog"},
        ]
    }
    assert b.payload == {"boxes": []}


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("a,https://i.example/a.png,100,50,cat,90,0,20,5", "outside the image"),
        ("a,https://i.example/a.png,100,50,cat,1,2,,4", "all four or none"),
        ("a,https://i.example/a.png,100,50,,1,2,3,4", "a box needs a label"),
        ("a,https://i.example/other.png,100,50,cat,1,2,3,4", "differ from row 2"),
    ],
)
def test_bad_box_rows_are_named(line: str, fragment: str) -> None:
    text = "external_id,image_url,width,height,label,x,y,w,h\na,https://i.example/a.png,100,50,cat,1,2,3,4\n"
    result = parse_csv((text + line + "\n").encode(), BOXES)
    assert fragment in reasons(result)["row 3"], reasons(result)


RECORDS = [
    ExportRecord(
        "a",
        "https://i.example/a.png",
        "a.png",
        100,
        50,
        "consensus",
        {
            "boxes": [
                {"x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "label": "cat"},
                {"x": 5.5, "y": 6.0, "w": 7.0, "h": 8.0, "label": "cat"},
            ]
        },
        raw=(RawAnnotation(3, {"boxes": [{"x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "label": "dog"}]}),),
    ),
    ExportRecord("b", "https://i.example/b.png", "b.png", 10, 10, "single", {"boxes": []}),
]


def test_box_csv_export_has_one_row_per_box_and_reads_back() -> None:
    content = render_export(RECORDS, "csv", kind="bbox", labels=LABELS, include_raw=True).decode()
    lines = content.splitlines()
    assert lines[0] == "external_id,image_url,width,height,source,annotator_id,label,x,y,w,h"
    assert lines[1:] == [
        "a,https://i.example/a.png,100,50,consensus,,cat,1,2,3,4",
        "a,https://i.example/a.png,100,50,consensus,,cat,5.5,6,7,8",
        "a,https://i.example/a.png,100,50,raw,3,dog,1,2,3,4",
        "b,https://i.example/b.png,10,10,single,,,,,,",
    ]
    parsed = parse_csv(content.encode(), BOXES)  # raw rows are skipped
    assert parsed.ok
    assert [i.payload for i in parsed.items] == [r.payload for r in RECORDS]


def test_classification_csv_export() -> None:
    records = [ExportRecord("x", "https://i.example/x.png", "x.png", 4, 4, "gold", {"label": "dog"})]
    content = render_export(records, "csv", kind="classification", labels=LABELS, include_raw=False).decode()
    assert content.splitlines()[1] == "x,https://i.example/x.png,4,4,gold,,dog"


def test_jsonl_export_one_item_a_line_and_back() -> None:
    content = render_export(RECORDS, "jsonl", kind="bbox", labels=LABELS, include_raw=True)
    lines = content.decode().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["label_status"] == "consensus"
    assert first["raw"] == [{"annotator_id": 3, "annotation": RECORDS[0].raw[0].payload}]
    parsed = parse_jsonl(content, BOXES)
    assert parsed.ok
    assert [i.payload for i in parsed.items] == [r.payload for r in RECORDS]
    assert (parsed.items[0].width, parsed.items[0].height) == (100, 50)


def test_bad_jsonl_lines_are_named() -> None:
    text = "\n".join(
        [
            json.dumps({"external_id": "a", "image_url": "a.png", "width": 10, "height": 10}),
            "{not json",
            json.dumps(
                {
                    "external_id": "b",
                    "image_url": "b.png",
                    "annotation": {"boxes": [{"x": 1, "y": 1, "w": 2, "h": 2, "label": "cow"}]},
                }
            ),
            json.dumps({"external_id": "a", "image_url": "a.png"}),
            json.dumps(
                {
                    "external_id": "c",
                    "image_url": "c.png",
                    "width": 10,
                    "height": 10,
                    "annotation": {"boxes": [{"x": 9, "y": 1, "w": 9, "h": 2, "label": "cat"}]},
                }
            ),
        ]
    )
    result = parse_jsonl(text.encode(), BOXES)
    found = reasons(result)
    assert "not valid JSON" in found["line 2"]
    assert "annotation.boxes[0].label" in found["line 3"]
    assert "duplicate external_id 'a' (line 1)" in found["line 4"]
    assert "outside the image" in found["line 5"]
    assert [i.external_id for i in result.items] == ["a"]


def test_a_json_document_is_not_jsonl() -> None:
    with pytest.raises(FormatError, match="not JSON Lines"):
        parse_jsonl(b'[\n {"external_id": "a"}\n]\n', BOXES)
    with pytest.raises(FormatError, match="JSON Lines"):
        parse_file(b'{"a": 1}\n{"a": 2}\n', "coco", BOXES)


def test_counts_per_label_and_status() -> None:
    counts = export_counts(RECORDS, labels=LABELS, include_raw=True).to_dict()
    assert counts == {
        "items": 2,
        "annotations": 2,
        "raw_annotations": 1,
        "per_label": {"cat": 2, "dog": 0},
        "by_status": {"consensus": 1, "single": 1},
    }
