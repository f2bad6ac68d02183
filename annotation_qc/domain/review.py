"""Review-stage rules (pure): how often an annotator's work is sampled for review, what a fix changed.

* :func:`sampling_rate`: the share of an annotator's submissions that enter review, rising from
  ``base_rate`` (a perfect benchmark record) to ``max_rate`` (a hopeless one) with the estimated
  benchmark accuracy ``(fixed + 1) / (benchmarks + 2)``, and at least ``calibration_rate`` while the
  annotator is still calibrating;
* :func:`sampled`: a deterministic draw (the same annotation always gets the same answer);
* :func:`payload_diff`: what a reviewer's fix changed, box by box (matched by IoU) or the class;
* :func:`object_verdicts_clean` and :func:`object_decision`: a reviewer's verdict per box and the whole
  decision they make (any rejected box rejects; every box accepted accepts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from annotation_qc.domain.geometry import boxes_from_payload, match_boxes

#: Boxes whose IoU reaches this are the same object, before and after a fix.
SAME_OBJECT_IOU = 0.3


def skill_estimate(fixed: int, benchmarks: int) -> float:
    """Posterior mean benchmark accuracy under a uniform prior."""
    return (fixed + 1) / (benchmarks + 2)


def sampling_rate(
    *,
    base_rate: float,
    max_rate: float,
    calibration_rate: float,
    fixed: int,
    benchmarks: int,
    calibrating: bool,
) -> float:
    for name, value in (
        ("base_rate", base_rate),
        ("max_rate", max_rate),
        ("calibration_rate", calibration_rate),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    skill = skill_estimate(fixed, benchmarks)
    rate = base_rate + (max(max_rate, base_rate) - base_rate) * (1.0 - skill)
    if calibrating:
        rate = max(rate, calibration_rate)
    return min(max(rate, 0.0), 1.0)


def draw(key: str) -> float:
    """A uniform number in [0, 1) fixed by ``key``."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sampled(rate: float, key: str) -> bool:
    return rate > 0.0 and draw(key) < rate


def payload_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{"changed": n, "added": [...], "removed": [...], "modified": [...], "label": ...}``.

    Boxes are matched one to one by IoU (at least :data:`SAME_OBJECT_IOU`); a matched box whose
    coordinates or label differ is modified, unmatched ones are removed (before) or added (after).
    ``changed`` counts the objects fixed (for classification: 1 if the class changed).
    """
    if "boxes" not in before and "boxes" not in after:
        old, new = before.get("label"), after.get("label")
        return {"changed": int(old != new), "label": {"before": old, "after": new} if old != new else None}
    old_boxes = list(before.get("boxes", []))
    new_boxes = list(after.get("boxes", []))
    old_array, old_labels = boxes_from_payload(old_boxes)
    new_array, new_labels = boxes_from_payload(new_boxes)
    pairs = match_boxes(old_array, new_array, min_iou=SAME_OBJECT_IOU)
    matched_old = {i for i, _, _ in pairs}
    matched_new = {j for _, j, _ in pairs}
    modified = [
        {"index": i, "new_index": j, "before": old_boxes[i], "after": new_boxes[j]}
        for i, j, _ in pairs
        if old_labels[i] != new_labels[j]
        or any(abs(float(old_boxes[i][k]) - float(new_boxes[j][k])) > 0.5 for k in ("x", "y", "w", "h"))
    ]
    removed = [{"index": i, "box": old_boxes[i]} for i in range(len(old_boxes)) if i not in matched_old]
    added = [{"new_index": j, "box": new_boxes[j]} for j in range(len(new_boxes)) if j not in matched_new]
    return {
        "changed": len(modified) + len(removed) + len(added),
        "modified": modified,
        "removed": removed,
        "added": added,
    }


# Per-object verdicts.

#: A reviewer's verdict on one box of the annotation under review.
VERDICTS = ("accepted", "rejected")
OBJECT_FIELDS = frozenset({"box", "verdict", "comment"})


def object_verdicts_clean(
    objects: Any, *, n_boxes: int, max_comment_chars: int
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """``[{"box": index, "verdict": "accepted" | "rejected", "comment": str}]`` sorted by box, and the
    errors by field (``objects``, ``objects[i].box``, ...): one verdict per box at most, each box an
    index into the annotation's boxes (as comments' ``box``), the comment optional."""
    if not isinstance(objects, list):
        return [], {"objects": ["must be a list"]}
    if n_boxes == 0:
        return [], {"objects": ["this annotation has no boxes: accept or reject it as a whole"]}
    errors: dict[str, list[str]] = {}
    clean: list[dict[str, Any]] = []
    seen: set[int] = set()
    for index, entry in enumerate(objects):
        path = f"objects[{index}]"
        if not isinstance(entry, dict):
            errors[path] = ["must be an object"]
            continue
        unknown = sorted(set(entry) - OBJECT_FIELDS)
        if unknown:
            errors[path] = [f"unknown field(s): {', '.join(unknown)}"]
        box = entry.get("box")
        if not isinstance(box, int) or isinstance(box, bool) or not 0 <= box < n_boxes:
            errors[f"{path}.box"] = [f"must be the index of a box of the annotation (0 to {n_boxes - 1})"]
        elif box in seen:
            errors[f"{path}.box"] = [f"box {box} already has a verdict"]
        else:
            seen.add(box)
        verdict = entry.get("verdict")
        if verdict not in VERDICTS:
            errors[f"{path}.verdict"] = [f"must be one of {', '.join(VERDICTS)}"]
        comment = entry.get("comment", "")
        if comment is None:
            comment = ""
        if not isinstance(comment, str) or len(comment) > max_comment_chars:
            errors[f"{path}.comment"] = [f"must be a string of at most {max_comment_chars} characters"]
            comment = ""
        clean.append({"box": box, "verdict": verdict, "comment": comment.strip()})
    if errors:
        return [], errors
    return sorted(clean, key=lambda v: v["box"]), {}


def object_decision(
    verdicts: list[dict[str, Any]], *, n_boxes: int, given: str | None
) -> tuple[str | None, dict[str, list[str]]]:
    """The whole annotation's outcome, ``"accept"`` or ``"reject"``, from clean verdicts: any rejected
    box rejects it, every box accepted accepts it. A ``given`` decision is kept unless it contradicts
    the objects (accepting with a rejected box); rejecting with every box accepted stands (a missed
    object is no box to reject). Without one, verdicts on only some boxes and none rejected decide
    nothing: an error naming ``decision``."""
    rejected = [v["box"] for v in verdicts if v["verdict"] == "rejected"]
    if given is not None and given not in ("accept", "reject"):
        return None, {"decision": ["must be accept or reject"]}
    if given == "accept" and rejected:
        boxes = ", ".join(str(b) for b in rejected)
        return None, {"decision": [f"cannot accept the annotation with rejected boxes ({boxes})"]}
    if given is not None:
        return given, {}
    if rejected:
        return "reject", {}
    if len(verdicts) == n_boxes:
        return "accept", {}
    missing = sorted(set(range(n_boxes)) - {v["box"] for v in verdicts})
    return None, {
        "decision": [
            "required when no box is rejected and some have no verdict "
            f"(boxes {', '.join(str(b) for b in missing)})"
        ]
    }
