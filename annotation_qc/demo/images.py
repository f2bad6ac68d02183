"""Image generators for the demo projects: scikit-learn's bundled digits and scenes of shapes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

SHAPE_LABELS = ["circle", "square", "triangle"]


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def digit_images(
    count: int, *, size: int = 96
) -> tuple[list[bytes], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """PNG renderings of the first ``count`` digits, their 64 pixel features and their true labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = digits.images[:count]
    pngs = []
    for grid in pixels:
        grey = (255 - grid * (255 / 16)).astype(np.uint8)
        pngs.append(png_bytes(Image.fromarray(grey, mode="L").resize((size, size), Image.Resampling.NEAREST)))
    return pngs, digits.data[:count].astype(np.float32), digits.target[:count]


@dataclass(frozen=True)
class Scene:
    png: bytes
    boxes: list[dict[str, Any]]
    width: int
    height: int


def shape_scene(
    rng: np.random.Generator, *, width: int = 480, height: int = 360, max_shapes: int = 5
) -> Scene:
    """A scene of 1..max_shapes non-overlapping shapes with their exact boxes."""
    background = tuple(int(v) for v in rng.integers(200, 246, size=3))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    boxes: list[dict[str, Any]] = []
    taken: list[tuple[int, int, int, int]] = []
    for _ in range(int(rng.integers(1, max_shapes + 1)) * 4):
        if len(boxes) >= max_shapes:
            break
        side = int(rng.integers(40, 110))
        x, y = int(rng.integers(0, width - side)), int(rng.integers(0, height - side))
        if any(
            x < tx + tw + 8 and tx < x + side + 8 and y < ty + th + 8 and ty < y + side + 8
            for tx, ty, tw, th in taken
        ):
            continue
        label = SHAPE_LABELS[int(rng.integers(0, len(SHAPE_LABELS)))]
        colour = tuple(int(v) for v in rng.integers(20, 160, size=3))
        if label == "circle":
            draw.ellipse([x, y, x + side - 1, y + side - 1], fill=colour)
        elif label == "square":
            draw.rectangle([x, y, x + side - 1, y + side - 1], fill=colour)
        else:
            draw.polygon([(x + side / 2, y), (x + side - 1, y + side - 1), (x, y + side - 1)], fill=colour)
        taken.append((x, y, side, side))
        boxes.append({"x": float(x), "y": float(y), "w": float(side), "h": float(side), "label": label})
    return Scene(png=png_bytes(image), boxes=boxes, width=width, height=height)


def noisy_prediction(
    boxes: list[dict[str, Any]], rng: np.random.Generator, *, miss_rate: float = 0.1, width: int, height: int
) -> tuple[list[dict[str, Any]], list[float]]:
    """A plausible detector output: jittered boxes, an occasional miss, with confidence scores."""
    kept: list[dict[str, Any]] = []
    scores: list[float] = []
    for box in boxes:
        if rng.random() < miss_rate:
            continue
        jitter = rng.normal(0, 0.04 * box["w"], size=4)
        x = float(np.clip(box["x"] + jitter[0], 0, width - 2))
        y = float(np.clip(box["y"] + jitter[1], 0, height - 2))
        w = float(np.clip(box["w"] + jitter[2], 2, width - x))
        h = float(np.clip(box["h"] + jitter[3], 2, height - y))
        kept.append(
            {"x": round(x, 2), "y": round(y, 2), "w": round(w, 2), "h": round(h, 2), "label": box["label"]}
        )
        scores.append(round(float(rng.uniform(0.35, 0.99)), 3))
    return kept, scores
