"""Statistics of one decoded image, as numbers that checks, outlier detection and drift tests use.

Images arrive as uint8 arrays (H x W grey or H x W x C colour). All figures are on a 0-1 scale except
the sharpness (variance of the 4-neighbour Laplacian of the grey image in 0-255 units) and the aspect
ratio (width / height). An image with zero pixels gives :data:`EMPTY_STATS` (``empty=True``), never an
error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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


def resize_area_batch(grey: NDArray[Any], height: int, width: int) -> NDArray[np.floating[Any]]:
    """:func:`resize_area` over axes 1 and 2 of an N x H x W (x C) stack: area average where a side
    shrinks, nearest where it grows."""
    out = grey
    for axis, target in ((1, height), (2, width)):
        size = out.shape[axis]
        if size < target:
            index = np.floor(np.arange(target) * size / target).astype(np.int64)
            out = np.take(out, index, axis=axis)
            continue
        edges = np.floor(np.linspace(0, size, target + 1)).astype(np.int64)
        sums = np.add.reduceat(out, edges[:-1], axis=axis, dtype=np.float64)
        shape = [1] * out.ndim
        shape[axis] = target
        out = sums / np.diff(edges).astype(np.float64).reshape(shape)
    return out.astype(np.float64, copy=False)


def _area_matrix(size: int, target: int) -> NDArray[np.float32]:
    """``target`` x ``size`` weights of :func:`resize_area` along one axis (area average, or nearest)."""
    matrix = np.zeros((target, size), dtype=np.float32)
    if size >= target:
        edges = np.floor(np.linspace(0, size, target + 1)).astype(np.int64)
        owner = np.repeat(np.arange(target), np.diff(edges))
        matrix[owner, np.arange(size)] = (1.0 / np.diff(edges))[owner]
    else:
        matrix[np.arange(target), np.floor(np.arange(target) * size / target).astype(np.int64)] = 1.0
    return matrix


def reduce_images(images: Sequence[NDArray[np.uint8]], side: int) -> NDArray[np.uint8]:
    """N decoded H x W x 3 uint8 images (any sizes, none empty) to one N x side x side x 3 uint8 stack.

    The same area average as :func:`resize_area`, written as two matrix products per distinct image
    size (``A_h @ image @ A_w.T`` over the whole group), so a batch of equal-size images costs a few
    array operations however many there are.
    """
    out = np.empty((len(images), side, side, 3), dtype=np.uint8)
    groups: dict[tuple[int, ...], list[int]] = {}
    for index, image in enumerate(images):
        groups.setdefault(image.shape, []).append(index)
    for shape, members in groups.items():
        stack = np.stack([images[i] for i in members]) if len(members) > 1 else images[members[0]][None]
        if shape[0] == side and shape[1] == side:
            out[members] = stack
            continue
        n, height, width = len(members), shape[0], shape[1]
        rows = np.matmul(_area_matrix(height, side), stack.reshape(n, height, width * 3).astype(np.float32))
        cols = np.matmul(rows.reshape(n, side, width, 3).transpose(0, 1, 3, 2), _area_matrix(width, side).T)
        out[members] = np.clip(np.rint(cols.transpose(0, 1, 3, 2)), 0, 255).astype(np.uint8)
    return out


def batch_grey(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The grey levels (0-255) of an N x H x W x 3 stack (float64, as :func:`grey_of`, so hashes agree)."""
    grey: NDArray[np.float64] = pixels.astype(np.float64) @ _LUMA
    return grey


@dataclass(frozen=True)
class StatsTable:
    """The statistics of n images as columns, one row per image (no object per image): what
    :func:`batch_stats` gives as :class:`ImageStats`. The histogram is kept as pixel counts (``counts``,
    n x 3 * HIST_BINS, out of ``pixels`` per image): its shares are ``counts / pixels``."""

    widths: NDArray[np.int64]
    heights: NDArray[np.int64]
    brightness: NDArray[np.float64]
    contrast: NDArray[np.float64]
    sharpness: NDArray[np.float64]
    saturation: NDArray[np.float64]
    counts: NDArray[np.int64]
    pixels: int

    def __len__(self) -> int:
        return int(self.widths.shape[0])

    def histogram(self) -> NDArray[np.float64]:
        hist: NDArray[np.float64] = self.counts / self.pixels
        return hist

    def rows(self) -> list[ImageStats]:
        """One :class:`ImageStats` per row."""
        columns = zip(
            self.widths.tolist(),
            self.heights.tolist(),
            self.brightness.tolist(),
            self.contrast.tolist(),
            self.sharpness.tolist(),
            self.saturation.tolist(),
            self.histogram().tolist(),
            strict=True,
        )
        return [
            ImageStats(
                width=w, height=h, brightness=b, contrast=c, sharpness=s, saturation=sat, histogram=tuple(hi)
            )
            for w, h, b, c, s, sat, hi in columns
        ]


def batch_table(
    pixels: NDArray[np.uint8],
    widths: NDArray[np.int64],
    heights: NDArray[np.int64],
    grey: NDArray[np.float64] | None = None,
) -> StatsTable:
    """Statistics of N images given as one N x S x S x 3 uint8 stack of equal-size reductions.

    The import reduces every image to the same small square (area average) so that a batch is measured
    with a handful of array operations; brightness, contrast, saturation and the histogram barely change
    under that reduction, and the sharpness is the Laplacian variance at that common scale. ``widths``
    and ``heights`` are the images' real sizes.
    """
    n = int(pixels.shape[0])
    pixels_per_image = int(pixels.shape[1] * pixels.shape[2]) if pixels.ndim == 4 else 0
    if n == 0:
        none = np.zeros(0)
        return StatsTable(
            widths=np.zeros(0, dtype=np.int64),
            heights=np.zeros(0, dtype=np.int64),
            brightness=none,
            contrast=none,
            sharpness=none,
            saturation=none,
            counts=np.zeros((0, 3 * HIST_BINS), dtype=np.int64),
            pixels=max(pixels_per_image, 1),
        )
    grey = batch_grey(pixels) if grey is None else grey
    flat_grey = grey.reshape(n, -1)
    brightness = flat_grey.mean(axis=1, dtype=np.float64) / 255.0
    contrast = flat_grey.std(axis=1, dtype=np.float64) / 255.0
    if grey.shape[1] >= 3 and grey.shape[2] >= 3:
        lap = (
            grey[:, :-2, 1:-1]
            + grey[:, 2:, 1:-1]
            + grey[:, 1:-1, :-2]
            + grey[:, 1:-1, 2:]
            - 4 * grey[:, 1:-1, 1:-1]
        )
        sharpness = lap.reshape(n, -1).var(axis=1, dtype=np.float64)
    else:
        sharpness = np.zeros(n)
    flat = pixels.reshape(n, -1, 3)
    red, green, blue = (
        flat[:, :, 0],
        flat[:, :, 1],
        flat[:, :, 2],
    )  # element-wise: max over an axis of 3 is slow
    top = np.maximum(np.maximum(red, green), blue).astype(np.float32)
    spread = top - np.minimum(np.minimum(red, green), blue)
    saturation = (spread / np.maximum(top, 1.0)).mean(axis=1, dtype=np.float64)
    # One key per pixel for the joint 8 x 8 x 8 colour histogram (8 bins of 32 levels per channel), whose
    # marginals are the three channel histograms: a third of the keys of counting each channel apart.
    # The keys are built in int32 from the channels' top 3 bits (shifts and ors, no multiplications).
    bins = HIST_BINS**3
    keys = (red >> 5).astype(np.int32) << 6
    keys |= (green >> 5).astype(np.int32) << 3
    keys |= blue >> 5
    keys += (np.arange(n, dtype=np.int32) * bins)[:, None]
    joint = np.bincount(keys.ravel(), minlength=n * bins).reshape(n, HIST_BINS, HIST_BINS, HIST_BINS)
    counts = np.concatenate([joint.sum(axis=(2, 3)), joint.sum(axis=(1, 3)), joint.sum(axis=(1, 2))], axis=1)
    return StatsTable(
        widths=np.asarray(widths, dtype=np.int64),
        heights=np.asarray(heights, dtype=np.int64),
        brightness=brightness,
        contrast=contrast,
        sharpness=sharpness,
        saturation=saturation,
        counts=counts.astype(np.int64, copy=False),
        pixels=int(flat.shape[1]),
    )


def batch_stats(
    pixels: NDArray[np.uint8],
    widths: NDArray[np.int64],
    heights: NDArray[np.int64],
    grey: NDArray[np.float64] | None = None,
) -> list[ImageStats]:
    """:func:`batch_table` as one :class:`ImageStats` per image."""
    return batch_table(pixels, widths, heights, grey).rows()
