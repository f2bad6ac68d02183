"""Scoring a submitted annotation against gold: was the seeded mistake fixed?

Boxes are matched one-to-one on IoU alone (Hungarian, :mod:`geometry`), and a matched pair
whose labels differ counts as ``wrong_label``. So a relabelled box the annotator left alone
shows up as one wrong label, not as a missed object plus an extra box.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from annotation_qc.domain.geometry import boxes_from_payload, iou_matrix, match_from_iou

ObjectStatus = Literal["matched", "missed", "wrong_label"]
OBJECT_STATUSES: tuple[ObjectStatus, ...] = ("matched", "missed", "wrong_label")

#: Added to the IoU of label-agreeing pairs before matching. Far below any real IoU difference,
#: it only breaks exact ties (two gold boxes with the same coordinates and different labels).
LABEL_TIE_BREAK = 1e-6


@dataclass(frozen=True)
class ObjectOutcome:
    """What became of one gold object."""

    gold_index: int
    submitted_index: int | None
    iou: float | None
    status: ObjectStatus
    gold_label: str
    submitted_label: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "gold_index": self.gold_index,
            "submitted_index": self.submitted_index,
            "iou": self.iou,
            "status": self.status,
            "gold_label": self.gold_label,
            "submitted_label": self.submitted_label,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectOutcome:
        status = str(data["status"])
        if status not in OBJECT_STATUSES:
            raise ValueError(f"unknown object status {status!r}")
        submitted_index = data["submitted_index"]
        iou = data["iou"]
        submitted_label = data["submitted_label"]
        return cls(
            gold_index=int(data["gold_index"]),
            submitted_index=None if submitted_index is None else int(submitted_index),
            iou=None if iou is None else float(iou),
            status=status,  # type: ignore[arg-type]  # checked against OBJECT_STATUSES above
            gold_label=str(data["gold_label"]),
            submitted_label=None if submitted_label is None else str(submitted_label),
        )


@dataclass(frozen=True)
class BenchmarkOutcome:
    """The score of one benchmark submission.

    ``fixed`` holds when every gold object is matched with the right label and nothing extra
    was submitted. ``extra_indices`` are the submitted boxes no gold object matched.
    """

    fixed: bool
    matched: int
    missed: int
    extra: int
    wrong_label: int
    objects: tuple[ObjectOutcome, ...]
    extra_indices: tuple[int, ...]
    min_iou: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "fixed": self.fixed,
            "matched": self.matched,
            "missed": self.missed,
            "extra": self.extra,
            "wrong_label": self.wrong_label,
            "objects": [obj.to_dict() for obj in self.objects],
            "extra_indices": list(self.extra_indices),
            "min_iou": self.min_iou,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchmarkOutcome:
        return cls(
            fixed=bool(data["fixed"]),
            matched=int(data["matched"]),
            missed=int(data["missed"]),
            extra=int(data["extra"]),
            wrong_label=int(data["wrong_label"]),
            objects=tuple(ObjectOutcome.from_dict(obj) for obj in data["objects"]),
            extra_indices=tuple(int(i) for i in data["extra_indices"]),
            min_iou=float(data["min_iou"]),
        )


def score_submission(
    gold: Mapping[str, Any], submitted: Mapping[str, Any], *, min_iou: float = 0.7
) -> BenchmarkOutcome:
    """Score ``submitted`` against ``gold`` (both bbox payloads, or both classification payloads)."""
    if not 0.0 < min_iou <= 1.0:
        raise ValueError(f"min_iou must be in (0, 1], got {min_iou}")
    gold_is_bbox = "boxes" in gold
    if gold_is_bbox != ("boxes" in submitted):
        raise ValueError(
            "gold and submitted payloads must both be bbox payloads or both classification payloads"
        )
    if gold_is_bbox:
        return _score_boxes(gold, submitted, min_iou)
    return _score_class(gold, submitted, min_iou)


def _score_class(gold: Mapping[str, Any], submitted: Mapping[str, Any], min_iou: float) -> BenchmarkOutcome:
    if "label" not in gold:
        raise ValueError("gold payload has neither 'boxes' nor 'label'")
    gold_label = str(gold["label"])
    raw = submitted.get("label")
    submitted_label = None if raw is None else str(raw)
    status: ObjectStatus
    if submitted_label is None:
        status = "missed"
    elif submitted_label == gold_label:
        status = "matched"
    else:
        status = "wrong_label"
    obj = ObjectOutcome(
        gold_index=0,
        submitted_index=None if submitted_label is None else 0,
        iou=None,
        status=status,
        gold_label=gold_label,
        submitted_label=submitted_label,
    )
    return BenchmarkOutcome(
        fixed=status == "matched",
        matched=int(status == "matched"),
        missed=int(status == "missed"),
        extra=0,
        wrong_label=int(status == "wrong_label"),
        objects=(obj,),
        extra_indices=(),
        min_iou=min_iou,
    )


def _score_boxes(gold: Mapping[str, Any], submitted: Mapping[str, Any], min_iou: float) -> BenchmarkOutcome:
    gold_boxes, gold_labels = boxes_from_payload(gold["boxes"])
    sub_boxes, sub_labels = boxes_from_payload(submitted["boxes"])
    gold_label_array = np.asarray(gold_labels, dtype=np.str_)
    sub_label_array = np.asarray(sub_labels, dtype=np.str_)

    iou = iou_matrix(gold_boxes, sub_boxes)
    same_label = gold_label_array[:, None] == sub_label_array[None, :]
    tie_break = np.where((iou >= min_iou) & same_label, LABEL_TIE_BREAK, 0.0)
    pairs = match_from_iou(iou + tie_break, min_iou)

    gold_rows = np.array([r for r, _, _ in pairs], dtype=np.int64)
    sub_cols = np.array([c for _, c, _ in pairs], dtype=np.int64)
    partner = np.full(len(gold_boxes), -1, dtype=np.int64)
    partner[gold_rows] = sub_cols
    pair_iou = np.full(len(gold_boxes), np.nan)
    pair_iou[gold_rows] = iou[gold_rows, sub_cols]
    label_ok = np.zeros(len(gold_boxes), dtype=bool)
    label_ok[gold_rows] = gold_label_array[gold_rows] == sub_label_array[sub_cols]
    status = np.where(partner < 0, "missed", np.where(label_ok, "matched", "wrong_label"))
    is_extra = np.ones(len(sub_boxes), dtype=bool)
    is_extra[sub_cols] = False

    objects = tuple(
        ObjectOutcome(
            gold_index=index,
            submitted_index=None if col < 0 else col,
            iou=None if col < 0 else value,
            status=stat,
            gold_label=gold_labels[index],
            submitted_label=None if col < 0 else sub_labels[col],
        )
        for index, (col, value, stat) in enumerate(
            zip(partner.tolist(), pair_iou.tolist(), status.tolist(), strict=True)
        )
    )
    matched = int(np.count_nonzero(status == "matched"))
    missed = int(np.count_nonzero(status == "missed"))
    wrong_label = int(np.count_nonzero(status == "wrong_label"))
    extra_indices = tuple(np.flatnonzero(is_extra).tolist())
    return BenchmarkOutcome(
        fixed=missed == 0 and wrong_label == 0 and not extra_indices,
        matched=matched,
        missed=missed,
        extra=len(extra_indices),
        wrong_label=wrong_label,
        objects=objects,
        extra_indices=extra_indices,
        min_iou=min_iou,
    )
