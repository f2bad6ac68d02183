"""Payload builders shared by the linter tests."""

from __future__ import annotations

from typing import Any

import numpy as np

LABELS = ["car", "truck", "person"]
WIDTH, HEIGHT = 1000.0, 500.0


def payload(*boxes: tuple[float, float, float, float, str]) -> dict[str, Any]:
    return {"boxes": [{"x": x, "y": y, "w": w, "h": h, "label": label} for x, y, w, h, label in boxes]}


def clean_boxes(count: int = 50, seed: int = 0) -> list[tuple[float, float, float, float, str]]:
    """``count`` well-separated, normal-size boxes: one per cell of a 10-wide grid of 100x100
    cells on the 1000x500 image (jittered, 30-70 px a side), labels cycling through LABELS."""
    rng = np.random.default_rng(seed)
    cells = np.arange(count)
    sizes = rng.uniform(30, 70, (count, 2))
    offsets = rng.uniform(0, 1, (count, 2)) * (95 - sizes)
    x = (cells % 10) * 100 + 2 + offsets[:, 0]
    y = (cells // 10) * 100 + 2 + offsets[:, 1]
    return [
        (float(a), float(b), float(w), float(h), LABELS[i % len(LABELS)])
        for i, (a, b, w, h) in enumerate(zip(x, y, sizes[:, 0], sizes[:, 1], strict=True))
    ]
