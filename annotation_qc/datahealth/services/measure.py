"""Measure images at import: statistics, perceptual hashes and file digest, a batch at a time.

The import decodes each image once (``exchange.services.images.decode_image``) and hands its pixels to
:class:`Measurer`, which collects them and measures a batch together with the vectorised domain functions:
every image reduced to ``MEASURE_SIDE`` x ``MEASURE_SIDE`` by area averaging (one array operation per
distinct image size), then the statistics and both hashes of the whole stack. The statistics are of the
reduced image, with the real width and height. An image that does not decode is recorded with its digest
only (no statistics), for the ``decodes`` check.

The measurements are kept as columns (:class:`Measured`: one array per figure, one row per image), not as
an object per image: the checks read the columns, and the ``ItemHealth`` rows' statistics are written as
JSON straight from them (:meth:`Measured.stats_json`, the same text as ``json.dumps`` of
:meth:`ImageStats.to_dict`).
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from annotation_qc.domain.data_health.expectations import ImageColumns
from annotation_qc.domain.data_health.hashing import dhash_batch, phash_batch, to_signed
from annotation_qc.domain.data_health.images import (
    EMPTY_STATS,
    HIST_BINS,
    ImageStats,
    StatsTable,
    batch_grey,
    batch_table,
    reduce_images,
)

MEASURE_SIDE = 32
#: Version of the measurement, stored with every item's statistics (``ItemHealth.measure_version``); drift
#: compares image statistics only between items of one version. Raise it whenever a change moves the
#: figures (the decode scale, the reduction, a statistic's formula).
#:
#: 1. JPEGs decoded at the smallest DCT scale keeping both sides at least 64 (1/4 for a 640 x 480 photo).
#:    Rows of that time were stored without a version (null).
#: 2. JPEGs decoded at the smallest scale keeping both sides at least ``MEASURE_SIDE`` (1/8 for a
#:    640 x 480 photo): the sharpness of such a photo about 8% lower than version 1's.
MEASURE_VERSION = 2
#: Reductions held before they are measured together.
BATCH = 256


@dataclass(frozen=True)
class Measurement:
    """One image's measurement (:meth:`Measured.get`; imports read the columns instead)."""

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


def _empty_table(pixels: int = MEASURE_SIDE * MEASURE_SIDE, n: int = 0) -> StatsTable:
    zeros = np.zeros(n)
    return StatsTable(
        widths=np.zeros(n, dtype=np.int64),
        heights=np.zeros(n, dtype=np.int64),
        brightness=zeros,
        contrast=zeros.copy(),
        sharpness=zeros.copy(),
        saturation=zeros.copy(),
        counts=np.zeros((n, 3 * HIST_BINS), dtype=np.int64),
        pixels=pixels,
    )


def _same(a: NDArray[Any], b: NDArray[Any]) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))


@dataclass(frozen=True, eq=False)
class Measured:
    """The measurements of some images as columns: row ``i`` is image ``keys[i]``.

    ``stats`` holds every row (zeros where there are none); ``measured`` says which rows have statistics
    (the image decoded), ``empty`` which of those are of an image with zero pixels (:data:`EMPTY_STATS`),
    ``hashed`` which have the two hashes (signed 64-bit, as stored)."""

    keys: list[str]
    stats: StatsTable
    measured: NDArray[np.bool_]
    empty: NDArray[np.bool_]
    hashed: NDArray[np.bool_]
    dhash: NDArray[np.int64]
    phash: NDArray[np.int64]
    digests: list[str]
    undecodable: list[str | None]

    @classmethod
    def none(cls) -> Measured:
        no = np.zeros(0, dtype=bool)
        return cls(
            keys=[],
            stats=_empty_table(),
            measured=no,
            empty=no.copy(),
            hashed=no.copy(),
            dhash=np.zeros(0, dtype=np.int64),
            phash=np.zeros(0, dtype=np.int64),
            digests=[],
            undecodable=[],
        )

    @classmethod
    def concatenate(cls, parts: Sequence[Measured]) -> Measured:
        if not parts:
            return cls.none()
        if len(parts) == 1:
            return parts[0]
        pixels = {p.stats.pixels for p in parts if p.measured.any() and not p.empty.all()}
        if len(pixels) > 1:
            raise ValueError("measurements of reductions of different sizes")
        tables = [p.stats for p in parts]

        def column(name: str) -> NDArray[Any]:
            return np.concatenate([getattr(t, name) for t in tables])

        return cls(
            keys=[k for p in parts for k in p.keys],
            stats=StatsTable(
                widths=column("widths"),
                heights=column("heights"),
                brightness=column("brightness"),
                contrast=column("contrast"),
                sharpness=column("sharpness"),
                saturation=column("saturation"),
                counts=np.concatenate([t.counts for t in tables]),
                pixels=pixels.pop() if pixels else parts[0].stats.pixels,
            ),
            measured=np.concatenate([p.measured for p in parts]),
            empty=np.concatenate([p.empty for p in parts]),
            hashed=np.concatenate([p.hashed for p in parts]),
            dhash=np.concatenate([p.dhash for p in parts]),
            phash=np.concatenate([p.phash for p in parts]),
            digests=[d for p in parts for d in p.digests],
            undecodable=[u for p in parts for u in p.undecodable],
        )

    def __len__(self) -> int:
        return len(self.keys)

    def index(self) -> dict[str, int]:
        """{key: row} (a key measured twice: its last row)."""
        return {key: row for row, key in enumerate(self.keys)}

    def __eq__(self, other: object) -> bool:
        """The same keys in the same order with bit-for-bit the same figures."""
        if not isinstance(other, Measured):
            return NotImplemented
        a, b = self.stats, other.stats
        return (
            self.keys == other.keys
            and self.digests == other.digests
            and self.undecodable == other.undecodable
            and all(
                _same(x, y)
                for x, y in (
                    (self.measured, other.measured),
                    (self.empty, other.empty),
                    (self.hashed, other.hashed),
                    (self.dhash, other.dhash),
                    (self.phash, other.phash),
                    (a.widths, b.widths),
                    (a.heights, b.heights),
                    (a.brightness, b.brightness),
                    (a.contrast, b.contrast),
                    (a.sharpness, b.sharpness),
                    (a.saturation, b.saturation),
                    (a.counts, b.counts),
                )
            )
            and (a.pixels == b.pixels or not (self.measured & ~self.empty).any())
        )

    __hash__ = None  # type: ignore[assignment]

    def rows_of(self, keys: Sequence[str]) -> NDArray[np.int64]:
        """The row of each key (-1: not measured)."""
        row_of = self.index()
        return np.array([row_of.get(key, -1) for key in keys], dtype=np.int64)

    def image_columns(self, rows: NDArray[np.int64]) -> ImageColumns:
        """What the checks read of these rows (-1: an item without a measurement)."""
        found = rows >= 0
        if not len(self):
            no = np.zeros(rows.shape[0], dtype=bool)
            zeros = np.zeros(rows.shape[0], dtype=np.int64)
            return ImageColumns(
                measured=no, empty=no, widths=zeros, heights=zeros, contrast=np.zeros(rows.shape[0])
            )
        take = np.where(found, rows, 0)
        return ImageColumns(
            measured=found & self.measured[take],
            empty=found & self.empty[take],
            widths=self.stats.widths[take],
            heights=self.stats.heights[take],
            contrast=self.stats.contrast[take],
        )

    def hashes(self, rows: NDArray[np.int64]) -> tuple[list[int | None], list[int | None]]:
        """The dHash and pHash of these rows as signed ints (None: no hash, or -1: not measured)."""
        if not len(self):
            return [None] * rows.shape[0], [None] * rows.shape[0]
        take = np.where(rows >= 0, rows, 0)
        hashed = ((rows >= 0) & self.hashed[take]).tolist()
        dhashes = self.dhash[take].tolist()
        phashes = self.phash[take].tolist()
        return (
            [h if ok else None for h, ok in zip(dhashes, hashed, strict=True)],
            [h if ok else None for h, ok in zip(phashes, hashed, strict=True)],
        )

    def image_stats(self, row: int) -> ImageStats | None:
        if not self.measured[row]:
            return None
        if self.empty[row]:
            return EMPTY_STATS
        t = self.stats
        return ImageStats(
            width=int(t.widths[row]),
            height=int(t.heights[row]),
            brightness=float(t.brightness[row]),
            contrast=float(t.contrast[row]),
            sharpness=float(t.sharpness[row]),
            saturation=float(t.saturation[row]),
            histogram=tuple((t.counts[row] / t.pixels).tolist()),
        )

    def get(self, key: str) -> Measurement | None:
        row = self.index().get(key)
        if row is None:
            return None
        hashed = bool(self.hashed[row])
        return Measurement(
            stats=self.image_stats(row),
            dhash=int(self.dhash[row]) if hashed else None,
            phash=int(self.phash[row]) if hashed else None,
            digest=self.digests[row],
            undecodable=self.undecodable[row],
        )

    def stats_json(self, rows: Sequence[int]) -> list[str]:
        """The statistics of these rows as JSON text: exactly ``json.dumps(ImageStats.to_dict())`` (``{}``
        for an image that did not decode), built from the columns without a dict or an object per row.
        The histogram's shares are ``count / pixels``: their text comes from a table of every count."""
        t = self.stats
        index = np.asarray(rows, dtype=np.int64)
        shares = [repr(count / t.pixels) for count in range(t.pixels + 1)]
        ratios: dict[tuple[int, int], str] = {}
        # Rows written here: measured, not empty, finite (``json.dumps`` writes NaN and infinities its own
        # way; none are expected). The others (empty, undecodable) go through ``json.dumps``.
        finite = np.isfinite(
            np.stack([t.brightness[index], t.contrast[index], t.sharpness[index], t.saturation[index]])
        ).all(axis=0)
        direct = self.measured[index] & ~self.empty[index] & finite
        columns = zip(
            index.tolist(),
            direct.tolist(),
            t.widths[index].tolist(),
            t.heights[index].tolist(),
            t.brightness[index].tolist(),
            t.contrast[index].tolist(),
            t.sharpness[index].tolist(),
            t.saturation[index].tolist(),
            t.counts[index].tolist(),
            strict=True,
        )
        out = []
        for row, fast, w, h, brightness, contrast, sharpness, saturation, counts in columns:
            if not fast:
                stats = self.image_stats(row)
                out.append(json.dumps(stats.to_dict()) if stats is not None else "{}")
                continue
            ratio = ratios.get((w, h))
            if ratio is None:
                ratio = ratios[(w, h)] = repr(w / h) if h else "0.0"
            out.append(
                f'{{"width": {w}, "height": {h}, "brightness": {brightness!r}, "contrast": {contrast!r}, '
                f'"sharpness": {sharpness!r}, "saturation": {saturation!r}, "aspect_ratio": {ratio}, '
                f'"histogram": [{", ".join([shares[c] for c in counts])}], "empty": false}}'
            )
        return out


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


def _singles(keys: list[str], digests: list[str], reasons: list[str | None], measured: bool) -> Measured:
    """Rows without pixels to measure: images of zero pixels (``measured``, empty) or that did not decode."""
    n = len(keys)
    flag = np.full(n, measured, dtype=bool)
    return Measured(
        keys=keys,
        stats=_empty_table(n=n),
        measured=flag,
        empty=flag.copy(),
        hashed=np.zeros(n, dtype=bool),
        dhash=np.zeros(n, dtype=np.int64),
        phash=np.zeros(n, dtype=np.int64),
        digests=digests,
        undecodable=reasons,
    )


class Measurer:
    """Collects decoded images by key and measures them a batch at a time into columns (:class:`Measured`).

    Reductions that are already ``MEASURE_SIDE`` x ``MEASURE_SIDE`` RGB Pillow images (the import's, see
    :meth:`add_reduced`) are pasted into one tall image per batch, whose pixels are read at once: one
    array conversion per batch instead of one per image."""

    def __init__(self, batch: int = BATCH) -> None:
        self.batch = batch
        self._parts: list[Measured] = []
        self._keys: list[str] = []
        self._pixels: list[np.ndarray[Any, Any]] = []
        self._sizes: list[tuple[int, int]] = []
        self._digests: list[str] = []
        # The pasted reductions: their keys, real sizes and digests, in the order of their slots.
        self._mosaic: Image.Image | None = None
        self._tile_keys: list[str] = []
        self._tile_sizes: list[tuple[int, int]] = []
        self._tile_digests: list[str] = []
        # Images without pixels to measure: of zero pixels (empty statistics) or that did not decode.
        self._empty: tuple[list[str], list[str]] = ([], [])
        self._broken: tuple[list[str], list[str], list[str | None]] = ([], [], [])

    def add_reduced(self, key: str, content: bytes, reduced: Image.Image, size: tuple[int, int]) -> None:
        """An image's file and its reduction (a Pillow image); ``size`` is the real width and height."""
        if reduced.size != (MEASURE_SIDE, MEASURE_SIDE) or reduced.mode != "RGB" or 0 in size:
            self.add(key, content, np.asarray(reduced.convert("RGB"), dtype=np.uint8), size)
            return
        if self._mosaic is None:
            self._mosaic = Image.new("RGB", (MEASURE_SIDE, MEASURE_SIDE * self.batch))
        self._mosaic.paste(reduced, (0, MEASURE_SIDE * len(self._tile_keys)))
        self._tile_keys.append(key)
        self._tile_sizes.append(size)
        self._tile_digests.append(hashlib.sha256(content).hexdigest())
        if len(self._tile_keys) >= self.batch:
            self._measure_tiles()

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
            self._empty[0].append(key)
            self._empty[1].append(digest)
            return
        self._keys.append(key)
        self._pixels.append(pixels)
        self._sizes.append(size)
        self._digests.append(digest)
        if len(self._keys) >= self.batch:
            self._measure_arrays()

    def add_measured(self, part: Measured) -> None:
        """Measurements made elsewhere (a worker process's :class:`Measurer`)."""
        if len(part):
            self._parts.append(part)

    def add_undecodable(self, key: str, content: bytes, reason: str) -> None:
        self._broken[0].append(key)
        self._broken[1].append(hashlib.sha256(content).hexdigest())
        self._broken[2].append(reason)

    @property
    def results(self) -> Measured:
        return self.flush()

    def flush(self) -> Measured:
        """Measure what is pending; returns every measurement so far (rows in no particular order)."""
        self._measure_tiles()
        self._measure_arrays()
        if self._empty[0]:
            keys, digests = self._empty
            self._parts.append(_singles(keys, digests, [None] * len(keys), measured=True))
            self._empty = ([], [])
        if self._broken[0]:
            self._parts.append(_singles(*self._broken, measured=False))
            self._broken = ([], [], [])
        merged = Measured.concatenate(self._parts)
        self._parts = [merged] if len(merged) else []
        return merged

    def _measure_tiles(self) -> None:
        if not self._tile_keys:
            return
        assert self._mosaic is not None
        count = len(self._tile_keys)
        side = MEASURE_SIDE
        tall = np.asarray(self._mosaic, dtype=np.uint8)[: side * count]
        stack = tall.reshape(count, side, side, 3)
        self._measure(stack, self._tile_keys, self._tile_sizes, self._tile_digests)
        self._tile_keys, self._tile_sizes, self._tile_digests = [], [], []

    def _measure_arrays(self) -> None:
        if not self._keys:
            return
        stack = reduce_images(self._pixels, MEASURE_SIDE)
        self._measure(stack, self._keys, self._sizes, self._digests)
        self._keys, self._pixels, self._sizes, self._digests = [], [], [], []

    def _measure(
        self,
        stack: np.ndarray[Any, np.dtype[np.uint8]],
        keys: list[str],
        sizes: list[tuple[int, int]],
        digests: list[str],
    ) -> None:
        n = len(keys)
        real = np.asarray(sizes, dtype=np.int64).reshape(n, 2)
        grey = batch_grey(stack)  # 32 x 32: what the hashes need
        table = batch_table(stack, real[:, 0], real[:, 1], grey)
        yes = np.ones(n, dtype=bool)
        self._parts.append(
            Measured(
                keys=keys,
                stats=table,
                measured=yes,
                empty=np.zeros(n, dtype=bool),
                hashed=yes.copy(),
                dhash=dhash_batch(grey).view(np.int64),
                phash=phash_batch(grey).view(np.int64),
                digests=digests,
                undecodable=[None] * n,
            )
        )


def measure_image(content: bytes) -> Measurement:
    """One image (tests and one-off use); imports use :class:`Measurer`."""
    measurer = Measurer(batch=1)
    measurer.add("image", content)
    found = measurer.flush().get("image")
    assert found is not None
    return found


__all__ = ["MEASURE_VERSION", "Measured", "Measurement", "Measurer", "measure_image", "to_signed"]
