"""The check configuration: defaults, merging, and errors that name the field."""

import math

import pytest

from annotation_qc.domain.data_health.config import (
    CHECKS,
    ConfigError,
    default_config,
    describe,
    validate_config,
)


def test_defaults_cover_every_check_and_validate_to_themselves():
    config = default_config()
    assert set(config["checks"]) == set(CHECKS)
    assert validate_config(config) == config
    assert config["checks"]["blank"]["action"] == "quarantine"
    assert config["checks"]["metadata"]["required"] == {}


def test_overrides_merge_onto_the_stored_configuration():
    stored = validate_config({"checks": {"blank": {"max_contrast": 0.05}}})
    merged = validate_config({"checks": {"blank": {"action": "warn"}}}, base=stored)
    assert merged["checks"]["blank"] == {"enabled": True, "action": "warn", "max_contrast": 0.05}
    assert (
        validate_config(None, base={"checks": {"blank": {"gone": 1}}})["checks"]["blank"]["max_contrast"]
        == 0.02
    )


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"checks": {"sharpness_magic": {}}}, "checks.sharpness_magic"),
        ({"checks": {"blank": {"max_contrast": -0.1}}}, "checks.blank.max_contrast"),
        ({"checks": {"blank": {"max_contrast": "low"}}}, "checks.blank.max_contrast"),
        ({"checks": {"blank": {"max_contrast": math.nan}}}, "checks.blank.max_contrast"),
        ({"checks": {"blank": {"action": "delete"}}}, "checks.blank.action"),
        ({"checks": {"blank": {"enabled": 1}}}, "checks.blank.enabled"),
        ({"checks": {"near_duplicate": {"max_distance": 2.5}}}, "checks.near_duplicate.max_distance"),
        ({"checks": {"near_duplicate": {"max_distance": True}}}, "checks.near_duplicate.max_distance"),
        ({"checks": {"blank": []}}, "checks.blank"),
        ({"checks": {"image_size": {"min_side": 500, "max_side": 100}}}, "checks.image_size.min_side"),
        ({"checks": {"metadata": {"required": {"site": "colour"}}}}, "checks.metadata.required"),
        ({"drift": {"reference": "batch"}}, "drift.reference_batch"),
        ({"drift": {"alpha": 0}}, "drift.alpha"),
        ({"outliers": {"placement": "middle"}}, "outliers.placement"),
        ({"coverage": {"labels": {"cat": 0.7, "dog": 0.6}}}, "coverage.labels"),
        ({"coverage": {"attributes": {"site": {"a": 2}}}}, "coverage.attributes"),
        ({"coverage": {"labels": {"a": 10**400}}}, "coverage.labels"),
        ({"coverage": {"boost": 10**400}}, "coverage.boost"),
        ({"checks": {"blank": {"max_contrast": -(10**400)}}}, "checks.blank.max_contrast"),
        ({"colour": {}}, "colour"),
        ({"checks": []}, "checks"),
    ],
)
def test_bad_configuration_names_the_field(overrides, path):
    with pytest.raises(ConfigError) as caught:
        validate_config(overrides)
    assert caught.value.path == path


def test_not_an_object():
    with pytest.raises(ConfigError):
        validate_config([1])


def test_describe_lists_defaults_and_choices():
    described = describe()
    assert described["checks"]["blank"]["action"]["choices"] == ["reject", "quarantine", "warn"]
    assert described["drift"]["alpha"]["default"] == 0.01
