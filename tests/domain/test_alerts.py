"""Alert rules: each check fires on planted data and stays quiet on clean data; parameter validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotation_qc.domain.alert_params import (
    RULE_KINDS,
    AlertParamsError,
    default_params,
    describe_kinds,
    validate_params,
)
from annotation_qc.domain.alerts import (
    OTHER_LABELS,
    PROJECT_SUBJECT,
    accuracy_below,
    agreement_below,
    episode_changes,
    label_counts,
    label_shift,
    label_shift_test,
    lint_rate_above,
    queue_dry,
)

LABELS = ["car", "person", "bike"]


# --- episodes -----------------------------------------------------------------------------------


def test_episode_changes_fire_new_resolve_cleared_and_keep_ongoing() -> None:
    changes = episode_changes(["annotator:1", "annotator:2"], ["annotator:2", "annotator:3"])
    assert changes.fire == ("annotator:3",)
    assert changes.resolve == ("annotator:1",)
    assert changes.ongoing == ("annotator:2",)
    assert episode_changes([], []) == episode_changes(set(), ())


# --- accuracy -----------------------------------------------------------------------------------


def accuracy(**overrides: object):
    params = {**default_params("annotator_accuracy_below"), **overrides}
    return accuracy_below(
        [1, 2, 3, 4], ["ann", "bob", "cid", "dee"], [3, 19, 0, 12], [20, 20, 5, 20], **params
    )


def test_accuracy_fires_for_a_clearly_weak_annotator_only() -> None:
    (condition,) = accuracy()  # upper bound of the interval, threshold 0.7, at least 10 benchmarks
    assert condition.subject == "annotator:1"
    assert condition.data["accuracy"] == 0.15
    assert condition.data["high"] < 0.7
    assert condition.message.startswith("ann: benchmark accuracy 15% over 20 benchmarks")
    assert "upper bound" in condition.message


def test_accuracy_upper_bound_spares_an_uncertain_annotator_the_point_estimate_does_not() -> None:
    # 12 of 20: 60% observed, Wilson 95% interval 38.7%-78.1% (hand-computed, z = 1.96).
    assert "annotator:4" not in {c.subject for c in accuracy()}
    point = {c.subject: c for c in accuracy(statistic="point")}
    assert set(point) == {"annotator:1", "annotator:4"}
    assert point["annotator:4"].data["low"] == pytest.approx(0.3866, abs=1e-4)
    assert point["annotator:4"].data["high"] == pytest.approx(0.7812, abs=1e-4)


def test_accuracy_waits_for_enough_benchmarks() -> None:
    # cid has 0 of 5: hopeless, but below min_benchmarks.
    assert "annotator:3" not in {c.subject for c in accuracy(statistic="point")}
    assert "annotator:3" in {c.subject for c in accuracy(statistic="point", min_benchmarks=5)}


def test_accuracy_is_quiet_on_good_annotators_and_handles_nobody() -> None:
    params = default_params("annotator_accuracy_below")
    assert accuracy_below([1, 2], ["a", "b"], [18, 40], [20, 42], **params) == ()
    assert accuracy_below([], [], [], [], **params) == ()


# --- agreement ----------------------------------------------------------------------------------


def agreement(alpha: float | None, *, alpha_high: float | None = None, n_items: int = 50, **overrides):
    params = {**default_params("agreement_below"), **overrides}
    return agreement_below(alpha=alpha, alpha_high=alpha_high, n_items=n_items, **params)


def test_agreement_fires_below_threshold_and_not_above() -> None:
    (condition,) = agreement(0.41)
    assert condition.subject == PROJECT_SUBJECT
    assert "0.410 over 50 items" in condition.message
    assert agreement(0.8) == ()
    assert agreement(0.667) == ()  # at the threshold is not below it


def test_agreement_quiet_without_a_report_or_enough_items() -> None:
    assert agreement(None) == ()
    assert agreement(0.2, n_items=19) == ()


def test_agreement_upper_bound_statistic() -> None:
    assert agreement(0.5, alpha_high=0.7, statistic="upper") == ()
    assert len(agreement(0.5, alpha_high=0.6, statistic="upper")) == 1
    assert agreement(0.5, alpha_high=None, statistic="upper") == ()


# --- linter findings ----------------------------------------------------------------------------


def lint(submissions: list[int], flagged: list[int], **overrides: object):
    params = {**default_params("lint_error_rate_above"), **overrides}
    return lint_rate_above([1, 2], ["ann", "bob"], submissions, flagged, **params)


def test_lint_rate_fires_for_the_project_when_the_pooled_rate_is_high() -> None:
    (condition,) = lint([30, 30], [3, 15])  # 18 of 60 = 30% > 20%
    assert condition.subject == PROJECT_SUBJECT
    assert condition.data == {
        "submissions": 60,
        "flagged": 18,
        "rate": 0.3,
        "threshold": 0.2,
        "window_hours": 24.0,
    }
    assert "18 of 60 submissions in the last 24 h (30%)" in condition.message


def test_lint_rate_per_annotator_names_the_sloppy_one() -> None:
    (condition,) = lint([30, 30], [3, 15], scope="annotator")
    assert condition.subject == "annotator:2"
    assert condition.message.startswith("bob: 15 of 30 submissions")


def test_lint_rate_quiet_on_clean_data_and_small_samples() -> None:
    assert lint([30, 30], [2, 3]) == ()
    assert lint([5, 5], [5, 5]) == ()  # 10 submissions < 20
    assert lint([5, 30], [5, 3], scope="annotator") == ()  # ann has too few, bob is fine
    assert lint([0, 0], [0, 0]) == ()


# --- label distribution -------------------------------------------------------------------------


def test_label_counts_counts_boxes_and_classification_labels() -> None:
    bbox = [
        {"boxes": [{"label": "car"}, {"label": "car"}, {"label": "bike"}]},
        {"boxes": []},
        {"boxes": [{"label": "truck"}, {"label": "person"}]},  # truck is not a project label
    ]
    assert label_counts(bbox, LABELS).tolist() == [2, 1, 1]
    assert label_counts([{"label": "bike"}, {"label": "bike"}, {"label": None}], LABELS).tolist() == [0, 0, 2]
    assert label_counts([], LABELS).tolist() == [0, 0, 0]


def test_shift_test_matches_a_hand_computed_chi_square() -> None:
    # 2x2 table [[50, 50], [70, 30]]: expected 60/40 per row, chi2 = 2 * (100/60 + 100/40) = 8.333...
    test = label_shift_test(["a", "b"], [50, 50], [70, 30])
    assert test is not None
    assert test.statistic == pytest.approx(25 / 3)
    assert test.dof == 1
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(25 / 6)))  # chi2 survival, 1 df
    assert test.cramers_v == pytest.approx(math.sqrt(25 / 3 / 200))
    assert test.previous_share == (0.5, 0.5)
    assert test.recent_share == (0.7, 0.3)


def test_shift_test_pools_rare_labels_and_drops_absent_ones() -> None:
    test = label_shift_test(["a", "b", "c", "d", "e"], [60, 40, 1, 0, 2], [40, 60, 2, 0, 1])
    assert test is not None
    assert test.categories == ("a", "b", OTHER_LABELS)
    assert test.dof == 2
    assert test.previous_share[2] == pytest.approx(3 / 103)
    assert label_shift_test(["a", "b"], [10, 0], [10, 0]) is None  # one category: nothing to test
    assert label_shift_test(["a", "b"], [0, 0], [5, 5]) is None  # an empty window


def shift(previous: list[int], recent: list[int], **overrides: object):
    params = {**default_params("label_distribution_shift"), **overrides}
    return label_shift(LABELS, previous, recent, **params)


def test_label_shift_fires_on_a_planted_shift() -> None:
    (condition,) = shift([100, 80, 20], [40, 140, 20])
    assert condition.subject == PROJECT_SUBJECT
    assert condition.data["p_value"] < 1e-6
    assert condition.data["recent_counts"] == {"car": 40, "person": 140, "bike": 20}
    # The biggest moves first.
    assert "car 50% → 20%, person 40% → 70%" in condition.message


def test_label_shift_quiet_on_same_distribution_draws() -> None:
    rng = np.random.default_rng(7)
    shares = [0.5, 0.35, 0.15]
    fired = sum(
        bool(shift(rng.multinomial(300, shares).tolist(), rng.multinomial(300, shares).tolist()))
        for _ in range(300)
    )
    assert fired <= 3  # p < 0.01 and Cramér's V >= 0.1: almost never by chance


def test_label_shift_needs_enough_labels_and_a_real_effect() -> None:
    assert shift([10, 8, 2], [4, 14, 2]) == ()  # under 50 labels per window
    # Huge windows make a 3-point move significant, but Cramér's V is 0.03: not worth an alert.
    big = shift([50_000, 50_000, 0], [53_000, 47_000, 0])
    assert big == ()
    test = label_shift_test(LABELS, [50_000, 50_000, 0], [53_000, 47_000, 0])
    assert test is not None
    assert test.p_value < 1e-10
    assert len(shift([50_000, 50_000, 0], [53_000, 47_000, 0], min_effect=0.0)) == 1


# --- queue --------------------------------------------------------------------------------------


def queue(open_slots: int, *, items: int = 10, annotators: int = 2, **overrides: object):
    params = {**default_params("queue_dry"), **overrides}
    return queue_dry(open_slots=open_slots, items=items, annotators=annotators, **params)


def test_queue_dry_fires_when_nothing_is_left_for_annotators() -> None:
    (condition,) = queue(0)
    assert condition.subject == PROJECT_SUBJECT
    assert condition.message.startswith("The queue ran dry")
    assert queue(0, items=0)[0].message.startswith("The queue is empty")


def test_queue_dry_quiet_with_work_left_or_nobody_to_do_it() -> None:
    assert queue(1) == ()
    assert queue(0, annotators=0) == ()
    assert len(queue(3, max_open_slots=5)) == 1
    assert "3 open slots left" in queue(3, max_open_slots=5)[0].message


# --- parameters ---------------------------------------------------------------------------------


def test_every_kind_has_defaults_that_validate_to_themselves() -> None:
    for kind in RULE_KINDS:
        defaults = default_params(kind)
        assert validate_params(kind, None) == defaults
        assert validate_params(kind, defaults) == defaults
    assert [entry["kind"] for entry in describe_kinds()] == list(RULE_KINDS)


def test_overrides_merge_onto_the_base() -> None:
    base = validate_params("agreement_below", {"threshold": 0.5})
    merged = validate_params("agreement_below", {"min_items": 5}, base=base)
    assert merged == {"threshold": 0.5, "statistic": "point", "min_items": 5}
    assert validate_params("agreement_below", {"min_items": 5.0})["min_items"] == 5
    assert isinstance(validate_params("lint_error_rate_above", {"window_hours": 2})["window_hours"], float)


@pytest.mark.parametrize(
    ("kind", "overrides", "path", "words"),
    [
        ("agreement_below", {"threshold": 1.5}, "threshold", "at most 1"),
        ("agreement_below", {"threshold": "high"}, "threshold", "must be a number"),
        ("agreement_below", {"min_items": True}, "min_items", "must be a number"),
        ("agreement_below", {"min_items": 2.5}, "min_items", "whole number"),
        ("agreement_below", {"min_items": 0}, "min_items", "at least 1"),
        ("agreement_below", {"statistic": "mean"}, "statistic", "point, upper"),
        ("agreement_below", {"window": 3}, "window", "unknown parameter"),
        ("label_distribution_shift", {"p_value": 0}, "p_value", "above 0"),
        ("label_distribution_shift", {"p_value": float("nan")}, "p_value", "finite"),
        ("label_distribution_shift", {"p_value": 10**400}, "p_value", "at most 0.5"),
        ("queue_dry", {"max_open_slots": 10**400}, "max_open_slots", "at most"),
        ("lint_error_rate_above", {"scope": "team"}, "scope", "project, annotator"),
        ("speed_below", {}, "kind", "unknown alert rule kind"),
    ],
)
def test_bad_parameters_are_rejected_naming_the_parameter(
    kind: str, overrides: dict, path: str, words: str
) -> None:
    with pytest.raises(AlertParamsError) as error:
        validate_params(kind, overrides)
    assert error.value.path == path
    assert words in str(error.value)


def test_parameters_must_be_an_object() -> None:
    with pytest.raises(AlertParamsError, match="must be an object"):
        validate_params("queue_dry", [1, 2])  # type: ignore[arg-type]


def test_the_base_is_checked_too_and_stale_names_are_dropped() -> None:
    assert validate_params("queue_dry", None, base={"max_open_slots": 3, "retired": 1})["max_open_slots"] == 3
    with pytest.raises(AlertParamsError) as error:
        validate_params("queue_dry", {}, base={"max_open_slots": "x"})
    assert error.value.path == "max_open_slots"
    # An override replaces a bad stored value.
    assert (
        validate_params("queue_dry", {"max_open_slots": 1}, base={"max_open_slots": "x"})["max_open_slots"]
        == 1
    )
