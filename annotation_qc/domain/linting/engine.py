"""``lint``: run every enabled rule over one annotation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from annotation_qc.domain import geometry

# Importing the rule modules registers their rules.
from annotation_qc.domain.linting import annotation_rules, box_rules, overlap_rules
from annotation_qc.domain.linting.config import rule_settings
from annotation_qc.domain.linting.findings import Finding, sort_findings
from annotation_qc.domain.linting.registry import RULES
from annotation_qc.domain.linting.scene import Scene
from annotation_qc.domain.linting.size_stats import LabelSizeStats

RULE_MODULES = (overlap_rules, box_rules, annotation_rules)


def lint(
    annotation: Mapping[str, Any],
    *,
    kind: Literal["bbox", "classification"],
    width: float,
    height: float,
    labels: Sequence[str],
    config: Mapping[str, Any] | None = None,
    stats: Mapping[str, LabelSizeStats] | None = None,
    time_spent_s: float | None = None,
    median_time_s: float | None = None,
) -> list[Finding]:
    """The findings on one annotation payload, errors first, then by rule code and boxes.

    ``annotation`` is a payload that passed validation (finite numbers, ``w`` and ``h`` > 0);
    ``labels`` is the project's label set; ``config`` comes from ``validate_lint_config``
    (``None``: the defaults; rules it lacks run with their defaults); ``stats`` maps labels to
    their learned sizes (areas as fractions of the image area); times are in seconds.
    """
    if kind not in ("bbox", "classification"):
        raise ValueError(f"kind must be 'bbox' or 'classification', got {kind!r}")
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise ValueError(f"image size must be positive, got {width!r} x {height!r}")
    if kind == "bbox":
        boxes, box_labels = geometry.boxes_from_payload(annotation.get("boxes") or [])
    else:
        label = annotation.get("label")
        boxes, box_labels = np.zeros((0, 4)), ([label] if isinstance(label, str) else [])
    scene = Scene(
        kind=kind,
        width=float(width),
        height=float(height),
        boxes=boxes,
        labels=tuple(box_labels),
        project_labels=tuple(labels),
        stats=stats or {},
        time_spent_s=time_spent_s,
        median_time_s=median_time_s,
    )
    findings: list[Finding] = []
    for code, rule in RULES.items():
        findings.extend(rule.run(scene, rule_settings(config, code)))
    return sort_findings(findings)
