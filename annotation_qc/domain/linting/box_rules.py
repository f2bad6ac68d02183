"""Rules about each box's own size, shape and position, and about the number of boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annotation_qc.domain.linting.findings import Severity, number
from annotation_qc.domain.linting.registry import Flag, RuleSettings, rule, setting
from annotation_qc.domain.linting.scene import FloatArray, Scene
from annotation_qc.domain.linting.size_stats import robust_z

SIDES = ("left", "top", "right", "bottom")


@dataclass(frozen=True, kw_only=True)
class OversizedBoxSettings(RuleSettings):
    #: Boxes covering at least this share of the image are flagged.
    area_fraction: float = setting(0.8, low=0.0, high=1.0, low_open=True)
    #: Where the project has size statistics for the box's label: boxes whose modified z-score of
    #: log area fraction is at least this are flagged (Iglewicz and Hoaglin's outlier cut).
    size_z: float = setting(3.5, low=0.0, low_open=True)


def label_size_z(scene: Scene) -> FloatArray:
    """Modified z-score of each box's log area fraction for its label; NaN without statistics."""
    names = scene.distinct_labels
    median = np.full(len(names), np.nan)
    mad = np.full(len(names), np.nan)
    for k, name in enumerate(names):  # once per distinct label, not per box
        stats = scene.stats.get(name)
        if stats is not None:
            median[k], mad[k] = stats.median_log_area, stats.mad_log_area
    codes = scene.label_codes
    return robust_z(scene.log_area_fractions, median[codes], mad[codes])


@rule(OversizedBoxSettings)
def oversized_box(scene: Scene, settings: OversizedBoxSettings) -> list[Flag]:
    """A box that swallows the image, or is far larger than the project's boxes of its label."""
    if scene.box_count == 0:
        return []
    coverage = scene.inside_areas / scene.image_area
    covers_image = coverage >= settings.area_fraction
    size_z = label_size_z(scene) if scene.stats else np.full(scene.box_count, np.nan)
    with np.errstate(invalid="ignore"):
        unusually_large = size_z >= settings.size_z
    flags = []
    for i in np.flatnonzero(covers_image | unusually_large).tolist():
        reasons = []
        if covers_image[i]:
            reasons.append(f"covers {coverage[i]:.0%} of the image")
        if unusually_large[i]:
            label = scene.labels[i]
            ratio = np.exp(scene.log_area_fractions[i] - scene.stats[label].median_log_area)
            reasons.append(
                f"is {number(ratio)} times the usual area of a '{label}' box (robust z {size_z[i]:.1f})"
            )
        flags.append(Flag((i,), f"Box {i + 1} {' and '.join(reasons)}"))
    return flags


@dataclass(frozen=True, kw_only=True)
class UndersizedBoxSettings(RuleSettings):
    #: Boxes with a smaller area (in square pixels) are flagged: usually a stray click.
    min_area_px: float = setting(16.0, low=0.0)


@rule(UndersizedBoxSettings)
def undersized_box(scene: Scene, settings: UndersizedBoxSettings) -> list[Flag]:
    """A box too small to hold an object (a stray click)."""
    small = np.flatnonzero(scene.areas < settings.min_area_px)
    return [
        Flag(
            (i,),
            f"Box {i + 1} is only {number(w)}x{number(h)} px, under the minimum area of "
            f"{number(settings.min_area_px)} square px",
        )
        for i, w, h in zip(small.tolist(), *scene.boxes[small, 2:].T.tolist(), strict=True)
    ]


@dataclass(frozen=True, kw_only=True)
class DegenerateBoxSettings(RuleSettings):
    #: Boxes narrower or shorter than this (pixels) are flagged.
    min_side_px: float = setting(2.0, low=0.0)
    #: Boxes whose long side exceeds this many times the short side are flagged.
    max_aspect_ratio: float = setting(20.0, low=1.0)


@rule(DegenerateBoxSettings)
def degenerate_box(scene: Scene, settings: DegenerateBoxSettings) -> list[Flag]:
    """A box collapsed to a line: a side near zero, or an extreme aspect ratio."""
    widths, heights = scene.boxes[:, 2], scene.boxes[:, 3]
    thin = (widths < settings.min_side_px) | (heights < settings.min_side_px)
    aspect = np.maximum(widths, heights) / np.minimum(widths, heights)
    stretched = aspect > settings.max_aspect_ratio
    flags = []
    for i in np.flatnonzero(thin | stretched).tolist():
        w, h = float(widths[i]), float(heights[i])
        if thin[i]:
            side, size = ("wide", w) if w < h else ("tall", h)
            message = f"Box {i + 1} is only {number(size)} px {side}"
        else:
            message = (
                f"Box {i + 1} has an aspect ratio of {number(aspect[i])}:1 "
                f"(more than {number(settings.max_aspect_ratio)}:1)"
            )
        flags.append(Flag((i,), message))
    return flags


@dataclass(frozen=True, kw_only=True)
class BoxOutOfBoundsSettings(RuleSettings):
    #: Overhang past an image edge (pixels) tolerated without a finding.
    tolerance_px: float = setting(1.0, low=0.0)
    #: A flagged box with at least this share of its area outside the image is "far" outside ...
    far_outside_fraction: float = setting(0.5, low=0.0, high=1.0, low_open=True)
    #: ... and reported with this severity instead of ``severity``.
    far_severity: Severity = "error"


@rule(BoxOutOfBoundsSettings)
def box_out_of_bounds(scene: Scene, settings: BoxOutOfBoundsSettings) -> list[Flag]:
    """A box sticking out of the image; an error by default when mostly outside it."""
    corners = scene.boxes[:, :2]
    ends = corners + scene.boxes[:, 2:]
    overhangs = np.concatenate([-corners, ends - [scene.width, scene.height]], axis=1)
    flagged = np.flatnonzero(overhangs.max(axis=1, initial=-np.inf) > settings.tolerance_px)
    if len(flagged) == 0:
        return []
    worst_side = np.argmax(overhangs[flagged], axis=1)
    overhang = overhangs[flagged, worst_side]
    outside_fraction = 1.0 - scene.inside_areas[flagged] / scene.areas[flagged]
    flags = []
    for k, i in enumerate(flagged.tolist()):
        if outside_fraction[k] >= settings.far_outside_fraction:
            message = f"Box {i + 1} lies {outside_fraction[k]:.0%} outside the image"
            flags.append(Flag((i,), message, settings.far_severity))
        else:
            side = SIDES[int(worst_side[k])]
            message = f"Box {i + 1} extends {number(overhang[k])} px past the {side} edge of the image"
            flags.append(Flag((i,), message))
    return flags


@dataclass(frozen=True, kw_only=True)
class TooManyBoxesSettings(RuleSettings):
    #: Annotations with more boxes than this are flagged.
    max_boxes: int = setting(100, low=1)


@rule(TooManyBoxesSettings)
def too_many_boxes(scene: Scene, settings: TooManyBoxesSettings) -> list[Flag]:
    """More boxes than the project expects on one item."""
    if scene.box_count <= settings.max_boxes:
        return []
    return [Flag((), f"{scene.box_count} boxes, more than the limit of {settings.max_boxes}")]
