"""The checks on a batch: which items fail which check, with the configured action."""

import math

import numpy as np

from annotation_qc.domain.data_health.config import validate_config
from annotation_qc.domain.data_health.expectations import Batch, Failure, Known, evaluate, feature_problems
from annotation_qc.domain.data_health.hashing import dhash, phash, to_signed
from annotation_qc.domain.data_health.images import EMPTY_STATS, image_stats


def _scene(seed, shape=(60, 80)):
    small = np.random.default_rng(seed).integers(0, 256, size=(6, 8, 3)).astype(np.float64)
    return np.kron(small, np.ones((shape[0] // 6, shape[1] // 8, 1))).astype(np.uint8)


def _batch(images, **extra):
    stats = [image_stats(p) if p is not None else None for p in images]
    return Batch(
        ids=[f"i{k}" for k in range(len(images))],
        stats=stats,
        dhashes=[to_signed(dhash(p)) if p is not None and p.size else None for p in images],
        phashes=[to_signed(phash(p)) if p is not None and p.size else None for p in images],
        **extra,
    )


def _by_check(outcome):
    out = {}
    for f in outcome.failures:
        out.setdefault(f.check, []).append(f.index)
    return out


def test_blank_duplicate_and_size_failures_with_actions():
    scene = _scene(1)
    images = [
        scene,
        np.zeros((60, 80, 3), dtype=np.uint8),  # blank
        np.kron(scene, np.ones((2, 2, 1), dtype=np.uint8)),  # near duplicate of i0 (resized)
        _scene(2),
        np.zeros((0, 0, 3), dtype=np.uint8),  # zero pixels
        _scene(3, shape=(6, 400)),  # aspect ratio 66
    ]
    config = validate_config({"checks": {"near_duplicate": {"max_distance": 4}}})
    outcome = evaluate(_batch(images), config)
    found = _by_check(outcome)
    assert found["blank"] == [1]
    assert found["near_duplicate"] == [2]
    assert found["image_size"] == [4]
    assert found["aspect_ratio"] == [5]
    assert outcome.quarantined.tolist() == [1, 2]
    assert outcome.rejected.tolist() == [4]
    assert outcome.warned.tolist() == [5]
    reasons = {f.check: f.reason for f in outcome.failures}
    assert "'i0' of this import" in reasons["near_duplicate"]
    assert reasons["image_size"] == "image has zero pixels"
    assert outcome.counts()["blank"] == {"quarantine": 1}


def test_duplicates_against_the_project_and_exact_digests():
    scene = _scene(7)
    batch = _batch([scene, _scene(8)], digests=["abc", "def"])
    known = Known(
        ids=["old-1", "old-2"],
        dhashes=[to_signed(dhash(scene)), 0],
        phashes=[to_signed(phash(scene)), 0],
        digests=["zzz", "def"],
    )
    outcome = evaluate(batch, validate_config(None), known)
    reasons = {(f.check, f.index): f.reason for f in outcome.failures}
    assert reasons[("near_duplicate", 0)] == "near duplicate of item 'old-1' already in the project"
    assert reasons[("exact_duplicate", 1)] == "exact duplicate of item 'old-2' already in the project"
    assert ("near_duplicate", 1) not in reasons  # reported once, as exact


def test_disabled_checks_do_not_run_and_undecoded_items_skip_image_checks():
    config = validate_config({"checks": {"blank": {"enabled": False}}})
    outcome = evaluate(_batch([np.zeros((10, 10), dtype=np.uint8), None]), config)
    assert "blank" not in outcome.checks_run
    assert outcome.failures == ()


def test_metadata_expectations():
    config = validate_config(
        {"checks": {"metadata": {"required": {"site": "string", "hour": "integer", "ok": "boolean"}}}}
    )
    batch = Batch(
        ids=["a", "b", "c", "d"],
        stats=[None] * 4,
        metadata=[
            {"site": "x", "hour": 3, "ok": True},
            {"site": 4, "hour": 3.5, "ok": 1},
            {},
            {"site": "y", "hour": True, "ok": False},
        ],
    )
    reasons = {f.index: f.reason for f in evaluate(batch, config).failures}
    assert 0 not in reasons
    assert reasons[1] == "metadata: 'site' is not a string; 'hour' is not a integer; 'ok' is not a boolean"
    assert reasons[2].count("missing") == 3
    assert reasons[3] == "metadata: 'hour' is not a integer"


def test_features_nan_and_dimension():
    reasons = feature_problems([[1.0, 2.0], [math.nan, 1.0], [1.0], None, [math.inf, 0.0]], 2)
    assert sorted(reasons) == [1, 2, 4]
    assert "expected 2 values, got 1" in reasons[2]
    assert feature_problems([[1.0, 2.0, 3.0], [1.0, 2.0]], None) == {1: "features: expected 3 values, got 2"}


def test_prediction_scores_and_probabilities():
    config = validate_config(None)
    batch = Batch(
        ids=["a", "b", "c", "d", "e"],
        stats=[None] * 5,
        scores=[[0.5, 1.0], [1.2], None, [math.nan], None],
        proba=[None, None, [0.3, 0.3], [0.5, 0.5], [0.2, 0.2, 0.6]],
        n_labels=2,
    )
    reasons = {f.index: f.reason for f in evaluate(batch, config).failures}
    assert sorted(reasons) == [1, 2, 3, 4]
    assert reasons[2] == "probabilities must sum to 1 (they sum to 0.6000)"
    assert reasons[3] == "prediction scores must be finite numbers in [0, 1]"
    assert reasons[4] == "expected 2 probabilities, got 3"


def test_empty_stats_fail_size_not_blank():
    batch = Batch(ids=["z"], stats=[EMPTY_STATS])
    checks = {f.check for f in evaluate(batch, validate_config(None)).failures}
    assert checks == {"image_size"}


def test_failure_message_names_the_check_once():
    config = validate_config({"checks": {"metadata": {"required": {"site": "string"}}}})
    outcome = evaluate(Batch(ids=["a"], stats=[None], metadata=[{}]), config)
    (failure,) = [f for f in outcome.failures if f.check == "metadata"]
    assert failure.reason == "metadata: 'site' missing"
    assert failure.message == "metadata: 'site' missing"  # not "metadata: metadata: ..."
    blank = Failure(index=0, check="blank", action="reject", reason="blank or near-constant image")
    assert blank.message == "blank: blank or near-constant image"


def test_prediction_problems_by_field():
    from annotation_qc.domain.data_health.expectations import prediction_field_problems

    found = prediction_field_problems([[0.5], [1.5], None], [None, [0.9, 0.9], [0.5, 0.5]], 2, 1e-3)
    assert found == {
        1: {
            "scores": "prediction scores must be finite numbers in [0, 1]",
            "proba": "probabilities must sum to 1 (they sum to 1.8000)",
        }
    }


def test_image_columns_give_the_failures_of_the_stats_they_hold():
    """The checks read statistics given as columns (what imports pass: no object per image) exactly as
    they read the same statistics given as objects, sizes of unmeasured items included."""
    from annotation_qc.domain.data_health.expectations import ImageColumns

    scene = _scene(11)
    images = [
        scene,
        np.zeros((60, 80, 3), dtype=np.uint8),
        np.kron(scene, np.ones((2, 2, 1), dtype=np.uint8)),
        np.zeros((0, 0, 3), dtype=np.uint8),
        _scene(12, shape=(6, 400)),
        None,
        None,
        np.full((30, 2000, 3), 9, dtype=np.uint8),
    ]
    config = validate_config({"checks": {"image_size": {"max_side": 1000}, "decodes": {"action": "warn"}}})
    as_objects = _batch(
        images,
        sizes=[None, None, None, None, None, (5, 4000), None, None],
        undecodable=[None] * 6 + ["broken", None],
    )
    columns = ImageColumns.of(as_objects.stats)
    assert columns.measured.tolist() == [True] * 5 + [False, False, True]
    assert columns.empty.tolist() == [False, False, False, True] + [False] * 4
    as_columns = Batch(**{**as_objects.__dict__, "stats": columns})
    expected = evaluate(as_objects, config)
    assert {f.check for f in expected.failures} >= {"blank", "image_size", "aspect_ratio", "decodes"}
    assert evaluate(as_columns, config) == expected
