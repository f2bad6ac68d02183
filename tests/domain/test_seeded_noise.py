"""Every box of a seeded pre-annotation carries the model's noise, the seeded mistake included."""

from __future__ import annotations

from typing import Any

import numpy as np

from annotation_qc.domain.geometry import boxes_from_payload, iou_matrix
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.seeding import seed_error_detailed
from annotation_qc.domain.seeding_profile import (
    add_model_noise,
    box_count_factors,
    choose_weighted_kind,
    learn_profile,
)

WIDTH, HEIGHT = 640, 480
LABELS = ["car", "person", "bike"]


def _gold(rng: np.random.Generator) -> dict[str, Any]:
    """Integer boxes, as gold sets are usually written."""
    boxes = []
    for _ in range(int(rng.integers(1, 5))):
        w, h = int(rng.integers(40, 160)), int(rng.integers(40, 160))
        x, y = int(rng.integers(0, WIDTH - w)), int(rng.integers(0, HEIGHT - h))
        boxes.append({"x": x, "y": y, "w": w, "h": h, "label": str(rng.choice(LABELS))})
    return {"boxes": boxes}


def _model(gold: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A detector's view of the same objects: 1.5% relative noise, two decimals."""
    boxes, labels = boxes_from_payload(gold["boxes"])
    noisy = boxes * (1 + rng.normal(0, 0.015, size=boxes.shape))
    return {
        "boxes": [
            {"x": round(x, 2), "y": round(y, 2), "w": round(w, 2), "h": round(h, 2), "label": label}
            for (x, y, w, h), label in zip(noisy.tolist(), labels, strict=True)
        ]
    }


def _integral_share(payloads: list[dict[str, Any]]) -> float:
    values = np.array([b[k] for p in payloads for b in p["boxes"] for k in ("x", "y", "w", "h")], dtype=float)
    return float(np.mean(values == np.round(values)))


def test_seeded_boxes_have_the_models_precision_and_the_mistake_stays_a_mistake() -> None:
    rng = np.random.default_rng(7)
    seeded_payloads, model_payloads = [], []
    for index in range(600):
        gold = _gold(rng)
        kind = ("shift", "oversize", "drop", "relabel", "spurious")[index % 5]
        seeded = seed_error_detailed(gold, kind, width=WIDTH, height=HEIGHT, labels=LABELS, rng=rng)
        noisy = add_model_noise(
            seeded.payload, gold, jitter=0.015, decimals=2, width=WIDTH, height=HEIGHT, min_iou=0.5, rng=rng
        )
        seeded_payloads.append(noisy)
        model_payloads.append(_model(gold, rng))
        # Noise never repairs the mistake nor moves any box across the bands that define it.
        assert not score_submission(gold, noisy).fixed, (kind, gold, noisy)
        gold_boxes, _ = boxes_from_payload(gold["boxes"])
        before = iou_matrix(boxes_from_payload(seeded.payload["boxes"])[0], gold_boxes)
        after = iou_matrix(boxes_from_payload(noisy["boxes"])[0], gold_boxes)
        for band in (0.3, 0.6):
            assert np.array_equal(before.max(axis=1) > band, after.max(axis=1) > band)
    # Left exact, a shifted box kept the gold's integer width and height: 2 coordinates in 4.
    shifted = [p for i, p in enumerate(seeded_payloads) if i % 5 == 0]
    assert _integral_share(shifted) < 0.03
    assert abs(_integral_share(seeded_payloads) - _integral_share(model_payloads)) < 0.01


def _detector(gold: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A detector that misses 8% of objects and adds a spurious box to 8% of images."""
    kept = [b for b in gold["boxes"] if rng.random() >= 0.08]
    if rng.random() < 0.08:
        kept.append({"x": 500.5, "y": 20.25, "w": 60.0, "h": 80.75, "label": "car"})
    return {"boxes": kept}


def _count_shares(payloads: list[dict[str, Any]]) -> np.ndarray:
    return np.bincount([len(p["boxes"]) for p in payloads], minlength=8)[:8] / len(payloads)


def test_benchmarks_hold_as_many_boxes_as_the_models_pre_annotations() -> None:
    """Seeded at equal weights, a drop empties one-box answers (4.5% of benchmarks empty, 2% of the
    model's) and a spurious box makes four-box answers five; with the count factors the tails follow
    the model's.

    (The middle of the distribution follows the gold set's: the model also misses objects that gold
    holds, and benchmarks carry one seeded mistake, not the model's own misses on top.)"""
    rng = np.random.default_rng(3)
    golds = [_gold(rng) for _ in range(400)]
    predictions = [_detector(_gold(rng), rng) for _ in range(400)]
    profile = learn_profile([], predictions, gold=golds)
    kinds = ("shift", "oversize", "drop", "relabel", "spurious")

    served_kinds: dict[bool, dict[str, int]] = {}

    def benchmarks(matched: bool) -> list[dict[str, Any]]:
        served: dict[str, int] = {}
        served_kinds[matched] = served
        out = []
        for gold in golds * 3:
            factors = box_count_factors(profile, len(gold["boxes"]), kinds) if matched else None
            kind = choose_weighted_kind(list(kinds), profile.weights, served, rng, factors)
            assert kind is not None
            served[kind] = served.get(kind, 0) + 1
            out.append(
                seed_error_detailed(gold, kind, width=WIDTH, height=HEIGHT, labels=LABELS, rng=rng).payload
            )
        return out

    model = _count_shares(predictions)
    naive, matched = _count_shares(benchmarks(False)), _count_shares(benchmarks(True))
    # An empty pre-annotation or one with more boxes than the gold set ever holds: the tails a
    # drop or a spurious box made twice (and more) as common on benchmarks as the model makes them.
    tails = [0, 5]
    assert np.abs(naive[tails] - model[tails]).max() > 0.02
    assert np.abs(matched[tails] - model[tails]).max() < 0.012
    assert np.abs(matched - model).sum() < np.abs(naive - model).sum()
    # ... while each annotator still gets every kind equally often.
    assert max(served_kinds[True].values()) - min(served_kinds[True].values()) <= 2


def test_wrong_and_spurious_labels_follow_the_models_label_mix() -> None:
    """A model that says "car" 80% of the time: a seeded wrong or spurious label drawn uniformly
    from the label set would say it a third of the time, a tell; drawn from the model's mix it does not."""
    rng = np.random.default_rng(11)
    mix = {"car": 0.8, "person": 0.15, "bike": 0.05}
    predictions = [{"label": str(rng.choice(list(mix), p=list(mix.values())))} for _ in range(300)]
    profile = learn_profile([], predictions, bbox=False)
    assert abs(profile.label_shares["car"] - 0.8) < 0.06

    def shown(shares: dict[str, float] | None) -> float:
        labels = []
        for _ in range(1500):
            gold = {"label": str(rng.choice(list(mix), p=list(mix.values())))}
            seeded = seed_error_detailed(
                gold, "relabel", width=WIDTH, height=HEIGHT, labels=LABELS, rng=rng, label_shares=shares
            )
            labels.append(seeded.payload["label"])
        return labels.count("car") / len(labels)

    # Drawn uniformly among the other labels, "car" shows on 20% of benchmarks (a model showing it on 80%).
    assert shown(None) < 0.3
    # From the model's mix, "car" is the wrong label of every benchmark whose gold is not a car
    # (relabelling a car must pick another label): closer to what the model shows.
    weighted = shown(profile.label_shares)
    assert weighted > shown(None) + 0.05

    boxes_gold = {"boxes": [{"x": 10, "y": 10, "w": 50, "h": 50, "label": "car"}]}
    spurious = [
        seed_error_detailed(
            boxes_gold,
            "spurious",
            width=WIDTH,
            height=HEIGHT,
            labels=LABELS,
            rng=rng,
            label_shares=profile.label_shares,
        )
        for _ in range(600)
    ]
    share_car = np.mean([seeded.label == "car" for seeded in spurious])
    assert abs(share_car - profile.label_shares["car"]) < 0.06


def _shifted(box: dict[str, Any], target_iou: float) -> dict[str, Any]:
    """``box`` moved right so its IoU with the original is ``target_iou``."""
    keep = 2 * target_iou / (1 + target_iou)
    return {**box, "x": box["x"] + (1 - keep) * box["w"]}


def test_shift_sizes_are_learned_from_how_annotators_moved_the_models_boxes() -> None:
    """A model whose misplaced boxes overlap their object at IoU 0.50-0.56: seeded shifts land there,
    not anywhere in the default 0.35-0.55."""
    rng = np.random.default_rng(5)
    corrections = []
    for _ in range(40):
        truth = _gold(rng)
        pre = {"boxes": [_shifted(truth["boxes"][0], float(rng.uniform(0.50, 0.56))), *truth["boxes"][1:]]}
        corrections.append((pre, truth))
    profile = learn_profile(corrections, [_model(_gold(rng), rng) for _ in range(40)])
    low, high = profile.iou_ranges["shift"]
    assert 0.49 <= low < high <= 0.57
    assert "oversize" not in profile.iou_ranges  # never seen: the defaults stay
    assert learn_profile([], []).iou_ranges == {}

    def own_iou(ranges: Any) -> np.ndarray:
        out = []
        for _ in range(300):
            gold = {"boxes": [{"x": 200, "y": 150, "w": 120, "h": 100, "label": "car"}]}
            seeded = seed_error_detailed(
                gold, "shift", width=WIDTH, height=HEIGHT, labels=LABELS, rng=rng, iou_ranges=ranges
            )
            moved = boxes_from_payload(seeded.payload["boxes"])[0]
            out.append(iou_matrix(moved, boxes_from_payload(gold["boxes"])[0])[0, 0])
        return np.array(out)

    learned, default = own_iou(profile.iou_ranges), own_iou(None)
    assert np.quantile(learned, 0.05) > low - 0.02
    assert np.quantile(learned, 0.95) < high + 0.02
    assert np.quantile(default, 0.1) < 0.42  # the default spreads over the whole band
