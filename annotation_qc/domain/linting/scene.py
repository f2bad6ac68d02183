"""The annotation being linted, with the arrays the rules share (computed once, on first use)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain import geometry
from annotation_qc.domain.linting.size_stats import LabelSizeStats
from annotation_qc.domain.payloads import ProjectKind

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Scene:
    """One annotation plus its context. ``boxes`` is ``(n, 4)`` ``[x, y, w, h]`` in pixels and
    ``labels`` one label per box; a classification scene has no boxes and ``labels`` holds its
    single label (or nothing when the payload has none)."""

    kind: ProjectKind
    width: float
    height: float
    boxes: FloatArray
    labels: tuple[str, ...]
    project_labels: tuple[str, ...]
    stats: Mapping[str, LabelSizeStats]
    time_spent_s: float | None
    median_time_s: float | None
    _pairs: dict[float, tuple[IntArray, IntArray]] = field(default_factory=dict, init=False, repr=False)

    @property
    def box_count(self) -> int:
        return len(self.boxes)

    @cached_property
    def iou(self) -> FloatArray:
        """IoU of every box with every box, ``(n, n)``: the one matrix all overlap rules share."""
        return geometry.iou_matrix(self.boxes, self.boxes)

    @cached_property
    def _label_index(self) -> tuple[tuple[str, ...], IntArray]:
        distinct = tuple(dict.fromkeys(self.labels))
        position = {name: k for k, name in enumerate(distinct)}
        codes = np.fromiter(map(position.__getitem__, self.labels), dtype=np.intp, count=len(self.labels))
        return distinct, codes

    @property
    def distinct_labels(self) -> tuple[str, ...]:
        """The distinct labels in order of first appearance; ``label_codes`` index into it."""
        return self._label_index[0]

    @property
    def label_codes(self) -> IntArray:
        """One integer per entry of ``labels``: its position in ``distinct_labels``."""
        return self._label_index[1]

    @cached_property
    def known_labels(self) -> BoolArray:
        """Per entry of ``labels``: is it in the project's label set?"""
        project = set(self.project_labels)
        known = np.array([name in project for name in self.distinct_labels], dtype=np.bool_)
        result: BoolArray = known[self.label_codes]
        return result

    @cached_property
    def areas(self) -> FloatArray:
        return geometry.areas(self.boxes)

    @cached_property
    def image_area(self) -> float:
        return float(self.width * self.height)

    @cached_property
    def inside_areas(self) -> FloatArray:
        """Area of each box that lies inside the image."""
        size = np.array([self.width, self.height])
        low = np.minimum(np.maximum(self.boxes[:, :2], 0.0), size)
        high = np.minimum(np.maximum(self.boxes[:, :2] + self.boxes[:, 2:], 0.0), size)
        inside = high - low
        result: FloatArray = inside[:, 0] * inside[:, 1]
        return result

    @cached_property
    def log_area_fractions(self) -> FloatArray:
        """``log(w * h / image area)`` per box (the scale of :mod:`size_stats`)."""
        with np.errstate(divide="ignore"):
            result: FloatArray = np.log(self.areas / self.image_area)
        return result

    def near_identical_pairs(self, min_iou: float) -> tuple[IntArray, IntArray]:
        """Index pairs ``(i, j)`` with ``i < j`` and IoU at least ``min_iou``, in row-major order
        (cached per threshold: rules sharing a threshold share the pairs too)."""
        cached = self._pairs.get(min_iou)
        if cached is None:
            mask = self.iou >= min_iou
            np.fill_diagonal(mask, False)
            rows = np.flatnonzero(mask.any(axis=1))  # few rows have a near-identical partner
            row_in_rows, second = np.nonzero(mask[rows])
            first = rows[row_in_rows]
            upper = first < second
            cached = (first[upper].astype(np.intp), second[upper].astype(np.intp))
            self._pairs[min_iou] = cached
        return cached
