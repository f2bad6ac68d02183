"""Decode an image once at import and measure it: statistics, perceptual hashes and file digest."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from annotation_qc.domain.data_health.hashing import dhash, phash, to_signed
from annotation_qc.domain.data_health.images import EMPTY_STATS, ImageStats, image_stats

#: Images are measured at most this many pixels on a side (JPEGs decoded reduced), so that a large
#: photograph costs about what a small one does; the statistics are of the reduced image.
MEASURE_SIDE = 256


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


def measure_image(content: bytes) -> Measurement:
    """Statistics and hashes of an image already checked by exchange.services.images.inspect_image."""
    digest = hashlib.sha256(content).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(content)) as image:
                image.draft("RGB", (MEASURE_SIDE, MEASURE_SIDE))
                width, height = image.size
                rgb = image.convert("RGB")
                rgb.thumbnail((MEASURE_SIDE, MEASURE_SIDE))
                pixels = np.asarray(rgb)
    except (OSError, ValueError, SyntaxError):
        return Measurement(stats=EMPTY_STATS, dhash=None, phash=None, digest=digest)
    if pixels.size == 0:
        return Measurement(stats=EMPTY_STATS, dhash=None, phash=None, digest=digest)
    stats = image_stats(pixels)
    # The statistics of the reduced image, with the size of the real one.
    stats = replace(stats, width=width, height=height)
    return Measurement(
        stats=stats, dhash=to_signed(dhash(pixels)), phash=to_signed(phash(pixels)), digest=digest
    )
