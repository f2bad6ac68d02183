"""What the agreement report is made of: frozen dataclasses with JSON-ready ``to_dict``.

Undefined coefficients are :class:`~annotation_qc.domain.agreement.coefficients.AlphaResult`
with ``value=None`` and a reason, so no NaN reaches JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray
from annotation_qc.domain.agreement.bootstrap import BootstrapInterval
from annotation_qc.domain.agreement.boxes import Conflicts, conflict_records
from annotation_qc.domain.agreement.coefficients import AlphaResult

ReportKind = Literal["classification", "bbox"]


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value (ids go to JSON as given)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class LabelAgreement:
    """Agreement on one label: one-vs-rest alpha, specific agreement, and for boxes the F1 sweep."""

    label: str
    n_values: int
    alpha: AlphaResult
    interval: BootstrapInterval | None
    specific_agreement: float | None
    f1: tuple[float | None, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n_values": self.n_values,
            "alpha": self.alpha.to_dict(),
            "interval": None if self.interval is None else self.interval.to_dict(),
            "specific_agreement": self.specific_agreement,
            "f1": None if self.f1 is None else list(self.f1),
        }


@dataclass(frozen=True)
class PairAgreement:
    """Two annotators on the units they share; for boxes also P/R/F1 per IoU threshold.

    Precision is the share of ``annotator_a``'s boxes that ``annotator_b`` confirmed (same
    label, matched), recall the share of ``annotator_b``'s boxes that ``annotator_a`` found.
    """

    annotator_a: Any
    annotator_b: Any
    n_shared_units: int
    observed_agreement: float | None
    kappa: AlphaResult
    alpha: AlphaResult
    precision: tuple[float | None, ...] | None = None
    recall: tuple[float | None, ...] | None = None
    f1: tuple[float | None, ...] | None = None
    mean_iou: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotator_a": self.annotator_a,
            "annotator_b": self.annotator_b,
            "n_shared_units": self.n_shared_units,
            "observed_agreement": self.observed_agreement,
            "kappa": self.kappa.to_dict(),
            "alpha": self.alpha.to_dict(),
            "precision": None if self.precision is None else list(self.precision),
            "recall": None if self.recall is None else list(self.recall),
            "f1": None if self.f1 is None else list(self.f1),
            "mean_iou": self.mean_iou,
        }


@dataclass(frozen=True)
class AnnotatorAgreement:
    """One annotator against their peers, on the scale of the project alpha."""

    annotator: Any
    n_comparisons: int
    observed_agreement: float | None
    alpha_with_peers: AlphaResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotator": self.annotator,
            "n_comparisons": self.n_comparisons,
            "observed_agreement": self.observed_agreement,
            "alpha_with_peers": self.alpha_with_peers.to_dict(),
        }


@dataclass(frozen=True)
class ItemAgreement:
    """One item: its agreement score (``1 - D_o(item) / D_e(project)``) and its conflicts."""

    item: Any
    score: float | None
    n_annotations: int
    conflicts: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "score": self.score,
            "n_annotations": self.n_annotations,
            "conflicts": list(self.conflicts),
        }


@dataclass(frozen=True)
class ItemDetails:
    """Per-item arrays kept on the report so the low-agreement list can be re-cut on demand."""

    item_ids: Sequence[Any]
    scores: FloatArray
    n_annotations: IntArray
    conflicts: Conflicts
    conflict_start: IntArray
    annotator_ids: Sequence[Any]
    boxes: FloatArray | None
    label_names: Sequence[str]

    def below(self, max_score: float, limit: int | None) -> tuple[ItemAgreement, ...]:
        candidates = np.flatnonzero(~np.isnan(self.scores) & (self.scores <= max_score))
        order = candidates[np.lexsort((candidates, self.scores[candidates]))]
        if limit is not None:
            order = order[:limit]
        result = []
        for item in order.tolist():
            start, stop = int(self.conflict_start[item]), int(self.conflict_start[item + 1])
            part = Conflicts(*(np.asarray(getattr(self.conflicts, f))[start:stop] for f in _FIELDS))
            records = conflict_records(
                part,
                annotator_ids=self.annotator_ids,
                boxes=self.boxes,
                label_names=self.label_names,
                item_ids=self.item_ids,
            )
            result.append(
                ItemAgreement(
                    item=plain(self.item_ids[item]),
                    score=float(self.scores[item]),
                    n_annotations=int(self.n_annotations[item]),
                    conflicts=tuple(records),
                )
            )
        return tuple(result)


_FIELDS = ("item", "kind", "annotator", "peer", "box", "peer_box", "label", "peer_label", "iou")


@dataclass(frozen=True)
class AgreementReport:
    """The project's agreement report; :meth:`to_dict` is JSON-ready (no NaN)."""

    kind: ReportKind
    labels: tuple[str, ...]
    n_items: int
    n_ignored_items: int
    n_units: int
    alpha: AlphaResult
    interval: BootstrapInterval | None
    per_label: tuple[LabelAgreement, ...]
    pairwise: tuple[PairAgreement, ...]
    annotators: tuple[AnnotatorAgreement, ...]
    max_item_score: float
    low_agreement_items: tuple[ItemAgreement, ...]
    conflict_counts: dict[str, int]
    thresholds: tuple[float, ...] | None = None
    f1: tuple[float | None, ...] | None = None
    mean_iou: float | None = None
    details: ItemDetails | None = field(default=None, repr=False, compare=False)

    def items_below(self, max_score: float, *, limit: int | None = None) -> tuple[ItemAgreement, ...]:
        """Items whose agreement score is at most ``max_score``, lowest first."""
        return () if self.details is None else self.details.below(max_score, limit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": list(self.labels),
            "n_items": self.n_items,
            "n_ignored_items": self.n_ignored_items,
            "n_units": self.n_units,
            "alpha": self.alpha.to_dict(),
            "interval": None if self.interval is None else self.interval.to_dict(),
            "per_label": [entry.to_dict() for entry in self.per_label],
            "pairwise": [entry.to_dict() for entry in self.pairwise],
            "annotators": [entry.to_dict() for entry in self.annotators],
            "max_item_score": self.max_item_score,
            "low_agreement_items": [entry.to_dict() for entry in self.low_agreement_items],
            "conflict_counts": dict(self.conflict_counts),
            "thresholds": None if self.thresholds is None else list(self.thresholds),
            "f1": None if self.f1 is None else list(self.f1),
            "mean_iou": self.mean_iou,
        }
