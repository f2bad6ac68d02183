"""Sidecar files beside bucket images, and where a bucket sync starts listing (no database, no bucket)."""

from __future__ import annotations

import json

import pytest

from annotation_qc.domain.formats import ParseResult, SourceItem
from annotation_qc.domain.formats.sidecar import annotation_file_format, answers_by_key, parse_sidecar, stem
from annotation_qc.exchange.services.bucket_listing import folder_of, plan

LABELS = ["car", "person"]


def parse(body: object, *, prediction: bool = False, kind: str = "bbox") -> object:
    return parse_sidecar(
        json.dumps(body).encode(),
        kind=kind,  # type: ignore[arg-type]
        labels=LABELS,
        width=100,
        height=80,
        max_boxes=10,
        prediction=prediction,
    )


def test_a_sidecar_shares_its_images_stem() -> None:
    suffixes = [".gold.json", ".pred.json"]
    assert stem("shots/a.png", suffixes) == stem("shots/a.gold.json", suffixes) == "shots/a"
    assert stem("shots/img.001.pred.json", suffixes) == stem("shots/img.001.jpg", suffixes) == "shots/img.001"


def test_a_prediction_sidecar_keeps_its_scores_and_probabilities() -> None:
    box = {"x": 1, "y": 2, "w": 10, "h": 8, "label": "car"}
    parsed = parse({"boxes": [box], "scores": [0.5]}, prediction=True)
    assert parsed.scores == [0.5]  # type: ignore[attr-defined]
    cls = parse({"label": "person", "proba": [0.25, 0.75]}, prediction=True, kind="classification")
    assert cls.proba == [0.25, 0.75]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "prediction", "reason"),
    [
        ([1, 2], False, "must be a JSON object"),
        ({"boxes": [{"x": 1, "y": 2, "w": 10, "h": 8, "label": "bus"}]}, False, "label"),
        ({"boxes": [], "scores": [0.5]}, False, "scores"),  # an annotation takes no scores
        ({"boxes": [{"x": 1, "y": 2, "w": 10, "h": 8, "label": "car"}], "scores": [1.5]}, True, "scores"),
        ({"boxes": [], "proba": [0.9, 0.9]}, True, "sum to 1"),
    ],
)
def test_a_bad_sidecar_says_what_is_wrong(body: object, prediction: bool, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse(body, prediction=prediction)


def test_a_flat_source_lists_after_its_cursor() -> None:
    listing = plan(prefix="shots/", cursor="shots/b.png", folder_cursors={"": "shots/b.png"}, full=False)
    assert (listing.top_after, listing.folder_after) == ("shots/b.png", {})
    assert not listing.keeps("shots/a.png")
    assert listing.keeps("shots/c.png")
    assert listing.after("shots/c/") == ""  # a folder after the cursor: from its start
    assert listing.after("shots/a/") is None  # before it: synced already


def test_a_source_with_folders_lists_each_after_its_own_cursor() -> None:
    cursors = {"shots/cam1/": "shots/cam1/009.png", "shots/cam2/": "shots/cam2/003.png", "": "shots/top.png"}
    listing = plan(prefix="shots/", cursor="shots/top.png", folder_cursors=cursors, full=False)
    assert listing.top_after == ""  # folders and their new keys before the last key overall are found
    assert listing.after("shots/cam1/") == "shots/cam1/009.png"
    assert listing.after("shots/cam0/") == ""  # a new folder
    assert not listing.keeps("shots/top.png")
    assert folder_of("shots/", "shots/cam1/x/y.png") == "shots/cam1/"
    assert folder_of("shots/", "shots/top.png") == ""


def test_a_flat_cursor_inside_a_folder_starts_just_before_that_folder() -> None:
    listing = plan(prefix="p/", cursor="p/cam1/005.png", folder_cursors={}, full=False)
    assert listing.top_after == "p/cam1"
    assert listing.after("p/cam1/") == "p/cam1/005.png"
    full = plan(prefix="p/", cursor="p/cam1/005.png", folder_cursors={"p/cam1/": "p/cam1/005.png"}, full=True)
    assert (full.top_after, full.after("p/cam1/"), full.keeps("p/a.png")) == ("", "", True)


def test_an_annotation_files_format_comes_from_its_ending() -> None:
    assert annotation_file_format("shots/labels.json") == "coco"
    assert annotation_file_format("shots/LABELS.JSONL") == "jsonl"
    assert annotation_file_format("labels.csv") == "csv"
    assert annotation_file_format("labels.xml") is None
    assert annotation_file_format("labels.json.bak") is None


def test_answers_name_their_images_by_key_relative_to_the_prefix() -> None:
    def row(n: int, external_id: str, payload: dict[str, object] | None) -> SourceItem:
        return SourceItem(
            row=f"line {n}", external_id=external_id, image="x", width=8, height=8, payload=payload
        )

    answer = {"label": "cat"}
    parsed = ParseResult(
        items=(
            row(1, "a.png", answer),
            row(2, "/b.png", answer),  # a leading slash is not part of the key
            row(3, "shots/c.png", answer),  # already under the prefix
            row(4, "d.png", None),  # listed, not answered
            row(5, "a.png", {"label": "dog"}),  # the first row naming a key wins
        ),
        rejected=(),
    )
    assert {k: v.row for k, v in answers_by_key(parsed, "shots/").items()} == {
        "shots/a.png": "line 1",
        "shots/b.png": "line 2",
        "shots/c.png": "line 3",
    }
    assert set(answers_by_key(parsed, "")) == {"a.png", "b.png", "shots/c.png"}
