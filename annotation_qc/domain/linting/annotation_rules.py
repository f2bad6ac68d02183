"""Rules that apply to both project kinds: labels outside the label set, and rushed work."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annotation_qc.domain.linting.findings import Severity, box_list, number
from annotation_qc.domain.linting.registry import Flag, RuleSettings, rule, setting
from annotation_qc.domain.linting.scene import Scene


@dataclass(frozen=True, kw_only=True)
class UnknownLabelSettings(RuleSettings):
    #: An error by default: the annotation cannot be used with a label the project does not have.
    severity: Severity = "error"


@rule(UnknownLabelSettings, kinds=("bbox", "classification"))
def unknown_label(scene: Scene, settings: UnknownLabelSettings) -> list[Flag]:
    """A label that is not in the project's label set."""
    unknown = ~scene.known_labels
    if not unknown.any():
        return []
    if scene.kind == "classification":
        return [Flag((), f"The label '{scene.labels[0]}' is not in the project's label set")]
    flags = []
    for code in np.unique(scene.label_codes[unknown]).tolist():  # once per unknown label
        boxes = tuple(np.flatnonzero(scene.label_codes == code).tolist())
        verb = "has" if len(boxes) == 1 else "have"
        label = scene.distinct_labels[code]
        message = f"{box_list(boxes)} {verb} the label '{label}', which is not in the project's label set"
        flags.append(Flag(boxes, message))
    return flags


@dataclass(frozen=True, kw_only=True)
class TooFastSettings(RuleSettings):
    #: Submissions after less than this many seconds are flagged.
    min_seconds: float = setting(0.5, low=0.0)
    #: Submissions after less than this share of the project's median time are flagged
    #: (when the median is known).
    median_fraction: float = setting(0.2, low=0.0, high=1.0)


@rule(TooFastSettings, kinds=("bbox", "classification"))
def too_fast(scene: Scene, settings: TooFastSettings) -> list[Flag]:
    """Time spent below the project's minimum, or far below its median."""
    spent = scene.time_spent_s
    if spent is None:
        return []
    if spent < settings.min_seconds:
        message = (
            f"Submitted after {number(spent)} s, under the project's minimum of "
            f"{number(settings.min_seconds)} s"
        )
        return [Flag((), message)]
    median = scene.median_time_s
    if median is not None and median > 0 and spent < settings.median_fraction * median:
        message = (
            f"Submitted after {number(spent)} s, under {settings.median_fraction:.0%} of the "
            f"project's median time of {number(median)} s"
        )
        return [Flag((), message)]
    return []
