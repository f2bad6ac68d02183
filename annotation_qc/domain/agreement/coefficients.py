"""Agreement coefficients: Krippendorff's alpha, Fleiss' kappa and Cohen's kappa.

``krippendorff_alpha`` wraps the ``krippendorff`` package and guards its traps:

* its own default level is *interval*; here the level is always passed explicitly and defaults
  to *nominal* (labels);
* it expects **observers x units** (one row per annotator). A units x observers matrix is not an
  error for it, it silently computes another number. Nothing in a bare matrix tells the two
  apart, so the orientation is part of the contract; build the matrix from long-format triples
  with :func:`annotation_qc.domain.agreement.coincidences.reliability_matrix` to be safe;
* it raises a bare ``ValueError`` when only one value occurs, or when no unit has two coders,
  and returns NaN when the expected disagreement is zero. Here each of these is an
  :class:`UndefinedAgreement` carrying the reason, and :func:`alpha_or_undefined` turns it into
  an :class:`AlphaResult` with ``value=None``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import krippendorff
import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = get_args(Level)

NO_PAIRABLE_UNIT = "no unit was coded by two or more annotators, so nothing can be compared"
SINGLE_VALUE = "only one value occurs among the compared codings, so chance agreement is total"
ZERO_EXPECTED = "the expected disagreement is zero"


class UndefinedAgreement(ValueError):
    """The coefficient is mathematically undefined on this data; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AlphaResult:
    """A coefficient that may be undefined: ``value`` is None exactly when ``reason`` is set."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("exactly one of value and reason must be set")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError("value must be finite")

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason}


def check_level(level: str) -> Level:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    return level  # type: ignore[return-value]  # checked against LEVELS above


# ---------------------------------------------------------------------------------------------
# Krippendorff's alpha on an observers x units matrix
# ---------------------------------------------------------------------------------------------


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _encode(
    reliability_data: ArrayLike, level: Level, value_domain: Sequence[Hashable] | None
) -> tuple[FloatArray, FloatArray]:
    """Return ``(codes, domain_values)``: an observers x units float matrix with NaN for missing.

    Numbers are kept as they are. Labels (strings or other objects) become integer codes:
    in order of first appearance for nominal data, in the order of ``value_domain`` for ordinal
    data. Interval and ratio data must be numeric.
    """
    array = np.asarray(reliability_data)
    if array.ndim != 2:
        raise ValueError(f"reliability_data must be a 2-d observers x units matrix, got shape {array.shape}")
    if array.dtype.kind in "biuf":
        codes = array.astype(np.float64)
        if np.isinf(codes).any():
            raise ValueError("reliability_data must not contain infinities")
        if value_domain is None:
            return codes, np.unique(codes[~np.isnan(codes)])
        domain = np.asarray(value_domain, dtype=np.float64)
        if not np.isin(codes[~np.isnan(codes)], domain).all():
            raise ValueError("reliability_data holds values outside value_domain")
        return codes, domain
    if level in ("interval", "ratio"):
        raise ValueError(f"{level} data must be numeric; encode labels as numbers first")
    cells = array.astype(object)
    if array.dtype.kind in "US":
        # numpy turns NaN into the string "nan" when it builds a string array.
        cells[(array == "nan") | (array == "")] = None
    lookup: dict[Hashable, int]
    if value_domain is not None:
        lookup = {value: code for code, value in enumerate(value_domain)}
    elif level == "ordinal":
        raise ValueError("ordinal labels need an ordered value_domain")
    else:
        lookup = {}
    codes = np.full(array.shape, np.nan)
    for position, value in np.ndenumerate(cells):
        if _is_missing(value):
            continue
        if value not in lookup:
            if value_domain is not None:
                raise ValueError(f"reliability_data holds {value!r}, which is not in value_domain")
            lookup[value] = len(lookup)
        codes[position] = lookup[value]
    return codes, np.arange(len(lookup), dtype=np.float64)


def _check_defined(codes: FloatArray) -> None:
    coded = ~np.isnan(codes)
    pairable_units = coded.sum(axis=0) >= 2
    if not pairable_units.any():
        raise UndefinedAgreement(NO_PAIRABLE_UNIT)
    compared = codes[:, pairable_units]
    if np.unique(compared[~np.isnan(compared)]).size < 2:
        raise UndefinedAgreement(SINGLE_VALUE)


def krippendorff_alpha(
    reliability_data: ArrayLike,
    level: Level = "nominal",
    *,
    value_domain: Sequence[Hashable] | None = None,
) -> float:
    """Krippendorff's alpha of an **observers x units** matrix (NaN or None where missing).

    ``level`` is one of nominal (the default here, unlike the package's interval), ordinal,
    interval, ratio. String labels are encoded to integer codes first; ordinal labels need an
    ordered ``value_domain``. Raises :class:`UndefinedAgreement` (a ``ValueError``) with the
    reason when alpha is undefined. For project-sized data prefer the coincidence-matrix path
    (:func:`annotation_qc.domain.agreement.coincidences.alpha_from_coincidences`), which does not
    materialise the package's units x values x values array.
    """
    level = check_level(level)
    codes, domain = _encode(reliability_data, level, value_domain)
    _check_defined(codes)
    value = float(krippendorff.alpha(reliability_data=codes, value_domain=domain, level_of_measurement=level))
    if not math.isfinite(value):
        raise UndefinedAgreement(ZERO_EXPECTED)
    return value


def alpha_or_undefined(
    reliability_data: ArrayLike,
    level: Level = "nominal",
    *,
    value_domain: Sequence[Hashable] | None = None,
) -> AlphaResult:
    """:func:`krippendorff_alpha` that reports an undefined alpha as ``AlphaResult(None, reason)``."""
    try:
        return AlphaResult(krippendorff_alpha(reliability_data, level, value_domain=value_domain))
    except UndefinedAgreement as undefined:
        return AlphaResult(None, undefined.reason)


# ---------------------------------------------------------------------------------------------
# Kappas
# ---------------------------------------------------------------------------------------------


def fleiss_kappa(counts: ArrayLike) -> float:
    """Fleiss' (1971) kappa from a subjects x categories table of rating counts.

    Every subject must have the same number of ratings (at least two); the raters may differ
    from subject to subject. Raises :class:`UndefinedAgreement` when every rating falls in one
    category.
    """
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"counts must be a 2-d subjects x categories table, got shape {table.shape}")
    if table.shape[0] == 0:
        raise UndefinedAgreement("there are no subjects")
    if (table < 0).any() or not np.isfinite(table).all() or (table != np.round(table)).any():
        raise ValueError("counts must be non-negative whole numbers")
    raters = table.sum(axis=1)
    n = raters[0]
    if (raters != n).any():
        raise ValueError("every subject must be rated by the same number of raters")
    if n < 2:
        raise UndefinedAgreement("each subject needs at least two ratings")
    category_share = table.sum(axis=0) / table.sum()
    subject_agreement = ((table * table).sum(axis=1) - n) / (n * (n - 1))
    observed = float(subject_agreement.mean())
    chance = float((category_share * category_share).sum())
    if chance >= 1.0:
        raise UndefinedAgreement(SINGLE_VALUE)
    return (observed - chance) / (1.0 - chance)


def _joint_codes(
    a: Sequence[Hashable] | ArrayLike, b: Sequence[Hashable] | ArrayLike
) -> tuple[IntArray, IntArray]:
    first = np.asarray(a)
    second = np.asarray(b)
    if first.ndim != 1 or second.ndim != 1 or len(first) != len(second):
        raise ValueError("a and b must be label sequences of the same length")
    if len(first) == 0:
        raise UndefinedAgreement("there are no items")
    if first.dtype.kind in "biu" and second.dtype.kind in "biu":
        _, inverse = np.unique(np.concatenate([first, second]), return_inverse=True)
    else:
        lookup: dict[Hashable, int] = {}
        inverse = np.empty(2 * len(first), dtype=np.int64)
        for position, value in enumerate([*first.tolist(), *second.tolist()]):
            if _is_missing(value):
                raise ValueError("cohen_kappa needs complete pairs: drop items with a missing label")
            inverse[position] = lookup.setdefault(value, len(lookup))
    codes = inverse.astype(np.int64)
    return codes[: len(first)], codes[len(first) :]


def cohen_kappa(a: Sequence[Hashable] | ArrayLike, b: Sequence[Hashable] | ArrayLike) -> float:
    """Cohen's (1960) kappa of two annotators' labels on the same items (any hashable labels).

    Raises :class:`UndefinedAgreement` when both annotators used one and the same label
    throughout (chance agreement is then 1).
    """
    codes_a, codes_b = _joint_codes(a, b)
    n_values = int(max(codes_a.max(), codes_b.max())) + 1
    n = len(codes_a)
    observed = float(np.count_nonzero(codes_a == codes_b)) / n
    share_a = np.bincount(codes_a, minlength=n_values) / n
    share_b = np.bincount(codes_b, minlength=n_values) / n
    chance = float(share_a @ share_b)
    if chance >= 1.0:
        raise UndefinedAgreement(SINGLE_VALUE)
    return (observed - chance) / (1.0 - chance)
