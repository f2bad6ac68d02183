"""The checks run on a batch before it is written: one list of failures per check, each with its action.

:func:`evaluate` takes a :class:`Batch` (what the import job measured and parsed, in file order) and a
validated configuration (:mod:`.config`), and returns a :class:`HealthOutcome` listing every failure
(item index, check, action, reason) and which items the import must reject, quarantine or only warn
about. Items with no decoded image (referenced by URL and not downloaded) skip the image checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.data_health.hashing import (
    DuplicateMatches,
    as_hash_array,
    exact_duplicates,
    find_duplicates,
)
from annotation_qc.domain.data_health.images import ImageStats


@dataclass(frozen=True)
class ImageColumns:
    """What the image checks read of a batch's statistics, one entry per item, as arrays (imports of
    100,000 images build no object per image); :meth:`of` makes them from :class:`ImageStats`."""

    #: The item's image decoded and was measured (its width, height, contrast and ``empty`` are known).
    measured: NDArray[np.bool_]
    #: The image has zero pixels (:data:`~.images.EMPTY_STATS`).
    empty: NDArray[np.bool_]
    widths: NDArray[np.int64]
    heights: NDArray[np.int64]
    contrast: NDArray[np.float64]

    @classmethod
    def of(cls, stats: Sequence[ImageStats | None]) -> ImageColumns:
        return cls(
            measured=np.array([s is not None for s in stats], dtype=bool),
            empty=np.array([s is not None and s.empty for s in stats], dtype=bool),
            widths=np.array([s.width if s is not None else 0 for s in stats], dtype=np.int64),
            heights=np.array([s.height if s is not None else 0 for s in stats], dtype=np.int64),
            contrast=np.array([s.contrast if s is not None else 0.0 for s in stats], dtype=np.float64),
        )


@dataclass(frozen=True)
class Batch:
    """One import's items, all sequences in the same (file) order."""

    ids: Sequence[str]
    #: Statistics of each decoded image (None: no image was decoded for the item), or the same as columns.
    stats: Sequence[ImageStats | None] | ImageColumns
    #: Width and height as stated or measured (None: unknown).
    sizes: Sequence[tuple[int, int] | None] = ()
    dhashes: Sequence[int | None] = ()
    phashes: Sequence[int | None] = ()
    digests: Sequence[str | None] = ()
    metadata: Sequence[Mapping[str, Any]] = ()
    features: Sequence[Sequence[float] | None] = ()
    feature_dim: int | None = None
    scores: Sequence[Sequence[float] | None] = ()
    proba: Sequence[Sequence[float] | None] = ()
    n_labels: int = 0
    #: Why each item's image did not decode (None: it decoded, or there was no image to decode).
    undecodable: Sequence[str | None] = ()


@dataclass(frozen=True)
class Known:
    """What the project already holds, for duplicates across imports."""

    ids: Sequence[str] = ()
    dhashes: Sequence[int] = ()
    phashes: Sequence[int] = ()
    digests: Sequence[str] = ()


@dataclass(frozen=True)
class Failure:
    index: int
    check: str
    action: str
    reason: str

    @property
    def message(self) -> str:
        """The reason named by its check, once: a reason that already starts with the check's name (the
        metadata and features checks name their field) is not prefixed again ("metadata: 'site' missing",
        not "metadata: metadata: 'site' missing")."""
        if self.reason.startswith(f"{self.check}: "):
            return self.reason
        return f"{self.check}: {self.reason}"

    def to_dict(self, ids: Sequence[str]) -> dict[str, Any]:
        return {
            "external_id": ids[self.index],
            "check": self.check,
            "action": self.action,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class HealthOutcome:
    failures: tuple[Failure, ...]
    n_items: int
    checks_run: tuple[str, ...] = field(default=())

    def _indices(self, action: str) -> NDArray[np.int64]:
        return np.unique(np.array([f.index for f in self.failures if f.action == action], dtype=np.int64))

    @property
    def rejected(self) -> NDArray[np.int64]:
        return self._indices("reject")

    @property
    def quarantined(self) -> NDArray[np.int64]:
        """Items to quarantine (a rejected import quarantines nothing)."""
        return self._indices("quarantine")

    @property
    def warned(self) -> NDArray[np.int64]:
        return self._indices("warn")

    def counts(self) -> dict[str, dict[str, int]]:
        """{check: {action: failing items}}."""
        out: dict[str, dict[str, int]] = {}
        for failure in self.failures:
            per = out.setdefault(failure.check, {})
            per[failure.action] = per.get(failure.action, 0) + 1
        return out


def _pad(values: Sequence[Any], n: int) -> list[Any]:
    return list(values) + [None] * (n - len(values))


def _duplicate_reasons(
    matches: DuplicateMatches, batch_ids: Sequence[str], known_ids: Sequence[str], what: str
) -> dict[int, str]:
    reasons = {}
    for index in np.flatnonzero(matches.is_duplicate).tolist():
        if matches.of_existing[index] >= 0:
            other = f"item '{known_ids[matches.of_existing[index]]}' already in the project"
        else:
            other = f"'{batch_ids[matches.of_new[index]]}' of this import"
        distance = int(matches.distance[index])
        reasons[index] = f"{what} of {other}" + (f" (Hamming distance {distance})" if distance > 0 else "")
    return reasons


def _hash_duplicates(
    values: Sequence[int | None],
    known: Sequence[int],
    batch_ids: Sequence[str],
    known_ids: Sequence[str],
    d: int,
    second: tuple[Sequence[int | None], Sequence[int], int] | None = None,
) -> dict[int, str]:
    present = np.array([v is not None for v in values], dtype=bool)
    if not present.any():
        return {}
    positions = np.flatnonzero(present)
    new = as_hash_array([values[i] for i in positions.tolist()])
    old = as_hash_array(list(known))
    if second is not None and second[2] < 64:
        matches = find_duplicates(
            new,
            old,
            max_distance=d,
            confirm_new=as_hash_array([second[0][i] or 0 for i in positions.tolist()]),
            confirm_existing=as_hash_array(list(second[1])),
            confirm_distance=second[2],
        )
    else:
        matches = find_duplicates(new, old, max_distance=d)
    sub_ids = [batch_ids[i] for i in positions.tolist()]
    local = _duplicate_reasons(matches, sub_ids, known_ids, "near duplicate")
    return {int(positions[i]): reason for i, reason in local.items()}


def _type_ok(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _metadata_reasons(
    metadata: Sequence[Mapping[str, Any] | None], required: Mapping[str, str]
) -> dict[int, str]:
    reasons: dict[int, str] = {}
    if not required:
        return reasons
    for index, meta in enumerate(metadata):
        problems = []
        for name, kind in required.items():
            if meta is None or name not in meta or meta[name] is None:
                problems.append(f"'{name}' missing")
            elif not _type_ok(meta[name], kind):
                problems.append(f"'{name}' is not a {kind}")
        if problems:
            reasons[index] = "metadata: " + "; ".join(problems)
    return reasons


def feature_problems(features: Sequence[Sequence[float] | None], dim: int | None) -> dict[int, str]:
    """Items whose features are not finite or not of the project's dimension (or of the batch's first)."""
    present = [i for i, f in enumerate(features) if f is not None]
    if not present:
        return {}
    lengths = np.array([len(features[i]) for i in present], dtype=np.int64)  # type: ignore[arg-type]
    want = dim if dim is not None else int(lengths[0])
    reasons: dict[int, str] = {}
    wrong = lengths != want
    for offset in np.flatnonzero(wrong).tolist():
        reasons[present[offset]] = f"features: expected {want} values, got {int(lengths[offset])}"
    right = [present[o] for o in np.flatnonzero(~wrong).tolist()]
    if right:
        matrix = np.array([features[i] for i in right], dtype=np.float64).reshape(len(right), want)
        bad = ~np.isfinite(matrix).all(axis=1)
        for offset in np.flatnonzero(bad).tolist():
            reasons[right[offset]] = "features: values must be finite numbers (no NaN or infinity)"
    return reasons


def prediction_field_problems(
    scores: Sequence[Sequence[float] | None],
    proba: Sequence[Sequence[float] | None],
    n_labels: int,
    tolerance: float,
) -> dict[int, dict[str, str]]:
    """{item index: {"scores" | "proba": reason}}: scores not finite or outside [0, 1]; probabilities not
    one per label, not finite, outside [0, 1] or not summing to 1 within ``tolerance``."""
    reasons: dict[int, dict[str, str]] = {}
    for index, values in enumerate(scores):
        if values is None or len(values) == 0:
            continue
        array = np.asarray(values, dtype=np.float64)
        if not (np.isfinite(array).all() and (array >= 0).all() and (array <= 1).all()):
            reasons.setdefault(index, {})["scores"] = "prediction scores must be finite numbers in [0, 1]"
    for index, values in enumerate(proba):
        if values is None:
            continue
        array = np.asarray(values, dtype=np.float64)
        if n_labels and array.size != n_labels:
            reason = f"expected {n_labels} probabilities, got {array.size}"
        elif not (np.isfinite(array).all() and (array >= 0).all() and (array <= 1).all()):
            reason = "probabilities must be finite numbers in [0, 1]"
        elif abs(float(array.sum()) - 1.0) > tolerance:
            reason = f"probabilities must sum to 1 (they sum to {array.sum():.4f})"
        else:
            continue
        reasons.setdefault(index, {})["proba"] = reason
    return reasons


def prediction_problems(
    scores: Sequence[Sequence[float] | None],
    proba: Sequence[Sequence[float] | None],
    n_labels: int,
    tolerance: float,
) -> dict[int, str]:
    """One reason per item of :func:`prediction_field_problems` (the probabilities' when both fail)."""
    return {
        index: fields.get("proba", fields.get("scores", ""))
        for index, fields in prediction_field_problems(scores, proba, n_labels, tolerance).items()
    }


def _image_columns(batch: Batch, n: int) -> ImageColumns:
    if not isinstance(batch.stats, ImageColumns):
        return ImageColumns.of(_pad(batch.stats, n))
    columns = batch.stats
    if columns.measured.shape != (n,):
        raise ValueError(f"image columns for {columns.measured.shape[0]} items in a batch of {n}")
    return columns


def _image_reasons(batch: Batch, checks: Mapping[str, Any], n: int) -> dict[str, dict[int, str]]:
    columns = _image_columns(batch, n)
    sizes = _pad(batch.sizes, n)
    out: dict[str, dict[int, str]] = {}
    decoded = columns.measured
    width = np.where(decoded, columns.widths, -1)
    height = np.where(decoded, columns.heights, -1)
    for index in np.flatnonzero(~decoded).tolist():  # no statistics: the size as stated or read
        size = sizes[index]
        if size:
            width[index], height[index] = size
    known = width >= 0
    if checks["decodes"]["enabled"]:
        out["decodes"] = {
            index: f"image does not decode: {reason}"
            for index, reason in enumerate(_pad(batch.undecodable, n))
            if reason is not None
        }
    if checks["image_size"]["enabled"]:
        low, high = checks["image_size"]["min_side"], checks["image_size"]["max_side"]
        zero = known & ((width == 0) | (height == 0))
        bad = known & ~zero & ((np.minimum(width, height) < low) | (np.maximum(width, height) > high))
        reasons = {int(i): "image has zero pixels" for i in np.flatnonzero(zero)}
        reasons.update(
            {
                int(i): f"{width[i]}x{height[i]} pixels; sides must be between {low} and {high}"
                for i in np.flatnonzero(bad)
            }
        )
        out["image_size"] = reasons
    if checks["aspect_ratio"]["enabled"]:
        lo, hi = checks["aspect_ratio"]["min_ratio"], checks["aspect_ratio"]["max_ratio"]
        ok_size = known & (height > 0) & (width > 0)
        ratio = np.where(ok_size, width / np.maximum(height, 1), 1.0)
        bad = ok_size & ((ratio < lo) | (ratio > hi))
        out["aspect_ratio"] = {
            int(i): f"aspect ratio {ratio[i]:.3g} outside [{lo:g}, {hi:g}]" for i in np.flatnonzero(bad)
        }
    if checks["blank"]["enabled"]:
        limit = checks["blank"]["max_contrast"]
        contrast = np.where(decoded & ~columns.empty, columns.contrast, np.inf)
        bad = decoded & (contrast <= limit)
        out["blank"] = {
            int(i): f"blank or near-constant image (grey-level spread {contrast[i]:.4f} <= {limit:g})"
            for i in np.flatnonzero(bad)
        }
    return out


def evaluate(batch: Batch, config: Mapping[str, Any], known: Known | None = None) -> HealthOutcome:
    """Run every enabled check on ``batch``; ``config`` is a validated configuration."""
    known = known or Known()
    checks = config["checks"]
    n = len(batch.ids)
    reasons = _image_reasons(batch, checks, n)
    if checks["exact_duplicate"]["enabled"]:
        digests = _pad(batch.digests, n)
        have = [i for i, d in enumerate(digests) if d is not None]
        matches = exact_duplicates([digests[i] for i in have], list(known.digests))
        local = _duplicate_reasons(matches, [batch.ids[i] for i in have], known.ids, "exact duplicate")
        reasons["exact_duplicate"] = {have[i]: r for i, r in local.items()}
    if checks["near_duplicate"]["enabled"]:
        settings = checks["near_duplicate"]
        use_phash = settings["hash"] == "phash"
        values = _pad(batch.phashes if use_phash else batch.dhashes, n)
        pool = known.phashes if use_phash else known.dhashes
        other = (
            _pad(batch.dhashes if use_phash else batch.phashes, n),
            known.dhashes if use_phash else known.phashes,
            settings["confirm_distance"],
        )
        near = _hash_duplicates(values, pool, batch.ids, known.ids, settings["max_distance"], other)
        # An exact duplicate is reported once, as exact.
        exact = reasons.get("exact_duplicate", {})
        reasons["near_duplicate"] = {i: r for i, r in near.items() if i not in exact}
    if checks["metadata"]["enabled"]:
        reasons["metadata"] = _metadata_reasons(_pad(batch.metadata, n), checks["metadata"]["required"])
    if checks["features"]["enabled"]:
        reasons["features"] = feature_problems(_pad(batch.features, n), batch.feature_dim)
    if checks["predictions"]["enabled"]:
        reasons["predictions"] = prediction_problems(
            _pad(batch.scores, n), _pad(batch.proba, n), batch.n_labels, checks["predictions"]["tolerance"]
        )
    failures = [
        Failure(index=index, check=check, action=checks[check]["action"], reason=reason)
        for check, found in reasons.items()
        for index, reason in sorted(found.items())
    ]
    return HealthOutcome(failures=tuple(failures), n_items=n, checks_run=tuple(reasons))
