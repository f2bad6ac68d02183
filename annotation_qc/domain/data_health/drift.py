"""Drift of a batch against a reference: per feature, model confidence and predicted label mix.

Every column of the batch and reference matrices (features or image statistics) gets a two-sample
Kolmogorov-Smirnov test (the decision) and an Anderson-Darling k-sample test (reported; scipy floors its
p-value at 0.001 and caps it at 0.25), with Cohen's d and the KS statistic as effect sizes. The prediction
confidence (one value per item) gets the same; the predicted label mix a chi-square test with Cramér's V.
All p-values of one comparison form one family, corrected by Holm (family-wise) or Benjamini-Hochberg
(false discovery rate). A test is *drifted* when its corrected p-value is under ``alpha`` and its effect
is at least ``min_effect``. A batch or reference under ``min_items`` finite values is "too few to test".

Image statistics depend on how the images were measured (the decode scale of a JPEG moves the sharpness),
so each row may carry its measurement version (:class:`Versions`): a batch's image statistics are compared
only with reference rows measured by the same version. A reference with too few of those, but enough
measured otherwise, is "reference measured differently: re-measure" for those statistics, never drift.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import anderson_ksamp, chi2_contingency, ks_2samp

TOO_FEW = "too few to test"
TESTED = "tested"
REMEASURE = "reference measured differently: re-measure"
#: A row whose measurement version was not recorded (measured before versions were stored).
UNRECORDED = 0
#: Label counts under this expected count are pooled (Cochran's rule).
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class DriftTest:
    statistic: str
    test: str
    status: str
    n_batch: int
    n_reference: int
    value: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    effect: float | None = None
    effect_name: str = ""
    extra: dict[str, float] | None = None
    drifted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "test": self.test,
            "status": self.status,
            "n_batch": self.n_batch,
            "n_reference": self.n_reference,
            "value": self.value,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "effect": self.effect,
            "effect_name": self.effect_name,
            "extra": self.extra or {},
            "drifted": self.drifted,
        }


@dataclass(frozen=True)
class DriftResult:
    tests: tuple[DriftTest, ...]
    status: str
    correction: str
    alpha: float
    notes: tuple[str, ...] = ()

    @property
    def drifted(self) -> tuple[DriftTest, ...]:
        return tuple(t for t in self.tests if t.drifted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "correction": self.correction,
            "alpha": self.alpha,
            "drifted": [t.statistic for t in self.drifted],
            "tests": [t.to_dict() for t in self.tests],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Versions:
    """Which columns are measurements of the images (``columns``, one flag per column) and the version of
    the measurement of each batch and reference row (:data:`UNRECORDED`: not known)."""

    columns: Sequence[bool]
    batch: Sequence[int]
    reference: Sequence[int]


@dataclass(frozen=True)
class LikeWithLike:
    """:func:`like_with_like`'s result: the matrices with other versions' measurements blanked."""

    batch: NDArray[np.float64]
    reference: NDArray[np.float64]
    #: The version the batch was measured by (None: no row of the batch has measurements).
    version: int | None
    #: Reference rows with measurements of another version (blanked), and those versions.
    other_rows: int
    other_versions: tuple[int, ...]


def like_with_like(
    batch: NDArray[np.float64], reference: NDArray[np.float64], versions: Versions
) -> LikeWithLike:
    """Blank (NaN) the measured columns of every row not measured by the batch's version (its most common
    one; an unrecorded version matches nothing), so that only like is compared with like."""
    columns = np.asarray(versions.columns, dtype=bool).reshape(-1)
    b_versions = np.asarray(versions.batch, dtype=np.int64).reshape(-1)
    r_versions = np.asarray(versions.reference, dtype=np.int64).reshape(-1)
    if columns.size != batch.shape[1] or b_versions.size != batch.shape[0]:
        raise ValueError("versions: one flag per column and one version per batch row")
    if r_versions.size != reference.shape[0]:
        raise ValueError("versions: one version per reference row")
    if not columns.any():
        return LikeWithLike(batch, reference, None, 0, ())
    b_measured = np.isfinite(batch[:, columns]).any(axis=1)
    r_measured = np.isfinite(reference[:, columns]).any(axis=1)
    known = b_versions[b_measured & (b_versions != UNRECORDED)]
    version: int | None = None
    if known.size:
        values, counts = np.unique(known, return_counts=True)
        version = int(values[np.argmax(counts)])
    b_other = b_measured & (b_versions != version if version is not None else True)
    r_other = r_measured & (r_versions != version if version is not None else True)
    batch, reference = batch.copy(), reference.copy()
    batch[np.ix_(b_other, columns)] = np.nan
    reference[np.ix_(r_other, columns)] = np.nan
    return LikeWithLike(
        batch=batch,
        reference=reference,
        version=version,
        other_rows=int(r_other.sum()),
        other_versions=tuple(sorted({int(v) for v in r_versions[r_other].tolist()})),
    )


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def cohens_d(batch: NDArray[np.float64], reference: NDArray[np.float64]) -> float:
    """(mean of batch - mean of reference) / pooled standard deviation (0 when both are constant)."""
    n1, n2 = batch.size, reference.size
    if n1 < 2 or n2 < 2:
        return 0.0
    pooled = ((n1 - 1) * batch.var(ddof=1) + (n2 - 1) * reference.var(ddof=1)) / (n1 + n2 - 2)
    if pooled <= 0:
        return (
            0.0
            if batch.mean() == reference.mean()
            else float(np.sign(batch.mean() - reference.mean()) * np.inf)
        )
    return float((batch.mean() - reference.mean()) / np.sqrt(pooled))


def _finite(values: ArrayLike) -> NDArray[np.float64]:
    array: NDArray[np.float64] = np.asarray(values, dtype=np.float64).reshape(-1)
    finite: NDArray[np.float64] = array[np.isfinite(array)]
    return finite


def numeric_test(name: str, batch: ArrayLike, reference: ArrayLike, *, min_items: int) -> DriftTest:
    """KS (decision) and Anderson-Darling (reported) on one numeric column, NaN dropped."""
    b, r = _finite(batch), _finite(reference)
    if b.size < min_items or r.size < min_items:
        return DriftTest(
            statistic=name, test="ks", status=TOO_FEW, n_batch=int(b.size), n_reference=int(r.size)
        )
    ks = ks_2samp(b, r)
    extra: dict[str, float] = {}
    if np.unique(np.concatenate([b, r])).size > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ad = anderson_ksamp([b, r])
        extra = {"anderson_darling": float(ad.statistic), "anderson_darling_p": float(ad.pvalue)}
    d = cohens_d(b, r)
    extra["cohens_d"] = d
    return DriftTest(
        statistic=name,
        test="ks",
        status=TESTED,
        n_batch=int(b.size),
        n_reference=int(r.size),
        value=float(ks.statistic),
        p_value=float(ks.pvalue),
        effect=float(max(ks.statistic, abs(d))) if np.isfinite(d) else float(ks.statistic),
        effect_name="max(KS D, |Cohen's d|)",
        extra=extra,
    )


def label_mix_test(
    name: str, labels: Sequence[str], batch_counts: ArrayLike, reference_counts: ArrayLike, *, min_items: int
) -> DriftTest:
    """Chi-square on a 2 x k table of label counts (rare labels pooled) with Cramér's V."""
    b = np.asarray(batch_counts, dtype=np.float64).reshape(-1)
    r = np.asarray(reference_counts, dtype=np.float64).reshape(-1)
    nb, nr = int(b.sum()), int(r.sum())
    if nb < min_items or nr < min_items:
        return DriftTest(statistic=name, test="chi_square", status=TOO_FEW, n_batch=nb, n_reference=nr)
    table = np.vstack([b, r])
    expected = table.sum(axis=0) * min(nb, nr) / (nb + nr)
    keep = expected >= MIN_EXPECTED
    pooled = table[:, ~keep].sum(axis=1, keepdims=True)
    table = np.hstack([table[:, keep], pooled]) if (~keep).any() else table[:, keep]
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return DriftTest(
            statistic=name,
            test="chi_square",
            status=TESTED,
            n_batch=nb,
            n_reference=nr,
            value=0.0,
            p_value=1.0,
            effect=0.0,
            effect_name="Cramér's V",
        )
    chi2, p, _, _ = chi2_contingency(table, correction=False)
    v = float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))
    shares_b = {label: float(c / nb) for label, c in zip(labels, b, strict=True)}
    shares_r = {label: float(c / nr) for label, c in zip(labels, r, strict=True)}
    return DriftTest(
        statistic=name,
        test="chi_square",
        status=TESTED,
        n_batch=nb,
        n_reference=nr,
        value=float(chi2),
        p_value=float(p),
        effect=v,
        effect_name="Cramér's V",
        extra={
            **{f"batch:{k}": v_ for k, v_ in shares_b.items()},
            **{f"reference:{k}": v_ for k, v_ in shares_r.items()},
        },
    )


def compare(
    batch: ArrayLike,
    reference: ArrayLike,
    names: Sequence[str],
    *,
    alpha: float = 0.01,
    correction: Literal["holm", "bh"] = "holm",
    min_effect: float = 0.1,
    min_items: int = 20,
    batch_confidence: ArrayLike | None = None,
    reference_confidence: ArrayLike | None = None,
    labels: Sequence[str] = (),
    batch_label_counts: ArrayLike | None = None,
    reference_label_counts: ArrayLike | None = None,
    versions: Versions | None = None,
) -> DriftResult:
    """Compare a batch with a reference over named columns, confidence and label mix.

    With ``versions``, measured columns are compared only between rows of the batch's measurement version
    (:func:`like_with_like`); such a column whose reference has too few rows of that version but enough
    of others is :data:`REMEASURE`, not tested."""
    b = np.asarray(batch, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    k = len(names)
    b = b.reshape(-1, k) if k else np.zeros((b.shape[0] if b.ndim else 0, 0))
    r = r.reshape(-1, k) if k else np.zeros((r.shape[0] if r.ndim else 0, 0))
    unblanked = r
    notes: list[str] = []
    matched: LikeWithLike | None = None
    if versions is not None:
        matched = like_with_like(b, r, versions)
        b, r = matched.batch, matched.reference
    tests = [
        numeric_test(f"feature:{name}", b[:, j], r[:, j], min_items=min_items) for j, name in enumerate(names)
    ]
    if matched is not None and matched.other_rows:
        remeasure = 0
        for j, test in enumerate(tests):
            others = int(np.isfinite(unblanked[:, j]).sum()) - test.n_reference
            if (
                test.status == TOO_FEW
                and test.n_batch >= min_items
                and test.n_reference + others >= min_items
            ):
                tests[j] = replace(test, status=REMEASURE, extra={"reference_other_versions": float(others)})
                remeasure += 1
        listed = ", ".join(str(v) if v != UNRECORDED else "unrecorded" for v in matched.other_versions)
        notes.append(
            f"{matched.other_rows} reference item(s) were measured by another version of the image "
            f"measurement ({listed}; this batch: {matched.version}): their image statistics are not "
            "compared with this batch's"
            + (f"; {remeasure} statistic(s) not tested: re-measure the reference" if remeasure else "")
        )
    if batch_confidence is not None and reference_confidence is not None:
        tests.append(
            numeric_test("prediction_confidence", batch_confidence, reference_confidence, min_items=min_items)
        )
    if batch_label_counts is not None and reference_label_counts is not None and labels:
        tests.append(
            label_mix_test(
                "predicted_label_mix", labels, batch_label_counts, reference_label_counts, min_items=min_items
            )
        )
    tested = [i for i, t in enumerate(tests) if t.status == TESTED]
    if not tested:
        status = REMEASURE if any(t.status == REMEASURE for t in tests) else TOO_FEW
        return DriftResult(
            tests=tuple(tests), status=status, correction=correction, alpha=alpha, notes=tuple(notes)
        )
    p = np.array([tests[i].p_value for i in tested], dtype=np.float64)
    adjusted = holm(p) if correction == "holm" else benjamini_hochberg(p)
    for i, p_adj in zip(tested, adjusted.tolist(), strict=True):
        effect = tests[i].effect or 0.0
        tests[i] = replace(tests[i], p_adjusted=p_adj, drifted=bool(p_adj < alpha and effect >= min_effect))
    return DriftResult(
        tests=tuple(tests), status=TESTED, correction=correction, alpha=alpha, notes=tuple(notes)
    )


def drift_condition(batch_id: int, batch_name: str, result: dict[str, Any]) -> dict[str, Any] | None:
    """What a drift alert for one batch says (None when nothing drifted): the statistics that moved,
    each with its test, effect size and p-value; the strongest first."""
    drifted = [t for t in result.get("tests", []) if t.get("drifted")]
    if not drifted:
        return None
    drifted.sort(key=lambda t: (-(t.get("effect") or 0.0), t.get("p_adjusted") or 1.0))
    top = drifted[0]
    more = f" and {len(drifted) - 1} more" if len(drifted) > 1 else ""
    message = (
        f"Batch {batch_name} drifted from the reference: {top['statistic']} ({top['test']}, "
        f"effect {top['effect']:.3g} as {top['effect_name']}, p = {top['p_value']:.3g}, "
        f"corrected p = {top['p_adjusted']:.3g}){more}."
    )
    return {
        "subject": f"batch:{batch_id}",
        "message": message,
        "data": {
            "batch": batch_id,
            "batch_name": batch_name,
            "statistics": [
                {
                    "statistic": t["statistic"],
                    "test": t["test"],
                    "effect": t["effect"],
                    "effect_name": t["effect_name"],
                    "p_value": t["p_value"],
                    "p_adjusted": t["p_adjusted"],
                }
                for t in drifted
            ],
        },
    }
