"""Learned per-label box sizes (log area fraction: median and MAD) and the robust z-score."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from annotation_qc.domain.linters import LabelSizeStats, label_size_stats, lint
from annotation_qc.domain.linting.size_stats import MAD_TO_Z, MIN_MAD_LOG_AREA, robust_z


def test_known_median_and_mad_odd_and_even_counts():
    # log areas -5..-1: median -3, absolute deviations 2,1,0,1,2 -> MAD 1.
    # log areas -4..-1: median -2.5, absolute deviations 1.5,0.5,0.5,1.5 -> MAD 1.
    areas = np.exp([-5, -4, -3, -2, -1, -4, -3, -2, -1])
    labels = ["odd"] * 5 + ["even"] * 4
    stats = label_size_stats(areas, labels, min_count=1)
    assert stats["odd"].median_log_area == pytest.approx(-3.0)
    assert stats["odd"].mad_log_area == pytest.approx(1.0)
    assert stats["odd"].count == 5
    assert stats["even"].median_log_area == pytest.approx(-2.5)
    assert stats["even"].mad_log_area == pytest.approx(1.0)
    assert stats["even"].count == 4


def test_matches_a_per_label_reference_on_random_data():
    rng = np.random.default_rng(3)
    labels = rng.choice(["a", "b", "c", "d"], 3001).tolist()
    areas = rng.lognormal(-4, 1.2, 3001)
    stats = label_size_stats(areas, labels)
    for name in "abcd":
        logs = np.log(areas[np.array(labels) == name])
        median = np.median(logs)
        assert stats[name].median_log_area == pytest.approx(median)
        assert stats[name].mad_log_area == pytest.approx(np.median(np.abs(logs - median)))
        assert stats[name].count == len(logs)


def test_labels_below_min_count_get_no_entry():
    areas = np.full(39, 0.01)
    labels = ["common"] * 20 + ["rare"] * 19
    assert set(label_size_stats(areas, labels)) == {"common"}
    assert set(label_size_stats(areas, labels, min_count=19)) == {"common", "rare"}


def test_non_finite_and_non_positive_areas_are_ignored():
    areas = [0.01] * 20 + [0.0, -1.0, float("nan"), float("inf")]
    stats = label_size_stats(areas, ["car"] * 24)
    assert stats["car"] == LabelSizeStats(math.log(0.01), 0.0, 20)
    assert label_size_stats([], []) == {}
    assert label_size_stats([0.0], ["car"], min_count=1) == {}


def test_lengths_must_match():
    with pytest.raises(ValueError, match="2 areas but 1 labels"):
        label_size_stats([0.1, 0.2], ["car"])


def test_round_trip_through_json():
    stats = LabelSizeStats(median_log_area=-4.2, mad_log_area=0.35, count=812)
    assert LabelSizeStats.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats


def test_robust_z_is_the_modified_z_score_with_a_floored_mad():
    # Iglewicz and Hoaglin's M = 0.6745 (x - median) / MAD.
    assert robust_z([-1.0], -3.0, 1.0)[0] == pytest.approx(0.6745 * 2.0)
    assert robust_z([-3.5], -3.0, 0.5)[0] == pytest.approx(-0.6745)
    # A label whose boxes all share one size scores against the floor, not against zero.
    assert robust_z([-2.0], -3.0, 0.0)[0] == pytest.approx(MAD_TO_Z / MIN_MAD_LOG_AREA)


def test_learned_stats_feed_the_oversized_rule():
    rng = np.random.default_rng(5)
    # Project history: cars cover ~0.5% of their images, persons ~2%; area fraction = w*h / (W*H).
    fractions = np.concatenate(
        [rng.lognormal(math.log(0.005), 0.3, 400), rng.lognormal(math.log(0.02), 0.3, 10)]
    )
    labels = ["car"] * 400 + ["person"] * 10
    stats = label_size_stats(fractions, labels)
    assert set(stats) == {"car"}  # too few persons to learn from

    width, height = 800.0, 600.0
    boxes = [
        {"x": 10, "y": 10, "w": 49, "h": 49, "label": "car"},  # 0.5%: typical
        {"x": 100, "y": 100, "w": 250, "h": 200, "label": "car"},  # 10.4%: ~21x the usual car
        {"x": 400, "y": 100, "w": 250, "h": 200, "label": "person"},  # same size, no person stats
    ]
    findings = lint(
        {"boxes": boxes}, kind="bbox", width=width, height=height, labels=["car", "person"], stats=stats
    )
    assert [(f.code, f.boxes) for f in findings] == [("oversized_box", (1,))]
    assert "times the usual area of a 'car' box" in findings[0].message
