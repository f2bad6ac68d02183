"""Per-project lint settings: defaults, merging, and rejection of bad settings by name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotation_qc.domain.linters import RULES, LintConfigError, default_lint_config, validate_lint_config

EXPECTED_RULES = {
    "duplicate_box",
    "oversized_box",
    "undersized_box",
    "degenerate_box",
    "box_out_of_bounds",
    "conflicting_labels",
    "too_many_boxes",
    "unknown_label",
    "too_fast",
}


def test_defaults_cover_every_rule_and_are_json():
    config = default_lint_config()
    assert set(config) == EXPECTED_RULES == set(RULES)
    assert json.loads(json.dumps(config)) == config
    for settings in config.values():
        assert settings["enabled"] is True
        assert settings["severity"] in {"warning", "error"}


def test_default_severities_and_thresholds():
    config = default_lint_config()
    errors = {code for code, settings in config.items() if settings["severity"] == "error"}
    assert errors == {"unknown_label"}
    assert config["box_out_of_bounds"]["far_severity"] == "error"
    assert config["duplicate_box"]["min_iou"] == 0.9
    assert config["conflicting_labels"]["min_iou"] == 0.9
    assert config["oversized_box"] == {
        "enabled": True,
        "severity": "warning",
        "area_fraction": 0.8,
        "size_z": 3.5,
    }
    assert config["too_fast"]["median_fraction"] == 0.2


def test_empty_overrides_give_the_defaults():
    assert validate_lint_config({}) == default_lint_config()


def test_overrides_merge_onto_defaults():
    config = validate_lint_config(
        {"duplicate_box": {"min_iou": 0.95}, "too_fast": {"enabled": False, "min_seconds": 2}}
    )
    expected = default_lint_config()
    expected["duplicate_box"]["min_iou"] = 0.95
    expected["too_fast"].update(enabled=False, min_seconds=2.0)
    assert config == expected
    assert type(config["too_fast"]["min_seconds"]) is float  # whole numbers are stored as floats


def test_validated_config_validates_to_itself():
    config = validate_lint_config({"oversized_box": {"size_z": 5, "severity": "error"}})
    assert validate_lint_config(config) == config
    assert validate_lint_config(json.loads(json.dumps(config))) == config


def test_defaults_are_fresh_copies():
    config = default_lint_config()
    config["duplicate_box"]["min_iou"] = 0.1
    assert default_lint_config()["duplicate_box"]["min_iou"] == 0.9


@pytest.mark.parametrize(
    ("raw", "path", "words"),
    [
        ({"no_such_rule": {}}, "no_such_rule", ["unknown lint rule", "duplicate_box"]),
        ({"duplicate_box": {"iou": 0.9}}, "duplicate_box.iou", ["unknown setting", "min_iou"]),
        ({"duplicate_box": 0.9}, "duplicate_box", ["must be an object"]),
        ({"duplicate_box": {"min_iou": "high"}}, "duplicate_box.min_iou", ["a number", "'high'"]),
        ({"duplicate_box": {"min_iou": True}}, "duplicate_box.min_iou", ["a number"]),
        ({"duplicate_box": {"min_iou": None}}, "duplicate_box.min_iou", ["a number"]),
        ({"duplicate_box": {"min_iou": 1.5}}, "duplicate_box.min_iou", ["at most 1", "1.5"]),
        ({"duplicate_box": {"min_iou": 0}}, "duplicate_box.min_iou", ["above 0"]),
        ({"duplicate_box": {"min_iou": float("nan")}}, "duplicate_box.min_iou", ["nan"]),
        ({"oversized_box": {"size_z": -1}}, "oversized_box.size_z", ["above 0"]),
        ({"degenerate_box": {"max_aspect_ratio": 0.5}}, "degenerate_box.max_aspect_ratio", ["at least 1"]),
        ({"too_many_boxes": {"max_boxes": 0}}, "too_many_boxes.max_boxes", ["at least 1"]),
        ({"too_many_boxes": {"max_boxes": 2.5}}, "too_many_boxes.max_boxes", ["whole number"]),
        ({"too_fast": {"median_fraction": 2}}, "too_fast.median_fraction", ["at most 1"]),
        ({"too_fast": {"min_seconds": float("inf")}}, "too_fast.min_seconds", ["inf"]),
        ({"unknown_label": {"enabled": "yes"}}, "unknown_label.enabled", ["true or false"]),
        ({"unknown_label": {"enabled": 1}}, "unknown_label.enabled", ["true or false"]),
        (
            {"unknown_label": {"severity": "fatal"}},
            "unknown_label.severity",
            ["'warning' or 'error'", "'fatal'"],
        ),
        ({"box_out_of_bounds": {"far_severity": "info"}}, "box_out_of_bounds.far_severity", ["'info'"]),
    ],
)
def test_bad_settings_are_rejected_by_name(raw: dict[str, Any], path: str, words: list[str]):
    with pytest.raises(LintConfigError) as caught:
        validate_lint_config(raw)
    assert caught.value.path == path
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for word in words:
        assert word in message


def test_a_non_mapping_is_rejected():
    with pytest.raises(LintConfigError, match="must be an object"):
        validate_lint_config([("duplicate_box", {})])  # type: ignore[arg-type]


def test_lint_config_error_is_a_value_error():
    with pytest.raises(ValueError, match="no_such_rule"):
        validate_lint_config({"no_such_rule": {"enabled": False}})
