"""Measure images at import: statistics, perceptual hashes and file digest, a batch at a time.

Each image is decoded once with Pillow and reduced (antialiased bilinear, in C) to ``MEASURE_SIDE`` x
``MEASURE_SIDE``; :class:`Measurer` collects the reductions and measures them together with the
vectorised domain functions (a few array operations per batch rather than per image). The statistics
are of the reduced image, with the real width and height.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from annotation_qc.domain.data_health.hashing import dhash_batch, phash_batch, to_signed
from annotation_qc.domain.data_health.images import EMPTY_STATS, ImageStats, batch_grey, batch_stats

MEASURE_SIDE = 32
#: Reductions held before they are measured together.
BATCH = 256


@dataclass(frozen=True)
class Measurement:
    stats: ImageStats
    dhash: int | None
    phash: int | None
    digest: str

    def row(self) -> dict[str, Any]:
        return {
            "stats": self.stats.to_dict(),
            "dhash": self.dhash,
            "phash": self.phash,
            "digest": self.digest,
        }


def _reduce(content: bytes) -> tuple[np.ndarray[Any, Any], int, int] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(content)) as image:
                image.draft("RGB", (MEASURE_SIDE * 2, MEASURE_SIDE * 2))
                width, height = image.size
                if width == 0 or height == 0:
                    return None
                rgb = image if image.mode == "RGB" else image.convert("RGB")
                small = rgb.resize((MEASURE_SIDE, MEASURE_SIDE), Image.Resampling.BILINEAR)
                return np.asarray(small, dtype=np.uint8), width, height
    except (OSError, ValueError, SyntaxError):
        return None


class Measurer:
    """Collects images by key and measures them a batch at a time into ``results``."""

    def __init__(self, batch: int = BATCH) -> None:
        self.batch = batch
        self.results: dict[str, Measurement] = {}
        self._keys: list[str] = []
        self._pixels: list[np.ndarray[Any, Any]] = []
        self._sizes: list[tuple[int, int]] = []
        self._digests: list[str] = []

    def add(self, key: str, content: bytes) -> None:
        digest = hashlib.sha256(content).hexdigest()
        reduced = _reduce(content)
        if reduced is None:  # decodes to nothing: an empty image (fails the size check)
            self.results[key] = Measurement(stats=EMPTY_STATS, dhash=None, phash=None, digest=digest)
            return
        pixels, width, height = reduced
        self._keys.append(key)
        self._pixels.append(pixels)
        self._sizes.append((width, height))
        self._digests.append(digest)
        if len(self._keys) >= self.batch:
            self.flush()

    def flush(self) -> dict[str, Measurement]:
        if self._keys:
            stack = np.stack(self._pixels)
            sizes = np.asarray(self._sizes, dtype=np.int64)
            grey = batch_grey(stack)  # 32 x 32: what the hashes need
            stats = batch_stats(stack, sizes[:, 0], sizes[:, 1], grey)
            dhashes = dhash_batch(grey).view(np.int64).tolist()
            phashes = phash_batch(grey).view(np.int64).tolist()
            for i, key in enumerate(self._keys):
                self.results[key] = Measurement(
                    stats=stats[i], dhash=int(dhashes[i]), phash=int(phashes[i]), digest=self._digests[i]
                )
            self._keys, self._pixels, self._sizes, self._digests = [], [], [], []
        return self.results


def measure_image(content: bytes) -> Measurement:
    """One image (tests and one-off use); imports use :class:`Measurer`."""
    measurer = Measurer(batch=1)
    measurer.add("image", content)
    return measurer.flush()["image"]


__all__ = ["Measurement", "Measurer", "measure_image", "to_signed"]
