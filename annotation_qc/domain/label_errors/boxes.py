"""Label errors in bounding-box annotations against a model's predictions (after ObjectLab,
Tkachenko, Thyagarajan and Mueller, 2023).

For one image: the given boxes (with class columns) and the model's predicted boxes (class
columns and confidence scores, all of them, low scores included). Every score is in [0, 1],
higher = more likely an error:

* **overlooked**: a predicted box that no given box of its class overlaps (IoU ``overlap_iou`` or
  more) and no box of any class covers (IoU ``match_iou`` or more): the model's confidence that an
  object is there but was not drawn.
* **badly located**: a given box whose best same-class prediction overlaps it only partly:
  ``score * (1 - IoU)`` for that prediction (a confident model box somewhere else).
* **wrong class**: a given box that a prediction of another class covers (IoU at least
  ``match_iou``) while no prediction of its own class does: that prediction's confidence, less the
  confidence of the best same-class prediction that overlaps it at all.
* **spurious**: a given box that no confident prediction overlaps: one minus the highest confidence
  among the predictions (any class) overlapping it at ``overlap_iou`` or more.

Each given box is reported under its highest-scoring kind. The image's score pools the box
scores with a softmax (temperature ``pool_temperature``), so one clear error dominates many small
ones without the image score reducing to a single box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.geometry import as_boxes, iou_matrix
from annotation_qc.domain.label_errors.classification import FloatArray, IntArray


class BoxIssue(StrEnum):
    OVERLOOKED = "overlooked"
    BADLY_LOCATED = "badly_located"
    WRONG_CLASS = "wrong_class"
    SPURIOUS = "spurious"


@dataclass(frozen=True)
class BoxScoringConfig:
    match_iou: float = 0.5
    overlap_iou: float = 0.1
    #: A finding is flagged at or above its kind's threshold. Spurious asks for more: a true object
    #: the model merely missed scores high there too.
    thresholds: tuple[tuple[BoxIssue, float], ...] = (
        (BoxIssue.OVERLOOKED, 0.5),
        (BoxIssue.BADLY_LOCATED, 0.4),
        (BoxIssue.WRONG_CLASS, 0.6),
        (BoxIssue.SPURIOUS, 0.8),
    )
    pool_temperature: float = 0.1


@dataclass(frozen=True)
class BoxFinding:
    """A suspected error: a given box (``given_index``) or an overlooked prediction (``predicted_index``)."""

    kind: BoxIssue
    score: float
    given_index: int | None
    predicted_index: int | None
    label: int
    predicted_label: int | None = None
    predicted_score: float | None = None
    iou: float | None = None


@dataclass(frozen=True)
class ImageScore:
    score: float
    #: Per given box: its highest issue score (0 for none) and kind.
    box_scores: FloatArray
    box_kinds: list[BoxIssue | None]
    findings: list[BoxFinding] = field(default_factory=list)

    def flagged(self, config: BoxScoringConfig | None = None) -> list[BoxFinding]:
        """The findings at or above their kind's threshold."""
        thresholds = dict((config or BoxScoringConfig()).thresholds)
        return [f for f in self.findings if f.score >= thresholds.get(f.kind, 1.0)]


def score_image(
    given_boxes: ArrayLike,
    given_labels: Sequence[int] | IntArray,
    predicted_boxes: ArrayLike,
    predicted_labels: Sequence[int] | IntArray,
    predicted_scores: Sequence[float] | FloatArray,
    *,
    config: BoxScoringConfig | None = None,
) -> ImageScore:
    """Score every given box and every overlooked prediction of one image."""
    cfg = config or BoxScoringConfig()
    given = as_boxes(given_boxes)
    predicted = as_boxes(predicted_boxes)
    g_labels = np.asarray(given_labels, dtype=np.int64).reshape(-1)
    p_labels = np.asarray(predicted_labels, dtype=np.int64).reshape(-1)
    p_scores = np.clip(np.asarray(predicted_scores, dtype=np.float64).reshape(-1), 0.0, 1.0)
    if len(g_labels) != len(given):
        raise ValueError(f"need a label per given box ({len(given)}), got {len(g_labels)}")
    if len(p_labels) != len(predicted) or len(p_scores) != len(predicted):
        raise ValueError(f"need a label and a score per predicted box ({len(predicted)})")
    iou = iou_matrix(given, predicted)  # (n, m)
    same = g_labels[:, None] == p_labels[None, :]

    findings: list[BoxFinding] = []
    n = len(given)
    kind_scores = np.zeros((n, 3), dtype=np.float64)  # badly located, wrong class, spurious
    if n:
        # Badly located: the best same-class prediction by score * IoU among those overlapping.
        overlapping_same = same & (iou >= cfg.overlap_iou)
        located = np.where(overlapping_same, p_scores[None, :] * (1.0 - iou), 0.0)
        # Only a partial overlap counts; a same-class box at match_iou or better is the object itself.
        well_placed = (same & (iou >= cfg.match_iou)).any(axis=1)
        kind_scores[:, 0] = np.where(well_placed, 0.0, located.max(axis=1) if located.size else 0.0)
        # Wrong class: a covering prediction of another class, against the same-class support.
        other_cover = np.where(~same & (iou >= cfg.match_iou), p_scores[None, :], 0.0)
        best_same_overlap = np.where(overlapping_same, p_scores[None, :], 0.0)
        wrong = (other_cover.max(axis=1) if other_cover.size else np.zeros(n)) - (
            best_same_overlap.max(axis=1) if best_same_overlap.size else np.zeros(n)
        )
        kind_scores[:, 1] = np.where(well_placed, 0.0, np.clip(wrong, 0.0, 1.0))
        # Spurious: no prediction of any class overlaps it (its best overlapping confidence, inverted).
        overlapping_any = np.where(iou >= cfg.overlap_iou, p_scores[None, :], 0.0)
        kind_scores[:, 2] = 1.0 - (overlapping_any.max(axis=1) if overlapping_any.size else np.zeros(n))
    box_kind_columns = (BoxIssue.BADLY_LOCATED, BoxIssue.WRONG_CLASS, BoxIssue.SPURIOUS)
    best_column = kind_scores.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
    box_scores = kind_scores.max(axis=1) if n else np.zeros(0)
    box_kinds: list[BoxIssue | None] = []
    for index in range(n):
        if box_scores[index] <= 0:
            box_kinds.append(None)
            continue
        kind = box_kind_columns[int(best_column[index])]
        box_kinds.append(kind)
        reference = _reference_prediction(kind, index, iou, same, p_scores, cfg)
        findings.append(
            BoxFinding(
                kind=kind,
                score=float(box_scores[index]),
                given_index=index,
                predicted_index=reference,
                label=int(g_labels[index]),
                predicted_label=None if reference is None else int(p_labels[reference]),
                predicted_score=None if reference is None else float(p_scores[reference]),
                iou=None if reference is None else float(iou[index, reference]),
            )
        )
    # Overlooked: predictions no given box overlaps at all.
    # A prediction is covered by a given box of its class overlapping it at all, or by any box
    # covering it at match_iou (a relabelled box is a wrong-class finding, not an overlooked one).
    covered = ((same & (iou >= cfg.overlap_iou)) | (iou >= cfg.match_iou)).any(axis=0)
    uncovered = ~covered if n else np.ones(len(predicted), dtype=bool)
    for p_index in np.flatnonzero(uncovered & (p_scores > 0)).tolist():
        findings.append(
            BoxFinding(
                kind=BoxIssue.OVERLOOKED,
                score=float(p_scores[p_index]),
                given_index=None,
                predicted_index=int(p_index),
                label=int(p_labels[p_index]),
                predicted_label=int(p_labels[p_index]),
                predicted_score=float(p_scores[p_index]),
            )
        )
    findings.sort(key=lambda f: -f.score)
    all_scores = np.asarray([f.score for f in findings], dtype=np.float64)
    return ImageScore(
        score=pool_scores(all_scores, cfg.pool_temperature),
        box_scores=np.asarray(box_scores, dtype=np.float64),
        box_kinds=box_kinds,
        findings=findings,
    )


def pool_scores(scores: FloatArray, temperature: float) -> float:
    """Softmax-weighted mean of the scores (0 for none): near the maximum, pulled by the rest."""
    if scores.size == 0:
        return 0.0
    weights = np.exp((scores - scores.max()) / temperature)
    return float((scores * weights).sum() / weights.sum())


def _reference_prediction(
    kind: BoxIssue, index: int, iou: FloatArray, same: np.ndarray, scores: FloatArray, cfg: BoxScoringConfig
) -> int | None:
    if iou.shape[1] == 0:
        return None
    if kind is BoxIssue.BADLY_LOCATED:
        candidate = np.where(same[index] & (iou[index] >= cfg.overlap_iou), scores * (1 - iou[index]), -1.0)
    elif kind is BoxIssue.WRONG_CLASS:
        candidate = np.where(~same[index] & (iou[index] >= cfg.match_iou), scores, -1.0)
    else:
        return None
    best = int(candidate.argmax())
    return best if candidate[best] >= 0 else None


def describe_box(finding: BoxFinding, class_names: Sequence[str]) -> str:
    """A human reason for one finding."""
    label = class_names[finding.label] if 0 <= finding.label < len(class_names) else str(finding.label)
    if finding.kind is BoxIssue.OVERLOOKED:
        return f"no box drawn where the model sees {label} ({finding.predicted_score or 0:.2f})"
    if finding.kind is BoxIssue.WRONG_CLASS and finding.predicted_label is not None:
        other = class_names[finding.predicted_label]
        return f"box labelled {label}, model {finding.predicted_score or 0:.2f} {other}"
    if finding.kind is BoxIssue.BADLY_LOCATED:
        return f"{label} box badly placed: IoU {finding.iou or 0:.2f} with the model's {label}"
    return f"{label} box where the model sees nothing"
