"""``lint`` as the services call it: findings, ordering, config handling, the shared IoU matrix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from annotation_qc.domain import geometry
from annotation_qc.domain.linters import (
    RULES,
    Finding,
    default_lint_config,
    label_size_stats,
    lint,
    validate_lint_config,
)
from annotation_qc.domain.linting import Flag, RuleSettings, Scene, rule, setting
from tests.domain.linting_scenes import HEIGHT, LABELS, WIDTH, clean_boxes, payload


def lint_boxes(annotation: dict[str, Any], **kwargs: Any) -> list[Finding]:
    return lint(annotation, kind="bbox", width=WIDTH, height=HEIGHT, labels=LABELS, **kwargs)


def test_finding_to_dict_is_json_ready():
    finding = Finding("duplicate_box", "warning", "Boxes 2 and 5 are duplicates (IoU 0.94)", (1, 4))
    assert finding.to_dict() == {
        "code": "duplicate_box",
        "severity": "warning",
        "message": "Boxes 2 and 5 are duplicates (IoU 0.94)",
        "boxes": [1, 4],
    }
    assert json.loads(json.dumps(finding.to_dict())) == finding.to_dict()


def test_clean_scene_of_fifty_boxes_has_no_findings():
    assert lint_boxes(payload(*clean_boxes(50)), time_spent_s=35.0, median_time_s=40.0) == []


def test_clean_scene_stays_quiet_with_learned_size_statistics():
    # Statistics learned from many clean scenes of the same kind: no clean box is an outlier.
    history = [box for seed in range(1, 21) for box in clean_boxes(50, seed)]
    fractions = np.array([w * h for _, _, w, h, _ in history]) / (WIDTH * HEIGHT)
    stats = label_size_stats(fractions, [label for *_, label in history])
    assert set(stats) == set(LABELS)
    assert lint_boxes(payload(*clean_boxes(50, seed=99)), stats=stats) == []


def test_empty_annotations_have_no_findings():
    assert lint_boxes({"boxes": []}) == []
    assert lint({"label": "car"}, kind="classification", width=10, height=10, labels=LABELS) == []


def test_findings_are_sorted_errors_first_then_code_then_boxes():
    boxes = [
        (100, 100, 100, 100, "car"),
        (101, 100, 100, 100, "car"),  # duplicate of box 1
        (400, 100, 3, 3, "car"),  # undersized
        (600, 100, 50, 50, "lorry"),  # unknown label (error)
        (995, 300, 10, 10, "car"),  # half outside (error)
        (700, 100, 2, 2, "car"),  # undersized
    ]
    findings = lint_boxes(payload(*boxes), time_spent_s=0.1)
    assert [(f.severity, f.code, f.boxes) for f in findings] == [
        ("error", "box_out_of_bounds", (4,)),
        ("error", "unknown_label", (3,)),
        ("warning", "duplicate_box", (0, 1)),
        ("warning", "too_fast", ()),
        ("warning", "undersized_box", (2,)),
        ("warning", "undersized_box", (5,)),
    ]


def test_one_iou_matrix_per_annotation(monkeypatch: pytest.MonkeyPatch):
    calls = []
    real = geometry.iou_matrix

    def counting(a: Any, b: Any) -> Any:
        calls.append(len(a))
        return real(a, b)

    monkeypatch.setattr(geometry, "iou_matrix", counting)
    boxes = [(100, 100, 100, 100, "car"), (101, 100, 100, 100, "car"), (102, 100, 100, 100, "truck")]
    codes = {f.code for f in lint_boxes(payload(*boxes, *clean_boxes(20)[5:]))}
    assert {"duplicate_box", "conflicting_labels"} <= codes
    assert calls == [18]

    calls.clear()
    no_overlap_rules = validate_lint_config(
        {"duplicate_box": {"enabled": False}, "conflicting_labels": {"enabled": False}}
    )
    lint_boxes(payload(*boxes), config=no_overlap_rules)
    lint({"label": "car"}, kind="classification", width=10, height=10, labels=LABELS)
    assert calls == []


def test_severity_from_config_is_honoured():
    boxes = payload((100, 100, 100, 100, "car"), (101, 100, 100, 100, "car"))
    config = validate_lint_config({"duplicate_box": {"severity": "error"}})
    assert [(f.code, f.severity) for f in lint_boxes(boxes, config=config)] == [("duplicate_box", "error")]
    config = validate_lint_config({"unknown_label": {"severity": "warning"}})
    findings = lint_boxes(payload((10, 10, 50, 50, "lorry")), config=config)
    assert [(f.code, f.severity) for f in findings] == [("unknown_label", "warning")]


def test_disabled_rules_do_not_fire():
    boxes = payload(
        (100, 100, 100, 100, "car"),
        (101, 100, 100, 100, "car"),
        (300, 100, 100, 100, "lorry"),
        (500, 100, 2, 2, "car"),
    )
    assert {f.code for f in lint_boxes(boxes, time_spent_s=0.1)} == {
        "duplicate_box",
        "unknown_label",
        "undersized_box",
        "too_fast",
    }
    config = validate_lint_config({code: {"enabled": False} for code in RULES})
    assert lint_boxes(boxes, config=config, time_spent_s=0.1) == []
    config = validate_lint_config({"duplicate_box": {"enabled": False}, "too_fast": {"enabled": False}})
    assert {f.code for f in lint_boxes(boxes, config=config, time_spent_s=0.1)} == {
        "unknown_label",
        "undersized_box",
    }


def test_none_config_means_defaults():
    boxes = payload((100, 100, 100, 100, "car"), (104, 100, 100, 100, "car"), (500, 100, 3, 3, "x"))
    assert lint_boxes(boxes) == lint_boxes(boxes, config=default_lint_config())


def test_rules_missing_from_a_stored_config_run_with_defaults():
    stored = validate_lint_config({"too_fast": {"min_seconds": 5.0}})
    del stored["duplicate_box"]  # e.g. saved before the rule existed
    boxes = payload((100, 100, 100, 100, "car"), (101, 100, 100, 100, "car"))
    findings = lint_boxes(boxes, config=stored, time_spent_s=3.0)
    assert [f.code for f in findings] == ["duplicate_box", "too_fast"]


def test_bbox_rules_do_not_run_on_classification():
    findings = lint(
        {"label": "lorry"}, kind="classification", width=8, height=8, labels=LABELS, time_spent_s=0.1
    )
    assert [(f.code, f.severity, f.boxes) for f in findings] == [
        ("unknown_label", "error", ()),
        ("too_fast", "warning", ()),
    ]


@pytest.mark.parametrize(
    ("kind", "width", "height"),
    [("polygon", 10, 10), ("bbox", 0, 10), ("bbox", 10, -1), ("bbox", float("nan"), 10)],
)
def test_bad_call_arguments_raise(kind: Any, width: float, height: float):
    with pytest.raises(ValueError, match=r"kind|image size"):
        lint({"boxes": []}, kind=kind, width=width, height=height, labels=LABELS)


def test_a_new_rule_is_one_function_plus_its_settings():
    @dataclass(frozen=True, kw_only=True)
    class WideBoxSettings(RuleSettings):
        max_width_px: float = setting(500.0, low=0.0)

    try:

        @rule(WideBoxSettings)
        def wide_box(scene: Scene, settings: WideBoxSettings) -> list[Flag]:
            """A box wider than ``max_width_px``."""
            wide = np.flatnonzero(scene.boxes[:, 2] > settings.max_width_px)
            return [Flag((i,), f"Box {i + 1} is wide") for i in wide.tolist()]

        assert default_lint_config()["wide_box"] == {
            "enabled": True,
            "severity": "warning",
            "max_width_px": 500.0,
        }
        boxes = payload((10, 10, 600, 50, "car"), (10, 100, 50, 50, "car"))
        assert lint_boxes(boxes) == [Finding("wide_box", "warning", "Box 1 is wide", (0,))]
        config = validate_lint_config({"wide_box": {"max_width_px": 700}})
        assert lint_boxes(boxes, config=config) == []
        with pytest.raises(ValueError, match=r"wide_box\.max_width_px"):
            validate_lint_config({"wide_box": {"max_width_px": -1}})
        with pytest.raises(ValueError, match="registered twice"):
            rule(WideBoxSettings)(wide_box)
    finally:
        RULES.pop("wide_box", None)
