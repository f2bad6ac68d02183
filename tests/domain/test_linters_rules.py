"""Each rule on planted cases: right code, boxes, severity and message; quiet just below its threshold."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from annotation_qc.domain.linters import Finding, LabelSizeStats, lint, validate_lint_config
from tests.domain.linting_scenes import HEIGHT, LABELS, WIDTH, clean_boxes, payload

PlantedBox = tuple[float, float, float, float, str]


def findings_of(code: str, boxes: Sequence[PlantedBox], **kwargs: Any) -> list[Finding]:
    """The findings of one rule, with the boxes planted among ten clean ones (which come first)."""
    scene = [*clean_boxes(10), *boxes]
    found = lint(payload(*scene), kind="bbox", width=WIDTH, height=HEIGHT, labels=LABELS, **kwargs)
    return [f for f in found if f.code == code]


def only(code: str, *overrides: tuple[str, Any]) -> dict[str, Any]:
    return validate_lint_config({code: dict(overrides)})


# Planted boxes sit in the empty lower half of the 1000x500 image (clean_boxes(10) fills y < 100);
# planted box k is "Box 11 + k" in messages.

A = (400.0, 200.0, 100.0, 100.0)


def shifted(
    box: tuple[float, float, float, float], dx: float, label: str
) -> tuple[float, float, float, float, str]:
    return (box[0] + dx, box[1], box[2], box[3], label)


class TestDuplicateBox:
    def test_same_label_near_identical_pair(self):
        # 2 px shift of a 100 px box: IoU 98 / 102 = 0.9608.
        found = findings_of("duplicate_box", [shifted(A, 0, "car"), shifted(A, 2, "car")])
        assert found == [
            Finding("duplicate_box", "warning", "Boxes 11 and 12 are duplicates (IoU 0.96)", (10, 11))
        ]

    def test_three_copies_make_one_finding(self):
        boxes = [shifted(A, 0, "car"), shifted(A, 1, "car"), shifted(A, 2, "car")]
        # IoUs: 99/101 = 0.980 (neighbours), 98/102 = 0.961 (ends).
        assert findings_of("duplicate_box", boxes) == [
            Finding(
                "duplicate_box", "warning", "Boxes 11, 12 and 13 are duplicates (IoU 0.96-0.98)", (10, 11, 12)
            )
        ]

    def test_a_chain_of_copies_is_one_group(self):
        # Each box 1 px right of the last: neighbours overlap at 0.98, the ends of the chain not at all.
        boxes = [shifted(A, k, "car") for k in range(0, 41, 1)][::2]
        found = findings_of("duplicate_box", boxes)
        assert [f.boxes for f in found] == [tuple(range(10, 10 + len(boxes)))]

    def test_separate_pairs_are_separate_findings(self):
        far = (700.0, 300.0, 80.0, 80.0)
        boxes = [
            shifted(A, 0, "car"),
            shifted(far, 0, "person"),
            shifted(A, 1, "car"),
            shifted(far, 1, "person"),
        ]
        assert [f.boxes for f in findings_of("duplicate_box", boxes)] == [(10, 12), (11, 13)]

    def test_quiet_below_threshold_and_for_different_labels(self):
        # 6 px shift: IoU 94 / 106 = 0.887 < 0.9.
        assert findings_of("duplicate_box", [shifted(A, 0, "car"), shifted(A, 6, "car")]) == []
        assert findings_of("duplicate_box", [shifted(A, 0, "car"), shifted(A, 1, "truck")]) == []

    def test_threshold_from_config(self):
        boxes = [shifted(A, 0, "car"), shifted(A, 6, "car")]
        found = findings_of("duplicate_box", boxes, config=only("duplicate_box", ("min_iou", 0.85)))
        assert [f.boxes for f in found] == [(10, 11)]
        boxes = [shifted(A, 0, "car"), shifted(A, 2, "car")]
        assert findings_of("duplicate_box", boxes, config=only("duplicate_box", ("min_iou", 0.97))) == []


class TestConflictingLabels:
    def test_near_identical_boxes_with_different_labels(self):
        found = findings_of("conflicting_labels", [shifted(A, 0, "car"), shifted(A, 1, "truck")])
        assert found == [
            Finding(
                "conflicting_labels",
                "warning",
                "Boxes 11 and 12 are near-identical but labelled 'car' and 'truck' (IoU 0.98)",
                (10, 11),
            )
        ]

    def test_duplicate_plus_conflict(self):
        boxes = [shifted(A, 0, "car"), shifted(A, 1, "car"), shifted(A, 2, "truck")]
        found = lint(payload(*boxes), kind="bbox", width=WIDTH, height=HEIGHT, labels=LABELS)
        assert [(f.code, f.boxes) for f in found] == [
            ("conflicting_labels", (0, 1, 2)),
            ("duplicate_box", (0, 1)),
        ]
        assert "labelled 'car' and 'truck' (IoU 0.96-0.98)" in found[0].message

    def test_quiet_for_overlapping_but_distinct_objects(self):
        # A person in front of a car: heavy overlap, far from identical (IoU 0.5).
        assert findings_of("conflicting_labels", [shifted(A, 0, "car"), (400, 200, 50, 100, "person")]) == []

    def test_threshold_and_severity_from_config(self):
        boxes = [shifted(A, 0, "car"), shifted(A, 6, "truck")]
        assert findings_of("conflicting_labels", boxes) == []
        config = only("conflicting_labels", ("min_iou", 0.8), ("severity", "error"))
        assert [(f.boxes, f.severity) for f in findings_of("conflicting_labels", boxes, config=config)] == [
            ((10, 11), "error")
        ]


class TestOversizedBox:
    def test_box_covering_most_of_the_image(self):
        found = findings_of("oversized_box", [(0, 0, 850, 500, "car")])
        assert found == [Finding("oversized_box", "warning", "Box 11 covers 85% of the image", (10,))]

    def test_at_the_threshold_fires_and_below_does_not(self):
        assert [f.boxes for f in findings_of("oversized_box", [(0, 0, 800, 500, "car")])] == [(10,)]
        assert findings_of("oversized_box", [(0, 0, 790, 500, "car")]) == []

    def test_coverage_counts_only_the_part_inside_the_image(self):
        # 1010 px wide on a 1000 px image, 10 px outside: covers 100%, not 101%.
        found = findings_of("oversized_box", [(-10, 0, 1010, 500, "car")])
        assert [f.message for f in found] == ["Box 11 covers 100% of the image"]

    def test_threshold_from_config(self):
        config = only("oversized_box", ("area_fraction", 0.9))
        assert findings_of("oversized_box", [(0, 0, 850, 500, "car")], config=config) == []

    def test_far_above_the_learned_size_for_its_label(self):
        # Cars usually cover 1% of the image (MAD 0.2 in log area); this one covers 10%:
        # z = 0.6745 * ln(10) / 0.2 = 7.77.
        stats = {"car": LabelSizeStats(median_log_area=math.log(0.01), mad_log_area=0.2, count=500)}
        boxes = [(300, 200, 250, 200, "car"), (600, 200, 250, 200, "person"), (100, 300, 100, 100, "car")]
        found = findings_of("oversized_box", boxes, stats=stats)
        assert found == [
            Finding(
                "oversized_box",
                "warning",
                "Box 11 is 10 times the usual area of a 'car' box (robust z 7.8)",
                (10,),
            )
        ]

    def test_stats_only_where_they_exist(self):
        # The same large person box is fine without person statistics.
        box = [(600, 200, 250, 200, "person")]
        stats = {"car": LabelSizeStats(math.log(0.01), 0.2, 500)}
        assert findings_of("oversized_box", box, stats=stats) == []
        assert findings_of("oversized_box", box) == []

    def test_stats_cut_from_config_and_both_reasons_in_one_finding(self):
        stats = {"car": LabelSizeStats(math.log(0.01), 0.2, 500)}
        box = [(300, 200, 250, 200, "car")]
        assert (
            findings_of("oversized_box", box, stats=stats, config=only("oversized_box", ("size_z", 8.0)))
            == []
        )
        found = findings_of("oversized_box", [(0, 0, 900, 500, "car")], stats=stats)
        assert found[0].message == (
            "Box 11 covers 90% of the image and is 90 times the usual area of a 'car' box (robust z 15.2)"
        )


class TestUndersizedBox:
    def test_tiny_box(self):
        found = findings_of("undersized_box", [(500, 300, 3, 3, "car")])
        assert found == [
            Finding(
                "undersized_box",
                "warning",
                "Box 11 is only 3x3 px, under the minimum area of 16 square px",
                (10,),
            )
        ]

    def test_quiet_at_the_minimum(self):
        assert findings_of("undersized_box", [(500, 300, 4, 4, "car")]) == []

    def test_minimum_from_config(self):
        config = only("undersized_box", ("min_area_px", 10))
        found = findings_of(
            "undersized_box", [(500, 300, 3, 3, "car"), (600, 300, 4, 3, "car")], config=config
        )
        assert [f.boxes for f in found] == [(10,)]


class TestDegenerateBox:
    def test_sliver_boxes(self):
        boxes = [(500, 200, 1, 40, "car"), (600, 200, 40, 1.5, "car"), (500, 300, 200, 9, "car")]
        assert [(f.boxes, f.message) for f in findings_of("degenerate_box", boxes)] == [
            ((10,), "Box 11 is only 1 px wide"),
            ((11,), "Box 12 is only 1.5 px tall"),
            ((12,), "Box 13 has an aspect ratio of 22.2:1 (more than 20:1)"),
        ]

    def test_quiet_at_the_limits(self):
        assert findings_of("degenerate_box", [(500, 200, 2, 30, "car"), (500, 300, 200, 10, "car")]) == []

    def test_limits_from_config(self):
        config = only("degenerate_box", ("max_aspect_ratio", 30.0), ("min_side_px", 0.5))
        assert (
            findings_of(
                "degenerate_box", [(500, 200, 1, 20, "car"), (500, 300, 200, 9, "car")], config=config
            )
            == []
        )


class TestBoxOutOfBounds:
    def test_slight_overhang_is_a_warning(self):
        found = findings_of("box_out_of_bounds", [(-3, 200, 100, 50, "car"), (500, 200, 100, 304, "car")])
        assert found == [
            Finding(
                "box_out_of_bounds", "warning", "Box 11 extends 3 px past the left edge of the image", (10,)
            ),
            Finding(
                "box_out_of_bounds", "warning", "Box 12 extends 4 px past the bottom edge of the image", (11,)
            ),
        ]

    def test_mostly_outside_is_an_error(self):
        found = findings_of("box_out_of_bounds", [(995, 300, 10, 10, "car"), (400, -8, 10, 10, "car")])
        assert found == [
            Finding("box_out_of_bounds", "error", "Box 11 lies 50% outside the image", (10,)),
            Finding("box_out_of_bounds", "error", "Box 12 lies 80% outside the image", (11,)),
        ]

    def test_within_tolerance_is_quiet(self):
        assert (
            findings_of("box_out_of_bounds", [(-0.5, 200, 100, 50, "car"), (900, 450, 101, 51, "car")]) == []
        )

    def test_settings_from_config(self):
        boxes = [(-3, 200, 100, 50, "car"), (995, 300, 10, 10, "car")]
        config = only("box_out_of_bounds", ("tolerance_px", 4.0), ("far_severity", "warning"))
        found = findings_of("box_out_of_bounds", boxes, config=config)
        assert [(f.boxes, f.severity, f.message) for f in found] == [
            ((11,), "warning", "Box 12 lies 50% outside the image")
        ]
        config = only("box_out_of_bounds", ("tolerance_px", 4.0), ("far_outside_fraction", 0.6))
        found = findings_of("box_out_of_bounds", boxes, config=config)
        assert [(f.boxes, f.severity, f.message) for f in found] == [
            ((11,), "warning", "Box 12 extends 5 px past the right edge of the image")
        ]


class TestTooManyBoxes:
    @staticmethod
    def grid(count: int) -> dict[str, Any]:
        return payload(*[(float(i % 20) * 50, float(i // 20) * 50, 40.0, 40.0, "car") for i in range(count)])

    def test_more_than_the_limit(self):
        found = lint(self.grid(101), kind="bbox", width=1000, height=1000, labels=LABELS)
        assert found == [Finding("too_many_boxes", "warning", "101 boxes, more than the limit of 100", ())]
        assert lint(self.grid(100), kind="bbox", width=1000, height=1000, labels=LABELS) == []

    def test_limit_from_config(self):
        config = only("too_many_boxes", ("max_boxes", 20))
        found = lint(self.grid(21), kind="bbox", width=1000, height=1000, labels=LABELS, config=config)
        assert [f.message for f in found] == ["21 boxes, more than the limit of 20"]


class TestUnknownLabel:
    def test_boxes_grouped_by_unknown_label(self):
        boxes = [
            (500, 200, 50, 50, "lorry"),
            (600, 200, 50, 50, "car"),
            (700, 200, 50, 50, "lorry"),
            (800, 200, 50, 50, "Car"),
        ]
        assert findings_of("unknown_label", boxes) == [
            Finding(
                "unknown_label",
                "error",
                "Boxes 11 and 13 have the label 'lorry', which is not in the project's label set",
                (10, 12),
            ),
            Finding(
                "unknown_label",
                "error",
                "Box 14 has the label 'Car', which is not in the project's label set",
                (13,),
            ),
        ]

    def test_classification(self):
        found = lint({"label": "dgo"}, kind="classification", width=8, height=8, labels=["dog", "cat"])
        assert found == [
            Finding("unknown_label", "error", "The label 'dgo' is not in the project's label set", ())
        ]
        assert lint({"label": "dog"}, kind="classification", width=8, height=8, labels=["dog", "cat"]) == []

    def test_empty_label_set_knows_no_label(self):
        found = lint(payload((10, 10, 50, 50, "car")), kind="bbox", width=100, height=100, labels=[])
        assert [f.code for f in found] == ["unknown_label"]


class TestTooFast:
    @pytest.mark.parametrize("kind", ["bbox", "classification"])
    def test_below_the_minimum(self, kind: Any):
        annotation = {"label": "car"} if kind == "classification" else payload(*clean_boxes(5))
        found = lint(annotation, kind=kind, width=WIDTH, height=HEIGHT, labels=LABELS, time_spent_s=0.3)
        assert found == [
            Finding("too_fast", "warning", "Submitted after 0.3 s, under the project's minimum of 0.5 s", ())
        ]

    @pytest.mark.parametrize("kind", ["bbox", "classification"])
    def test_far_below_the_median(self, kind: Any):
        annotation = {"label": "car"} if kind == "classification" else payload(*clean_boxes(5))
        kwargs: dict[str, Any] = {"kind": kind, "width": WIDTH, "height": HEIGHT, "labels": LABELS}
        found = lint(annotation, **kwargs, time_spent_s=1.9, median_time_s=10.0)
        assert [f.message for f in found] == [
            "Submitted after 1.9 s, under 20% of the project's median time of 10 s"
        ]
        assert lint(annotation, **kwargs, time_spent_s=2.0, median_time_s=10.0) == []
        assert lint(annotation, **kwargs, time_spent_s=1.9) == []  # no median known
        assert lint(annotation, **kwargs) == []  # no time known

    def test_settings_from_config(self):
        kwargs: dict[str, Any] = {"kind": "classification", "width": 8, "height": 8, "labels": LABELS}
        config = only("too_fast", ("min_seconds", 3.0), ("median_fraction", 0.0), ("severity", "error"))
        found = lint({"label": "car"}, **kwargs, config=config, time_spent_s=2.5, median_time_s=100.0)
        assert [(f.severity, f.message) for f in found] == [
            ("error", "Submitted after 2.5 s, under the project's minimum of 3 s")
        ]
        assert lint({"label": "car"}, **kwargs, config=config, time_spent_s=3.0, median_time_s=100.0) == []
