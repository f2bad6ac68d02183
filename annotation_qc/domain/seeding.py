"""Seeded-error benchmarks: a gold annotation with one deliberate, realistic mistake.

The seeded payload is served as an ordinary pre-annotation; :func:`scoring.score_submission`
later tells whether the annotator fixed it. Every mistake is large enough to fail that score
at ``min_iou=0.7`` and looks like one a model or a hurried person makes:

- ``shift``: one box moved so its IoU with its object is 0.35-0.55 (still on the object);
- ``oversize``: one box grown around its object so their IoU is 0.4-0.6;
- ``drop``: one gold box removed;
- ``duplicate``: a near-copy (IoU >= 0.9, same label) of one gold box added;
- ``relabel``: one box (or the class) given another label from the label set;
- ``spurious``: a box of a plausible size and a known label added on free space.

Changed and added boxes stay inside the image (geometry in :mod:`seeded_boxes`); the output
boxes are shuffled so their order does not point at the mistake, and every coordinate is
rounded to 0.01 px like a model's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.geometry import boxes_from_payload, boxes_to_payload
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.seeded_boxes import (
    DERIVED_KINDS,
    derived_box,
    has_derived_box,
    has_spurious_box,
    spurious_box,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ProjectKind = Literal["bbox", "classification"]

BOX_ERROR_KINDS: tuple[str, ...] = ("shift", "oversize", "drop", "duplicate", "relabel", "spurious")
CLASS_ERROR_KINDS: tuple[str, ...] = ("relabel",)
#: The share a label the model never writes still gets when wrong labels follow the model's mix.
UNSEEN_LABEL_SHARE = 0.002


class SeedingError(ValueError):
    """The error kind cannot be seeded into this gold annotation."""


@dataclass(frozen=True)
class SeededError:
    """A seeded payload and what was done to it.

    ``label`` is the label the mistake concerns: the gold label of the changed, dropped or
    copied box (or the gold class), or the label of a spurious box. ``gold_index`` is the
    index of the gold box concerned (``None`` for a spurious box and for classification).
    """

    payload: dict[str, Any]
    kind: str
    label: str
    gold_index: int | None


def applicable_error_kinds(
    gold: Mapping[str, Any],
    *,
    project_kind: ProjectKind,
    labels: Sequence[str],
    width: float,
    height: float,
) -> tuple[str, ...]:
    """The error kinds :func:`seed_error` can plant in ``gold``, in :data:`BOX_ERROR_KINDS` order.

    relabel needs another label in the label set; shift, oversize, drop and duplicate need a
    gold box (shift and oversize also room in the image away from the other gold boxes);
    spurious needs a label and free space.
    """
    _check_image(width, height)
    label_set = _unique(labels)
    if project_kind == "classification":
        if "boxes" in gold:
            raise SeedingError("a classification project needs a {'label': ...} gold payload, got boxes")
        return ("relabel",) if _other_labels(_class_label(gold), label_set) else ()
    if project_kind != "bbox":
        raise SeedingError(f"unknown project kind {project_kind!r}")
    boxes, box_labels = _gold_boxes(gold)
    n = len(boxes)
    feasible = {
        "shift": n > 0 and has_derived_box(boxes, "shift", width, height),
        "oversize": n > 0 and has_derived_box(boxes, "oversize", width, height),
        "drop": n > 0,
        "duplicate": n > 0 and has_derived_box(boxes, "duplicate", width, height),
        "relabel": _relabel_rows(box_labels, label_set).size > 0,
        "spurious": bool(label_set) and has_spurious_box(boxes, width, height),
    }
    return tuple(kind for kind in BOX_ERROR_KINDS if feasible[kind])


def seed_error(
    gold: Mapping[str, Any],
    kind: str,
    *,
    width: float,
    height: float,
    labels: Sequence[str],
    rng: np.random.Generator,
) -> dict[str, Any]:
    """A new payload, in ``gold``'s format, holding exactly one mistake of ``kind``.

    Deterministic for a given state of ``rng``. Raises :class:`SeedingError` when the kind
    does not apply (see :func:`applicable_error_kinds`).
    """
    return seed_error_detailed(gold, kind, width=width, height=height, labels=labels, rng=rng).payload


def seed_error_detailed(
    gold: Mapping[str, Any],
    kind: str,
    *,
    width: float,
    height: float,
    labels: Sequence[str],
    rng: np.random.Generator,
    label_shares: Mapping[str, float] | None = None,
    iou_ranges: Mapping[str, tuple[float, float]] | None = None,
) -> SeededError:
    """Like :func:`seed_error`, also saying which label and gold box the mistake concerns.

    A wrong or spurious label is drawn uniformly from the candidates, or, given ``label_shares``
    (how often the model writes each label), in proportion to them: the labels of seeded mistakes
    then follow the model's label mix instead of the label set's. ``iou_ranges`` gives, per kind
    (shift, oversize), the IoU with its object a moved or grown box aims at (the model's own sizes).
    """
    _check_image(width, height)
    label_set = _unique(labels)
    if "boxes" not in gold:
        if kind not in CLASS_ERROR_KINDS:
            raise SeedingError(
                f"error kind {kind!r} does not apply to a classification payload; "
                f"choose one of {CLASS_ERROR_KINDS}"
            )
        return _relabel_class(gold, label_set, rng, label_shares)
    if kind not in BOX_ERROR_KINDS:
        raise SeedingError(f"unknown error kind {kind!r}; choose one of {BOX_ERROR_KINDS}")
    boxes, box_labels = _gold_boxes(gold)
    if kind in ("drop", *DERIVED_KINDS) and len(boxes) == 0:
        raise SeedingError(f"error kind {kind!r} needs a gold box, and the gold annotation has none")

    out_boxes = boxes.copy()
    out_labels = list(box_labels)
    gold_index: int | None
    if kind == "drop":
        gold_index = int(rng.integers(len(boxes)))
        label = out_labels.pop(gold_index)
        out_boxes = np.delete(out_boxes, gold_index, axis=0)
    elif kind == "relabel":
        rows = _relabel_rows(box_labels, label_set)
        if rows.size == 0:
            raise SeedingError(f"relabel needs another label than the boxes' in the label set {label_set}")
        gold_index = int(rng.choice(rows))
        label = box_labels[gold_index]
        out_labels[gold_index] = _draw_label(_other_labels(label, label_set), rng, label_shares)
    elif kind == "spurious":
        if not label_set:
            raise SeedingError("spurious needs a non-empty label set")
        new_box = spurious_box(boxes, width, height, rng)
        if new_box is None:
            raise SeedingError("spurious needs free space in the image, and the gold boxes cover it")
        gold_index = None
        label = _draw_label(label_set, rng, label_shares)
        out_boxes = np.vstack([out_boxes, new_box[None, :]])
        out_labels.append(label)
    else:
        picked = derived_box(boxes, kind, width, height, rng, (iou_ranges or {}).get(kind))
        if picked is None:
            raise SeedingError(
                f"no gold box can take a {kind!r} error inside the {width:g} x {height:g} image "
                "without coming too close to another gold box"
            )
        gold_index, new_box = picked
        label = box_labels[gold_index]
        if kind == "duplicate":
            out_boxes = np.vstack([out_boxes, new_box[None, :]])
            out_labels.append(label)
        else:
            out_boxes[gold_index] = new_box

    order = rng.permutation(len(out_boxes))
    payload = {"boxes": boxes_to_payload(out_boxes[order], [out_labels[i] for i in order.tolist()])}
    if score_submission(gold, payload).fixed:  # a guard on the rules above; not expected to fire
        raise SeedingError(f"could not seed a {kind!r} error that fails scoring in this gold annotation")
    return SeededError(payload=payload, kind=kind, label=label, gold_index=gold_index)


def choose_error_kind(
    applicable: Sequence[str], counts_by_kind: Mapping[str, int], rng: np.random.Generator
) -> str:
    """The applicable kind this annotator has been served least, ties broken at random."""
    kinds = _unique(applicable)
    if not kinds:
        raise SeedingError("no error kind applies to this gold annotation")
    counts = np.array([counts_by_kind.get(kind, 0) for kind in kinds], dtype=np.int64)
    least = np.flatnonzero(counts == counts.min())
    return kinds[int(rng.choice(least))]


def _check_image(width: float, height: float) -> None:
    if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
        raise SeedingError(f"image size must be positive and finite, got {width} x {height}")


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values))


def _class_label(gold: Mapping[str, Any]) -> str:
    label = gold.get("label")
    if not isinstance(label, str):
        raise SeedingError("a classification gold payload needs a string 'label'")
    return label


def _gold_boxes(gold: Mapping[str, Any]) -> tuple[FloatArray, list[str]]:
    raw = gold.get("boxes")
    if not isinstance(raw, list):
        raise SeedingError("a bbox gold payload needs a 'boxes' list")
    try:
        boxes, labels = boxes_from_payload(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise SeedingError(f"gold boxes are malformed: {exc}") from exc
    if not np.isfinite(boxes).all() or (boxes[:, 2:] <= 0).any():
        raise SeedingError("gold boxes need finite coordinates and a positive width and height")
    return boxes, labels


def _other_labels(label: str, label_set: Sequence[str]) -> list[str]:
    return [candidate for candidate in label_set if candidate != label]


def _relabel_rows(box_labels: Sequence[str], label_set: Sequence[str]) -> IntArray:
    """Indices of the boxes that have another label to take."""
    if len(label_set) >= 2:
        return np.arange(len(box_labels), dtype=np.int64)
    if not label_set:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.asarray(box_labels, dtype=np.str_) != label_set[0]).astype(np.int64)


def _draw_label(
    candidates: Sequence[str], rng: np.random.Generator, label_shares: Mapping[str, float] | None
) -> str:
    """One of ``candidates``: uniformly, or in proportion to ``label_shares`` (a label the model
    never writes keeps a small chance, :data:`UNSEEN_LABEL_SHARE`)."""
    if not label_shares:
        return str(rng.choice(candidates))
    weights = np.array([max(float(label_shares.get(c, 0.0)), 0.0) + UNSEEN_LABEL_SHARE for c in candidates])
    return str(candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))])


def _relabel_class(
    gold: Mapping[str, Any],
    label_set: Sequence[str],
    rng: np.random.Generator,
    label_shares: Mapping[str, float] | None = None,
) -> SeededError:
    gold_label = _class_label(gold)
    others = _other_labels(gold_label, label_set)
    if not others:
        raise SeedingError(
            f"relabel needs a label other than {gold_label!r} in the label set {list(label_set)}"
        )
    return SeededError(
        payload={"label": _draw_label(others, rng, label_shares)},
        kind="relabel",
        label=gold_label,
        gold_index=None,
    )
