"""Rules over pairs of near-identical boxes, read off the scene's one IoU matrix.

Overlapping pairs are grouped into connected components, so three copies of one box give one
finding ("Boxes 2, 5 and 7 ...") rather than three pairwise ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annotation_qc.domain.linting.findings import box_list, quoted_list
from annotation_qc.domain.linting.registry import Flag, RuleSettings, rule, setting
from annotation_qc.domain.linting.scene import IntArray, Scene


@dataclass(frozen=True, order=True)
class OverlapGroup:
    boxes: tuple[int, ...]
    min_iou: float
    max_iou: float

    def iou_text(self) -> str:
        low, high = f"{self.min_iou:.2f}", f"{self.max_iou:.2f}"
        return f"IoU {low}" if low == high else f"IoU {low}-{high}"


def component_roots(first: IntArray, second: IntArray, n: int) -> IntArray:
    """Per box (of ``n``), the lowest box of its connected component in the graph whose edges are
    ``(first[k], second[k])``. Min-label propagation with pointer jumping: each round is a few
    array operations over the edges, and the rounds grow with the log of the longest chain."""
    root = np.arange(n, dtype=np.intp)
    while True:
        lowest = np.minimum(root[first], root[second])
        updated = root.copy()
        np.minimum.at(updated, first, lowest)
        np.minimum.at(updated, second, lowest)
        updated = updated[updated]
        if np.array_equal(updated, root):
            return root
        root = updated


def overlap_groups(scene: Scene, first: IntArray, second: IntArray) -> list[OverlapGroup]:
    """Connected components of the graph whose edges are the pairs ``(first[k], second[k])``,
    each with the lowest and highest IoU among its edges; ordered by their lowest box."""
    if len(first) == 0:
        return []
    edge_iou = scene.iou[first, second]
    degree = np.bincount(np.concatenate([first, second]), minlength=scene.box_count)
    if degree.max() == 1:  # the usual case: separate pairs, each its own group
        return sorted(
            OverlapGroup((i, j), v, v)
            for i, j, v in zip(first.tolist(), second.tolist(), edge_iou.tolist(), strict=True)
        )
    root = component_roots(first, second, scene.box_count)
    low = np.full(scene.box_count, np.inf)
    high = np.full(scene.box_count, -np.inf)
    np.minimum.at(low, root[first], edge_iou)
    np.maximum.at(high, root[first], edge_iou)
    members = np.flatnonzero(degree)
    members = members[np.argsort(root[members], kind="stable")]
    starts = np.flatnonzero(np.diff(root[members], prepend=-1))
    groups = np.split(members, starts[1:])
    roots = root[members[starts]]
    return [
        OverlapGroup(tuple(group.tolist()), lo, hi)
        for group, lo, hi in zip(groups, low[roots].tolist(), high[roots].tolist(), strict=True)
    ]


@dataclass(frozen=True, kw_only=True)
class DuplicateBoxSettings(RuleSettings):
    #: Boxes with the same label and at least this IoU are duplicates.
    min_iou: float = setting(0.9, low=0.0, high=1.0, low_open=True)


@rule(DuplicateBoxSettings)
def duplicate_box(scene: Scene, settings: DuplicateBoxSettings) -> list[Flag]:
    """The same object boxed twice: same label, IoU at or above ``min_iou``."""
    first, second = scene.near_identical_pairs(settings.min_iou)
    same = scene.label_codes[first] == scene.label_codes[second]
    return [
        Flag(group.boxes, f"{box_list(group.boxes)} are duplicates ({group.iou_text()})")
        for group in overlap_groups(scene, first[same], second[same])
    ]


@dataclass(frozen=True, kw_only=True)
class ConflictingLabelsSettings(RuleSettings):
    #: Boxes with different labels and at least this IoU cover the same object.
    min_iou: float = setting(0.9, low=0.0, high=1.0, low_open=True)


@rule(ConflictingLabelsSettings)
def conflicting_labels(scene: Scene, settings: ConflictingLabelsSettings) -> list[Flag]:
    """One object given two labels: near-identical boxes (IoU at or above ``min_iou``) that
    disagree. A warning by default: some label sets legitimately nest (``person``/``rider``)."""
    first, second = scene.near_identical_pairs(settings.min_iou)
    differ = scene.label_codes[first] != scene.label_codes[second]
    flags = []
    for group in overlap_groups(scene, first[differ], second[differ]):
        names = list(dict.fromkeys(scene.labels[i] for i in group.boxes))
        message = (
            f"{box_list(group.boxes)} are near-identical but labelled {quoted_list(names)} "
            f"({group.iou_text()})"
        )
        flags.append(Flag(group.boxes, message))
    return flags
