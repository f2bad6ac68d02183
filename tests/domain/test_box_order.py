"""A benchmark's boxes come in the order the project's model writes them (learned from its predictions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from annotation_qc.domain.seeding import seed_error_detailed
from annotation_qc.domain.seeding_profile import add_model_noise, learn_profile, order_boxes


def _prediction(rng: np.random.Generator, order: str) -> dict[str, Any]:
    boxes = []
    for _ in range(int(rng.integers(2, 6))):
        w, h = float(rng.uniform(20, 150)), float(rng.uniform(20, 150))
        boxes.append(
            {
                "x": round(float(rng.uniform(0, 600 - w)), 2),
                "y": round(float(rng.uniform(0, 400 - h)), 2),
                "w": round(w, 2),
                "h": round(h, 2),
                "label": "car",
            }
        )
    if order == "x":
        boxes.sort(key=lambda b: b["x"])
    elif order == "area_desc":
        boxes.sort(key=lambda b: -b["w"] * b["h"])
    return {"boxes": boxes}


def _sorted_by(payload: dict[str, Any], key: Any) -> bool:
    values = [key(b) for b in payload["boxes"]]
    return values == sorted(values)


def test_the_order_is_learned_from_predictions() -> None:
    rng = np.random.default_rng(0)
    for order in ("x", "area_desc", "given"):
        predictions = [_prediction(rng, order) for _ in range(40)]
        assert learn_profile([], predictions).box_order == order
    # Too few predictions with two or more boxes to tell: no order is assumed.
    assert learn_profile([], [_prediction(rng, "x") for _ in range(5)]).box_order == "given"


def test_seeded_boxes_are_sorted_like_the_model_sorts_them() -> None:
    gold = {
        "boxes": [
            {"x": 400, "y": 40, "w": 120, "h": 100, "label": "car"},
            {"x": 20, "y": 300, "w": 60, "h": 50, "label": "car"},
            {"x": 200, "y": 150, "w": 90, "h": 140, "label": "car"},
        ]
    }
    unsorted = 0
    for seed in range(30):
        draw = np.random.default_rng(seed)
        seeded = seed_error_detailed(gold, "shift", width=640, height=480, labels=["car"], rng=draw)
        noisy = add_model_noise(
            seeded.payload, gold, jitter=0.01, decimals=2, width=640, height=480, min_iou=0.5, rng=draw
        )
        unsorted += not _sorted_by(noisy, lambda b: b["x"])
        assert _sorted_by(order_boxes(noisy, "x"), lambda b: b["x"])
        assert _sorted_by(order_boxes(noisy, "area_desc"), lambda b: -b["w"] * b["h"])
        assert order_boxes(noisy, "given") == noisy
    assert unsorted > 0  # left to itself seeding shuffles: the order has to be imposed
