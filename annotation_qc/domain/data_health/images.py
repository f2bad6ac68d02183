"""Statistics of one decoded image, as numbers that checks, outlier detection and drift tests use.

Images arrive as uint8 arrays (H x W grey or H x W x C colour). All figures are on a 0-1 scale except
the sharpness (variance of the 4-neighbour Laplacian of the grey image in 0-255 units) and the aspect
ratio (width / height). An image with zero pixels gives :data:`EMPTY_STATS` (``empty=True``), never an
error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

#: Bins per colour channel of the histogram.
HIST_BINS = 8
#: Names of the columns of :func:`stats_matrix`, in order.
STAT_NAMES: tuple[str, ...] = (
    "brightness",
    "contrast",
    "log_sharpness",
    "log_aspect_ratio",
    "saturation",
    *(f"hist_{c}{b}" for c in "rgb" for b in range(HIST_BINS)),
)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)


@dataclass(frozen=True)
class ImageStats:
    width: int
    height: int
    brightness: float
    contrast: float
    sharpness: float
    saturation: float
    #: Share of pixels per channel bin: 3 x HIST_BINS values, each channel summing to 1.
    histogram: tuple[float, ...] = field(default=())
    empty: bool = False

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height if self.height else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "width": self.width,
            "height": self.height,
            "brightness": self.brightness,
            "contrast": self.contrast,
            "sharpness": self.sharpness,
            "saturation": self.saturation,
            "aspect_ratio": self.aspect_ratio,
            "histogram": list(self.histogram),
            "empty": self.empty,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ImageStats:
        hist = data.get("histogram") or ()
        return cls(
            width=int(data.get("width", 0)),  # type: ignore[call-overload]
            height=int(data.get("height", 0)),  # type: ignore[call-overload]
            brightness=float(data.get("brightness", 0.0)),  # type: ignore[arg-type]
            contrast=float(data.get("contrast", 0.0)),  # type: ignore[arg-type]
            sharpness=float(data.get("sharpness", 0.0)),  # type: ignore[arg-type]
            saturation=float(data.get("saturation", 0.0)),  # type: ignore[arg-type]
            histogram=tuple(float(v) for v in hist),  # type: ignore[attr-defined]
            empty=bool(data.get("empty", False)),
        )


EMPTY_STATS = ImageStats(
    width=0,
    height=0,
    brightness=0.0,
    contrast=0.0,
    sharpness=0.0,
    saturation=0.0,
    histogram=(0.0,) * (3 * HIST_BINS),
    empty=True,
)


def as_rgb(pixels: NDArray[np.generic]) -> NDArray[np.float64]:
    """H x W x 3 float64 in 0-255 from grey, grey+alpha, RGB or RGBA uint8 (alpha dropped)."""
    array = np.asarray(pixels)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"expected an H x W or H x W x C array, got {array.ndim} dimensions")
    channels = array.shape[2]
    if channels in (1, 2):
        array = np.repeat(array[:, :, :1], 3, axis=2)
    elif channels >= 3:
        array = array[:, :, :3]
    else:
        raise ValueError("an image needs at least one channel")
    return array.astype(np.float64, copy=False)


def grey_of(rgb: NDArray[np.float64]) -> NDArray[np.float64]:
    grey: NDArray[np.float64] = rgb @ _LUMA
    return grey


def laplacian_variance(grey: NDArray[np.float64]) -> float:
    """Variance of the 4-neighbour Laplacian (0 for images under 3 x 3 pixels)."""
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return 0.0
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4.0 * grey[1:-1, 1:-1]
    return float(lap.var())


def image_stats(pixels: NDArray[np.generic]) -> ImageStats:
    """The statistics of one image (uint8 pixels); an image with no pixels gives :data:`EMPTY_STATS`."""
    rgb = as_rgb(pixels)
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    if height == 0 or width == 0:
        return EMPTY_STATS
    grey = grey_of(rgb)
    flat = rgb.reshape(-1, 3)
    bins = np.clip((flat * (HIST_BINS / 256.0)).astype(np.int64), 0, HIST_BINS - 1)
    offsets = bins + np.arange(3) * HIST_BINS
    hist = np.bincount(offsets.ravel(), minlength=3 * HIST_BINS) / flat.shape[0]
    top, bottom = flat.max(axis=1), flat.min(axis=1)
    saturation = np.where(top > 0, (top - bottom) / np.maximum(top, 1e-12), 0.0)
    return ImageStats(
        width=width,
        height=height,
        brightness=float(grey.mean() / 255.0),
        contrast=float(grey.std() / 255.0),
        sharpness=laplacian_variance(grey),
        saturation=float(saturation.mean()),
        histogram=tuple(float(v) for v in hist),
    )


def stats_vector(stats: ImageStats) -> NDArray[np.float64]:
    """One row of :func:`stats_matrix` (NaN for an empty image)."""
    if stats.empty:
        return np.full(len(STAT_NAMES), np.nan)
    head = [
        stats.brightness,
        stats.contrast,
        float(np.log1p(stats.sharpness)),
        float(np.log(stats.aspect_ratio)) if stats.aspect_ratio > 0 else np.nan,
        stats.saturation,
    ]
    hist = list(stats.histogram) or [np.nan] * (3 * HIST_BINS)
    return np.asarray(head + hist, dtype=np.float64)


def stats_matrix(stats: Sequence[ImageStats]) -> NDArray[np.float64]:
    """n x len(STAT_NAMES): the numeric view of image statistics used for outliers and drift."""
    if not stats:
        return np.zeros((0, len(STAT_NAMES)))
    return np.vstack([stats_vector(s) for s in stats])


def resize_area(grey: NDArray[np.float64], height: int, width: int) -> NDArray[np.float64]:
    """Shrink (area average) or enlarge (nearest) a 2-d array to ``height`` x ``width``."""
    if grey.size == 0:
        return np.zeros((height, width))
    out = grey
    for axis, target in ((0, height), (1, width)):
        size = out.shape[axis]
        if size >= target:
            edges = np.floor(np.linspace(0, size, target + 1)).astype(np.int64)
            sums = np.add.reduceat(out, edges[:-1], axis=axis)
            counts = np.diff(edges).astype(np.float64)
            shape = [1, 1]
            shape[axis] = target
            out = sums / counts.reshape(shape)
        else:
            index = np.floor(np.arange(target) * size / target).astype(np.int64)
            out = np.take(out, index, axis=axis)
    return out
