"""Review-stage rules: sampling rates, deterministic draws, what a fix changed."""

import pytest

from annotation_qc.domain.review import (
    draw,
    object_decision,
    object_verdicts_clean,
    payload_diff,
    sampled,
    sampling_rate,
    skill_estimate,
)

RATES = {"base_rate": 0.05, "max_rate": 0.5, "calibration_rate": 0.3}


def test_rate_rises_as_skill_falls_and_while_calibrating():
    strong = sampling_rate(**RATES, fixed=98, benchmarks=100, calibrating=False)
    weak = sampling_rate(**RATES, fixed=40, benchmarks=100, calibrating=False)
    assert 0.05 <= strong < weak <= 0.5
    assert strong == pytest.approx(0.05 + 0.45 * (1 - skill_estimate(98, 100)))
    assert sampling_rate(**RATES, fixed=98, benchmarks=100, calibrating=True) == 0.3
    assert sampling_rate(**RATES, fixed=0, benchmarks=0, calibrating=False) == pytest.approx(0.275)


def test_rates_outside_unit_interval_are_refused():
    with pytest.raises(ValueError, match="max_rate"):
        sampling_rate(
            base_rate=0.1, max_rate=1.2, calibration_rate=0.1, fixed=0, benchmarks=0, calibrating=False
        )


def test_draw_is_deterministic_and_uniform():
    assert draw("a") == draw("a")
    values = [draw(f"review:1:{i}") for i in range(4000)]
    assert 0.47 < sum(values) / len(values) < 0.53
    assert sum(sampled(0.2, f"review:1:{i}") for i in range(4000)) == pytest.approx(800, abs=80)
    assert not any(sampled(0.0, f"k{i}") for i in range(100))
    assert all(sampled(1.0, f"k{i}") for i in range(100))


CAR = {"x": 10.0, "y": 10.0, "w": 50.0, "h": 40.0, "label": "car"}
BIKE = {"x": 200.0, "y": 50.0, "w": 30.0, "h": 30.0, "label": "bike"}


def test_box_diff():
    after = [{**CAR, "label": "person"}, {"x": 400.0, "y": 300.0, "w": 20.0, "h": 20.0, "label": "car"}]
    diff = payload_diff({"boxes": [CAR, BIKE]}, {"boxes": after})
    assert diff["changed"] == 3
    assert [(m["index"], m["new_index"]) for m in diff["modified"]] == [(0, 0)]
    assert [r["index"] for r in diff["removed"]] == [1]
    assert [a["new_index"] for a in diff["added"]] == [1]


def test_unchanged_and_nudged_boxes():
    assert payload_diff({"boxes": [CAR]}, {"boxes": [dict(CAR)]})["changed"] == 0
    nudged = payload_diff({"boxes": [CAR]}, {"boxes": [{**CAR, "x": 14.0}]})
    assert nudged["changed"] == 1
    assert nudged["modified"][0]["after"]["x"] == 14.0


def test_classification_diff():
    assert payload_diff({"label": "cat"}, {"label": "dog"}) == {
        "changed": 1,
        "label": {"before": "cat", "after": "dog"},
    }
    assert payload_diff({"label": "cat"}, {"label": "cat"})["changed"] == 0


def test_review_stats_per_person():
    from annotation_qc.domain.review_quality import review_stats

    stats = review_stats(
        [7, 7, 7, 9], [1, 0, 0, 1], [0, 1, 1, 0], [0, 2, 4, 0], [10, 20, 90, 5], [0, 1, 2, 0]
    )
    seven = stats[7]
    assert seven["reviews"] == 3
    assert seven["first_pass_acceptance"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert seven["rejection_rate"]["value"] == pytest.approx(2 / 3, abs=1e-4)
    assert seven["objects_fixed_per_review"]["value"] == 2.0
    assert seven["objects_fixed_per_review"]["low"] < 2.0 < seven["objects_fixed_per_review"]["high"]
    assert seven["time_in_review_seconds"] == {"median": 20.0, "mean": 40.0, "n": 3}
    assert stats[9]["objects_fixed_per_review"]["low"] is None  # one review: no interval
    with pytest.raises(ValueError, match="one value per review"):
        review_stats([1], [1, 0], [0], [0], [0], [0])


def test_time_in_review_leaves_out_unmeasured_reviews_and_reports_the_queue_apart():
    from annotation_qc.domain.review_quality import review_stats

    nan = float("nan")
    stats = review_stats(
        [7, 7, 7, 9],
        [1, 1, 1, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [10, nan, 30, nan],
        [0, 0, 0, 0],
        seconds_queued=[600, 60, 3600, 5],
    )
    assert stats[7]["time_in_review_seconds"] == {"median": 20.0, "mean": 20.0, "n": 2}
    assert stats[7]["time_in_queue_seconds"] == {"median": 600.0, "mean": 1420.0, "n": 3}
    assert stats[9]["time_in_review_seconds"] == {"median": None, "mean": None, "n": 0}


def test_first_pass_alert_needs_enough_reviews_and_strong_evidence():
    from annotation_qc.domain.review_quality import first_pass_acceptance_below

    kwargs = {"threshold": 0.7, "min_reviews": 10, "confidence": 0.95}
    weak = first_pass_acceptance_below(
        [1, 2, 3], ["a", "b", "c"], [2, 18, 0], [20, 20, 5], statistic="upper", **kwargs
    )
    assert [c.data["annotator_id"] for c in weak] == [1]
    assert weak[0].data["high"] < 0.7
    point = first_pass_acceptance_below([1], ["a"], [6], [10], statistic="point", **kwargs)
    upper = first_pass_acceptance_below([1], ["a"], [6], [10], statistic="upper", **kwargs)
    assert len(point) == 1
    assert upper == ()


def test_object_verdicts_are_sorted_and_checked_against_the_boxes() -> None:
    clean, errors = object_verdicts_clean(
        [{"box": 1, "verdict": "rejected", "comment": " wrong "}, {"box": 0, "verdict": "accepted"}],
        n_boxes=2,
        max_comment_chars=10,
    )
    assert errors == {}
    assert clean == [
        {"box": 0, "verdict": "accepted", "comment": ""},
        {"box": 1, "verdict": "rejected", "comment": "wrong"},
    ]
    _, errors = object_verdicts_clean([{"box": 0, "verdict": "accepted"}], n_boxes=0, max_comment_chars=10)
    assert set(errors) == {"objects"}
    _, errors = object_verdicts_clean(
        [{"box": 0, "verdict": "accepted"}, {"box": 0, "verdict": "accepted", "comment": "x" * 11}],
        n_boxes=1,
        max_comment_chars=10,
    )
    assert set(errors) == {"objects[1].box", "objects[1].comment"}


def test_the_whole_decision_follows_from_the_objects() -> None:
    accepted = [{"box": i, "verdict": "accepted"} for i in range(2)]
    one_rejected = [accepted[0], {"box": 1, "verdict": "rejected"}]
    assert object_decision(accepted, n_boxes=2, given=None) == ("accept", {})
    assert object_decision(one_rejected, n_boxes=2, given=None) == ("reject", {})
    assert object_decision(one_rejected, n_boxes=2, given="reject") == ("reject", {})
    assert object_decision(accepted, n_boxes=2, given="reject") == ("reject", {})
    assert set(object_decision(one_rejected, n_boxes=2, given="accept")[1]) == {"decision"}
    assert set(object_decision(accepted[:1], n_boxes=2, given=None)[1]) == {"decision"}
    assert object_decision(accepted[:1], n_boxes=2, given="accept") == ("accept", {})
