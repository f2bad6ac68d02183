"""Measure images at import: statistics, perceptual hashes and file digest, a batch at a time.

The import decodes each image once (``exchange.services.images.decode_image``) and hands its pixels to
:class:`Measurer`, which collects them and measures a batch together with the vectorised domain functions:
every image reduced to ``MEASURE_SIDE`` x ``MEASURE_SIDE`` by area averaging (one array operation per
distinct image size), then the statistics and both hashes of the whole stack. The statistics are of the
reduced image, with the real width and height. An image that does not decode is recorded with its digest
only (``stats`` None), for the ``decodes`` check.
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
from annotation_qc.domain.data_health.images import (
    EMPTY_STATS,
    ImageStats,
    batch_grey,
    batch_stats,
    reduce_images,
)

MEASURE_SIDE = 32
#: Reductions held before they are measured together.
BATCH = 256


@dataclass(frozen=True)
class Measurement:
    #: None: the image did not decode (``undecodable`` says why).
    stats: ImageStats | None
    dhash: int | None
    phash: int | None
    digest: str
    undecodable: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "stats": self.stats.to_dict() if self.stats is not None else {},
            "dhash": self.dhash,
            "phash": self.phash,
            "digest": self.digest,
        }


def _decode(content: bytes) -> np.ndarray[Any, Any] | None:
    """Pixels of an image given only as bytes (one-off use); None if it does not decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(content)) as image:
                image.draft("RGB", (MEASURE_SIDE * 4, MEASURE_SIDE * 4))
                rgb = image if image.mode == "RGB" else image.convert("RGB")
                return np.asarray(rgb, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError):
        return None


class Measurer:
    """Collects decoded images by key and measures them a batch at a time into ``results``.

    Reductions that are already ``MEASURE_SIDE`` x ``MEASURE_SIDE`` RGB Pillow images (the import's, see
    :meth:`add_reduced`) are pasted into one tall image per batch, whose pixels are read at once: one
    array conversion per batch instead of one per image."""

    def __init__(self, batch: int = BATCH) -> None:
        self.batch = batch
        self.results: dict[str, Measurement] = {}
        self._keys: list[str] = []
        self._pixels: list[np.ndarray[Any, Any]] = []
        self._sizes: list[tuple[int, int]] = []
        self._digests: list[str] = []
        # The pasted reductions: their keys, real sizes and digests, in the order of their slots.
        self._mosaic: Image.Image | None = None
        self._tiles: list[tuple[str, tuple[int, int], str]] = []

    def add_reduced(self, key: str, content: bytes, reduced: Image.Image, size: tuple[int, int]) -> None:
        """An image's file and its reduction (a Pillow image); ``size`` is the real width and height."""
        if reduced.size != (MEASURE_SIDE, MEASURE_SIDE) or reduced.mode != "RGB" or 0 in size:
            self.add(key, content, np.asarray(reduced.convert("RGB"), dtype=np.uint8), size)
            return
        if self._mosaic is None:
            self._mosaic = Image.new("RGB", (MEASURE_SIDE, MEASURE_SIDE * self.batch))
        self._mosaic.paste(reduced, (0, MEASURE_SIDE * len(self._tiles)))
        self._tiles.append((key, size, hashlib.sha256(content).hexdigest()))
        if len(self._tiles) >= self.batch:
            self.flush()

    def add(
        self,
        key: str,
        content: bytes,
        pixels: np.ndarray[Any, Any] | None = None,
        size: tuple[int, int] | None = None,
    ) -> None:
        """An image's file and its decoded pixels (H x W x 3 uint8, possibly shrunk; ``size`` is the real
        width and height). Without pixels the content is decoded here."""
        if pixels is None:
            pixels = _decode(content)
            if pixels is None:
                self.add_undecodable(key, content, "does not decode")
                return
        digest = hashlib.sha256(content).hexdigest()
        height, width = int(pixels.shape[0]), int(pixels.shape[1])
        if size is None:
            size = (width, height)
        if width == 0 or height == 0 or size[0] == 0 or size[1] == 0:  # zero pixels: fails the size check
            self.results[key] = Measurement(stats=EMPTY_STATS, dhash=None, phash=None, digest=digest)
            return
        self._keys.append(key)
        self._pixels.append(pixels)
        self._sizes.append(size)
        self._digests.append(digest)
        if len(self._keys) >= self.batch:
            self.flush()

    def add_undecodable(self, key: str, content: bytes, reason: str) -> None:
        digest = hashlib.sha256(content).hexdigest()
        self.results[key] = Measurement(stats=None, dhash=None, phash=None, digest=digest, undecodable=reason)

    def flush(self) -> dict[str, Measurement]:
        if self._tiles:
            assert self._mosaic is not None
            count = len(self._tiles)
            side = MEASURE_SIDE
            tall = np.asarray(self._mosaic, dtype=np.uint8)[: side * count]
            keys, sizes, digests = (list(column) for column in zip(*self._tiles, strict=True))
            self._measure(tall.reshape(count, side, side, 3), keys, sizes, digests)
            self._tiles = []
        if self._keys:
            stack = reduce_images(self._pixels, MEASURE_SIDE)
            self._measure(stack, self._keys, self._sizes, self._digests)
            self._keys, self._pixels, self._sizes, self._digests = [], [], [], []
        return self.results

    def _measure(
        self,
        stack: np.ndarray[Any, np.dtype[np.uint8]],
        keys: list[str],
        sizes: list[tuple[int, int]],
        digests: list[str],
    ) -> None:
        real = np.asarray(sizes, dtype=np.int64)
        grey = batch_grey(stack)  # 32 x 32: what the hashes need
        stats = batch_stats(stack, real[:, 0], real[:, 1], grey)
        dhashes = dhash_batch(grey).view(np.int64).tolist()
        phashes = phash_batch(grey).view(np.int64).tolist()
        results = self.results
        for key, stat, dhash, phash, digest in zip(keys, stats, dhashes, phashes, digests, strict=True):
            results[key] = Measurement(stats=stat, dhash=dhash, phash=phash, digest=digest)


def measure_image(content: bytes) -> Measurement:
    """One image (tests and one-off use); imports use :class:`Measurer`."""
    measurer = Measurer(batch=1)
    measurer.add("image", content)
    return measurer.flush()["image"]


__all__ = ["Measurement", "Measurer", "measure_image", "to_signed"]
