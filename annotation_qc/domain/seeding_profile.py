"""What a project's model gets wrong, learned from how annotators corrected its pre-annotations,
so a benchmark's pre-annotation is drawn from the same distribution as regular ones.

:func:`learn_profile` compares regular pre-annotations with the answers submitted for them:

- a pre-annotated box the annotator removed is a ``spurious`` box of the model, a box the
  annotator added is one the model missed (``drop``), a matched box whose label changed a
  ``relabel``, a matched box moved or resized below IoU 0.7 a ``shift`` or ``oversize`` (by the
  area ratio);
- matched boxes the annotator kept close (IoU >= 0.7) measure the model's everyday noise: the
  spread of the relative position and size differences (a robust MAD estimate);
- exact duplicates (IoU >= 0.9, same label) inside regular pre-annotations give the share of
  payloads that hold one: after non-maximum suppression a model makes none, and a benchmark with
  a duplicate would then be a tell, so ``duplicate`` is seeded only at that share (never at 0);
- the numeric precision of the model's coordinates (decimals).

Before there is data (fewer than :data:`MIN_PAIRS` corrected pre-annotations) the defaults are:
the five geometric and label kinds equally likely, no duplicates, a relative noise of 1.5%, two
decimals. Kinds that a blocking (error-severity) linter forces every annotator to fix measure
nothing and are excluded with the reason.

:func:`add_model_noise` perturbs every box of a seeded payload by that noise: a box that sits on
its gold box never so far that scoring would miss it, the mistake never so far that it stops
being one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.geometry import boxes_from_payload, iou_matrix, match_from_iou

FloatArray = NDArray[np.float64]

BOX_KINDS: tuple[str, ...] = ("shift", "oversize", "drop", "duplicate", "relabel", "spurious")
#: Corrected pre-annotations needed before the learned kinds and noise replace the defaults.
MIN_PAIRS = 30
DEFAULT_JITTER = 0.015
JITTER_BOUNDS = (0.002, 0.05)
DEFAULT_DECIMALS = 2
#: Pseudo-counts added to every non-duplicate kind (a kind never seen keeps a small weight).
PRIOR_COUNT = 1.0
#: A box is untouched by the seeded mistake when it sits on a gold box at least this closely.
UNTOUCHED_IOU = 0.95
#: Noise keeps a box at least this close to its gold box (and above the scoring threshold).
NOISE_MIN_IOU = 0.85
#: Noise moves the seeded mistake's IoU with any gold box by at most this much ...
MISTAKE_IOU_SLACK = 0.02
#: ... and never across these IoUs: the mistake's own (0.3: a moved box still points at its
#: object; 0.6: below the 0.7 used to score) and a spurious box's (0.1: next to no overlap).
MISTAKE_IOU_BANDS = (0.1, 0.3, 0.6)
#: How often the noise of a box that would lose its kind is halved before the box is left exact.
NOISE_HALVINGS = 6
#: Box orders a model may write, each a sort key over (x, y, w, h): position, size, or none found.
BOX_ORDERS: dict[str, Any] = {
    "x": lambda b: b[:, 0],
    "y": lambda b: b[:, 1],
    "y_then_x": lambda b: b[:, 1] * 1e6 + b[:, 0],
    "area_desc": lambda b: -(b[:, 2] * b[:, 3]),
    "area_asc": lambda b: b[:, 2] * b[:, 3],
}
#: Share of the multi-box predictions an order must hold in, and how many must be checked.
BOX_ORDER_AGREEMENT = 0.95
BOX_ORDER_MIN_PREDICTIONS = 10
#: Which seeded kind each blocking linter would force every annotator to fix.
RULE_KINDS: dict[str, tuple[str, ...]] = {
    "duplicate_box": ("duplicate",),
    "oversized_box": ("oversize",),
    "conflicting_labels": ("duplicate",),
}


@dataclass(frozen=True)
class SeedingProfile:
    """Relative weights of the error kinds, the model's noise and precision, and exclusions."""

    weights: dict[str, float]
    jitter: float = DEFAULT_JITTER
    decimals: int = DEFAULT_DECIMALS
    duplicate_share: float = 0.0
    pairs: int = 0
    learned: bool = False
    excluded: dict[str, str] = field(default_factory=dict)
    #: Lint warning codes seen on the model's regular pre-annotations (``None``: none checked).
    regular_warnings: frozenset[str] | None = None
    #: How the model orders its boxes (one of :data:`BOX_ORDERS`; ``given``: no order found).
    box_order: str = "given"
    #: Share of the model's pre-annotations holding n boxes, and of the gold set's answers (n capped
    #: at :data:`MAX_COUNTED_BOXES`); empty before there is data.
    model_box_counts: dict[int, float] = field(default_factory=dict)
    gold_box_counts: dict[int, float] = field(default_factory=dict)
    #: How often the model writes each label (class labels, or box labels), for wrong and spurious
    #: labels drawn like the model's; empty before there is data.
    label_shares: dict[str, float] = field(default_factory=dict)
    #: The IoU with its object a seeded shift or oversize aims at, per kind (the middle 80% of the
    #: model's own moved or grown boxes, within what a mistake may be); absent: the fixed defaults.
    iou_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": {k: round(v, 4) for k, v in self.weights.items()},
            "jitter": round(self.jitter, 5),
            "decimals": self.decimals,
            "duplicate_share": round(self.duplicate_share, 5),
            "pairs": self.pairs,
            "learned": self.learned,
            "excluded": dict(self.excluded),
            "regular_warnings": None if self.regular_warnings is None else sorted(self.regular_warnings),
            "box_order": self.box_order,
            "model_box_counts": {str(k): round(v, 4) for k, v in sorted(self.model_box_counts.items())},
            "gold_box_counts": {str(k): round(v, 4) for k, v in sorted(self.gold_box_counts.items())},
            "label_shares": dict(sorted(self.label_shares.items())),  # unrounded: replay draws with them
            "iou_ranges": {k: list(v) for k, v in sorted(self.iou_ranges.items())},
        }


def learn_profile(
    corrections: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    predictions: Sequence[Mapping[str, Any]],
    *,
    blocking_rules: Iterable[str] = (),
    bbox: bool = True,
    gold: Sequence[Mapping[str, Any]] = (),
) -> SeedingProfile:
    """The profile of a project from (pre-annotation, submitted answer) pairs, its predictions and
    (for :func:`box_count_factors`) its gold answers."""
    excluded: dict[str, str] = {}
    blocking = set(blocking_rules)
    if not bbox:
        for rule in sorted(blocking & {"unknown_label"}):
            excluded["relabel"] = f"linter {rule!r} is error-severity: every annotator must fix it"
        return SeedingProfile(
            weights={"relabel": 1.0},
            pairs=len(corrections),
            excluded=excluded,
            label_shares=label_shares(predictions),
        )

    counts = dict.fromkeys(BOX_KINDS, 0.0)
    deviations: list[FloatArray] = []
    mistake_ious: dict[str, list[FloatArray]] = {"shift": [], "oversize": []}
    usable = 0
    for pre, final in corrections:
        parsed = _pair_boxes(pre, final)
        if parsed is None:
            continue
        usable += 1
        (pre_boxes, pre_labels), (final_boxes, final_labels) = parsed
        iou = iou_matrix(pre_boxes, final_boxes)
        pairs = match_from_iou(iou, 0.3) if iou.size else []
        rows = np.array([r for r, _, _ in pairs], dtype=np.int64)
        cols = np.array([c for _, c, _ in pairs], dtype=np.int64)
        counts["spurious"] += len(pre_boxes) - len(rows)
        counts["drop"] += len(final_boxes) - len(cols)
        if not len(rows):
            continue
        pair_iou = iou[rows, cols]
        relabelled = (
            np.asarray(pre_labels, dtype=np.str_)[rows] != np.asarray(final_labels, dtype=np.str_)[cols]
        )
        counts["relabel"] += float(np.count_nonzero(relabelled))
        moved = ~relabelled & (pair_iou < 0.7)
        area_ratio = (pre_boxes[rows, 2] * pre_boxes[rows, 3]) / np.maximum(
            final_boxes[cols, 2] * final_boxes[cols, 3], 1e-9
        )
        counts["oversize"] += float(np.count_nonzero(moved & (area_ratio > 1.4)))
        counts["shift"] += float(np.count_nonzero(moved & (area_ratio <= 1.4)))
        mistake_ious["oversize"].append(pair_iou[moved & (area_ratio > 1.4)])
        mistake_ious["shift"].append(pair_iou[moved & (area_ratio <= 1.4)])
        close = pair_iou >= 0.7
        if close.any():
            p, f = pre_boxes[rows[close]], final_boxes[cols[close]]
            size = np.maximum(f[:, 2:], 1e-9)
            deviations.append(
                np.concatenate([(p[:, :2] - f[:, :2]) / size, (p[:, 2:] - f[:, 2:]) / size], axis=1)
            )

    duplicate_share = _duplicate_share(predictions)
    decimals = _decimals(predictions)
    box_order = learn_box_order(predictions)
    learned = usable >= MIN_PAIRS
    jitter = DEFAULT_JITTER
    if learned and deviations:
        stacked = np.concatenate(deviations).ravel()
        jitter = float(np.clip(1.4826 * np.median(np.abs(stacked)), *JITTER_BOUNDS))

    weights: dict[str, float] = {}
    for kind in BOX_KINDS:
        if kind == "duplicate":
            continue
        weights[kind] = (counts[kind] if learned else 0.0) + PRIOR_COUNT
    total = sum(weights.values())
    weights = {k: v / total * (1.0 - duplicate_share) for k, v in weights.items()}
    if duplicate_share > 0:
        weights["duplicate"] = duplicate_share
    else:
        excluded["duplicate"] = (
            f"the model's pre-annotations hold no duplicate boxes ({len(predictions)} checked): "
            "a seeded duplicate would tell a benchmark apart"
        )
    for rule in sorted(blocking):
        for kind in RULE_KINDS.get(rule, ()):
            excluded[kind] = (
                f"linter {rule!r} is error-severity: every annotator must fix it, so it measures nothing"
            )
    weights = {k: v for k, v in weights.items() if k not in excluded}
    return SeedingProfile(
        weights=weights,
        jitter=jitter,
        decimals=decimals,
        duplicate_share=duplicate_share,
        pairs=usable,
        learned=learned,
        excluded=excluded,
        box_order=box_order,
        model_box_counts=box_count_shares(predictions),
        gold_box_counts=box_count_shares(gold),
        label_shares=label_shares(predictions),
        iou_ranges=_mistake_iou_ranges(mistake_ious),
    )


#: Moved or grown boxes of the model needed before a kind's size is learned.
MIN_SIZED_MISTAKES = 10
#: The IoU a seeded shift or oversize may aim at: it still points at its object (0.3 after
#: rounding) and stays below the scoring threshold with a margin (0.6), as in ``seeded_boxes``.
MISTAKE_IOU_LIMITS = (0.32, 0.58)
#: The narrowest learned range (a model whose mistakes all have one size still gets some spread).
MIN_IOU_SPREAD = 0.06


def _mistake_iou_ranges(observed: Mapping[str, list[FloatArray]]) -> dict[str, tuple[float, float]]:
    """Per kind, the middle 80% of the IoUs the model's moved (or grown) boxes had with the box the
    annotator drew, clipped to :data:`MISTAKE_IOU_LIMITS` and at least :data:`MIN_IOU_SPREAD` wide."""
    out: dict[str, tuple[float, float]] = {}
    low_limit, high_limit = MISTAKE_IOU_LIMITS
    for kind, parts in observed.items():
        values = np.concatenate(parts) if parts else np.zeros(0)
        if len(values) < MIN_SIZED_MISTAKES:
            continue
        low, high = np.clip(np.quantile(values, [0.1, 0.9]), low_limit, high_limit)
        if high - low < MIN_IOU_SPREAD:
            middle = float(
                np.clip((low + high) / 2, low_limit + MIN_IOU_SPREAD / 2, high_limit - MIN_IOU_SPREAD / 2)
            )
            low, high = middle - MIN_IOU_SPREAD / 2, middle + MIN_IOU_SPREAD / 2
        out[kind] = (round(float(low), 4), round(float(high), 4))
    return out


def learn_box_order(predictions: Sequence[Mapping[str, Any]]) -> str:
    """How the model orders the boxes of a prediction: the first of :data:`BOX_ORDERS` that holds in
    at least 95% of the predictions with two or more boxes (10 needed), else ``given`` (by score,
    which annotators do not see, or no order at all: a shuffle is the faithful copy of that)."""
    parsed = []
    for payload in predictions:
        raw = payload.get("boxes") if isinstance(payload, Mapping) else None
        if isinstance(raw, list) and len(raw) >= 2:
            try:
                parsed.append(boxes_from_payload(raw)[0])
            except (KeyError, TypeError, ValueError):
                continue
    if len(parsed) < BOX_ORDER_MIN_PREDICTIONS:
        return "given"
    for name, key in BOX_ORDERS.items():
        held = sum(bool(np.all(np.diff(key(boxes)) >= 0)) for boxes in parsed)
        if held >= BOX_ORDER_AGREEMENT * len(parsed):
            return name
    return "given"


#: Box counts above this are pooled (a benchmark's count is matched up to here).
MAX_COUNTED_BOXES = 12
#: Payloads of each kind needed before box counts are matched, and the bounds of a kind's factor.
MIN_COUNTED_PAYLOADS = 20
COUNT_FACTOR_BOUNDS = (0.1, 10.0)
#: A kind this many benchmarks behind its share is seeded whatever the box count it leads to.
MAX_KIND_LAG = 3.0
#: How each seeded kind changes the number of boxes.
KIND_BOX_DELTA: dict[str, int] = {"drop": -1, "spurious": 1, "duplicate": 1}


#: Labels needed before wrong and spurious labels follow the model's label mix.
MIN_COUNTED_LABELS = 30


def label_shares(predictions: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """How often the model writes each label: a classification payload's label, or its boxes'."""
    labels: list[str] = []
    for payload in predictions:
        if not isinstance(payload, Mapping):
            continue
        if isinstance(payload.get("label"), str):
            labels.append(payload["label"])
        elif isinstance(payload.get("boxes"), list):
            labels.extend(
                b["label"]
                for b in payload["boxes"]
                if isinstance(b, Mapping) and isinstance(b.get("label"), str)
            )
    if len(labels) < MIN_COUNTED_LABELS:
        return {}
    names, counts = np.unique(np.asarray(labels, dtype=np.str_), return_counts=True)
    return {
        str(name): float(count) / len(labels)
        for name, count in zip(names.tolist(), counts.tolist(), strict=True)
    }


def box_count_shares(payloads: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    """Share of the bbox payloads holding n boxes (n capped at :data:`MAX_COUNTED_BOXES`)."""
    counts = np.array(
        [
            min(len(payload["boxes"]), MAX_COUNTED_BOXES)
            for payload in payloads
            if isinstance(payload, Mapping) and isinstance(payload.get("boxes"), list)
        ],
        dtype=np.int64,
    )
    if len(counts) < MIN_COUNTED_PAYLOADS:
        return {}
    tally = np.bincount(counts, minlength=MAX_COUNTED_BOXES + 1)
    return {n: float(share) for n, share in enumerate(tally / len(counts)) if share > 0}


def box_count_factors(profile: SeedingProfile, gold_boxes: int, kinds: Iterable[str]) -> dict[str, float]:
    """How much more (or less) often each kind should be seeded into a gold answer of ``gold_boxes``
    boxes so that benchmarks hold as many boxes as the model's pre-annotations do.

    Each kind changes the count by :data:`KIND_BOX_DELTA` (a drop takes a box, a spurious box adds
    one). Seeded at the profile's weights into the gold set, benchmarks would hold n boxes with
    probability ``B(n)``; the model's pre-annotations do with ``M(n)``. The factor of a kind is
    ``M(n) / B(n)`` at the count it leads to (bounded): a drop that would empty a one-box answer is
    seeded less where the model rarely returns nothing, and more where it often does. Every factor
    is 1 until both count distributions are known.
    """
    names = list(dict.fromkeys(kinds))
    if not profile.model_box_counts or not profile.gold_box_counts:
        return dict.fromkeys(names, 1.0)
    total = sum(profile.weights.values()) or 1.0
    size = MAX_COUNTED_BOXES + 2
    model = np.zeros(size)
    for n, share in profile.model_box_counts.items():
        model[min(int(n), size - 1)] += share
    bench = np.zeros(size)
    for n, share in profile.gold_box_counts.items():
        for kind, weight in profile.weights.items():
            bench[int(np.clip(int(n) + KIND_BOX_DELTA.get(kind, 0), 0, size - 1))] += share * weight / total
    floor = 1.0 / (20 * size)  # a count never seen is rare, not impossible
    ratio = np.clip((model + floor) / (bench + floor), *COUNT_FACTOR_BOUNDS)
    return {
        kind: float(ratio[int(np.clip(gold_boxes + KIND_BOX_DELTA.get(kind, 0), 0, size - 1))])
        for kind in names
    }


def order_boxes(payload: Mapping[str, Any], order: str) -> dict[str, Any]:
    """``payload`` with its boxes sorted as the model sorts them (unchanged for ``given``)."""
    raw = payload.get("boxes")
    if order not in BOX_ORDERS or not isinstance(raw, list) or len(raw) < 2:
        return dict(payload)
    boxes, _ = boxes_from_payload(raw)
    ranked = np.argsort(BOX_ORDERS[order](boxes), kind="stable")
    return {**payload, "boxes": [raw[i] for i in ranked.tolist()]}


def choose_weighted_kind(
    applicable: Sequence[str],
    weights: Mapping[str, float],
    served: Mapping[str, int],
    rng: np.random.Generator,
    factors: Mapping[str, float] | None = None,
) -> str | None:
    """The applicable kind furthest behind its weight for this annotator (``None`` if none applies).

    With equal weights this is the least-served kind (kinds stay balanced per annotator); ties
    are broken at random. With ``factors`` (:func:`box_count_factors` for this gold answer), the
    kinds are offered in that order and each is taken with probability ``factor / max(factors)``
    (the first taken wins; if none is, the one with the largest factor): a kind that would give this
    answer an unusual number of boxes is passed over here and seeded into another answer instead,
    so the balance holds over the annotator's benchmarks. A kind that fell :data:`MAX_KIND_LAG`
    benchmarks behind the most-served kind (by share) is taken whatever its factor.
    """
    kinds = [k for k in dict.fromkeys(applicable) if weights.get(k, 0.0) > 0]
    if not kinds:
        return None
    need = np.array([(served.get(k, 0) + 1) / weights[k] for k in kinds])
    ties = rng.random(len(kinds))
    order = np.lexsort((ties, np.round(need, 9)))
    if not factors:
        return kinds[int(order[0])]
    factor = np.array([max(factors.get(k, 1.0), 0.0) for k in kinds])
    share = np.array([weights[k] for k in kinds]) / sum(weights[k] for k in kinds)
    count = np.array([served.get(k, 0) for k in kinds], dtype=np.float64)
    lag = (count / share).max() * share - count  # behind the most-served kind, in benchmarks
    if factor.max() <= 0 or float(lag[order[0]]) >= MAX_KIND_LAG:
        return kinds[int(order[0])]
    taken = rng.random(len(kinds)) < factor / factor.max()
    for index in order:
        if taken[index]:
            return kinds[int(index)]
    return kinds[int(np.argmax(factor))]


def add_model_noise(
    payload: Mapping[str, Any],
    gold: Mapping[str, Any],
    *,
    jitter: float,
    decimals: int,
    width: float,
    height: float,
    min_iou: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """``payload`` with every box moved by model-like noise and rounded like the model.

    Each box gets relative Gaussian noise of ``jitter`` on its position and size, scaled down
    (halved, at most six times) until it keeps what it is and lies in the image:

    - a box that sits on a gold box (IoU >= 0.95) keeps IoU >= max(0.85, ``min_iou`` + 0.05) with it;
    - the seeded mistake (a shifted, grown or spurious box) keeps its IoU with every gold box within
      :data:`MISTAKE_IOU_SLACK` of what the mistake made, and never crosses
      :data:`MISTAKE_IOU_BANDS` (so a mistake stays one, and a shifted box still points at its object).

    The mistake is noised too: left exact, it would keep the gold set's integer widths and heights
    while the model's boxes have fractions, a tell for anyone who looks at the numbers.
    """
    raw = payload.get("boxes")
    if not isinstance(raw, list) or not raw:
        return dict(payload)
    boxes, labels = boxes_from_payload(raw)
    gold_boxes, _ = boxes_from_payload(gold.get("boxes") or [])
    floor = min(0.99, max(NOISE_MIN_IOU, min_iou + 0.05))
    eps = rng.normal(0.0, jitter, size=boxes.shape)
    if len(gold_boxes):
        before = iou_matrix(boxes, gold_boxes)
        best = before.argmax(axis=1)
        untouched = before[np.arange(len(boxes)), best] >= UNTOUCHED_IOU
    else:
        before = np.zeros((len(boxes), 0))
        best = np.zeros(len(boxes), dtype=np.int64)
        untouched = np.zeros(len(boxes), dtype=bool)

    def keeps_its_kind(candidate: FloatArray) -> NDArray[np.bool_]:
        if not len(gold_boxes):
            return np.ones(len(candidate), dtype=bool)
        after = iou_matrix(candidate, gold_boxes)
        on_gold = after[np.arange(len(candidate)), best] >= floor
        near = np.abs(after - before) <= MISTAKE_IOU_SLACK
        for band in MISTAKE_IOU_BANDS:  # a side of a band is never crossed
            near &= (before > band) == (after > band)
        return np.where(untouched, on_gold, near.all(axis=1))

    scale = np.ones(len(boxes))
    for _ in range(NOISE_HALVINGS):
        ok = keeps_its_kind(_perturbed(boxes, eps * scale[:, None], width, height))
        if ok.all():
            break
        scale = np.where(ok, scale, scale * 0.5)
    candidate = _perturbed(boxes, eps * scale[:, None], width, height)
    ok = keeps_its_kind(candidate)
    noisy = np.where(ok[:, None], candidate, boxes)
    rounded = np.round(noisy, decimals)
    return {
        "boxes": [
            {"x": float(x), "y": float(y), "w": float(w), "h": float(h), "label": str(label)}
            for (x, y, w, h), label in zip(rounded.tolist(), labels, strict=True)
        ]
    }


def _perturbed(boxes: FloatArray, eps: FloatArray, width: float, height: float) -> FloatArray:
    w = np.maximum(boxes[:, 2] * (1.0 + eps[:, 2]), 1.0)
    h = np.maximum(boxes[:, 3] * (1.0 + eps[:, 3]), 1.0)
    w, h = np.minimum(w, width), np.minimum(h, height)
    x = np.clip(boxes[:, 0] + eps[:, 0] * boxes[:, 2], 0.0, width - w)
    y = np.clip(boxes[:, 1] + eps[:, 1] * boxes[:, 3], 0.0, height - h)
    out: FloatArray = np.column_stack([x, y, w, h])
    return out


def _pair_boxes(
    pre: Mapping[str, Any], final: Mapping[str, Any]
) -> tuple[tuple[FloatArray, list[str]], tuple[FloatArray, list[str]]] | None:
    try:
        return boxes_from_payload(pre.get("boxes") or []), boxes_from_payload(final.get("boxes") or [])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _duplicate_share(predictions: Sequence[Mapping[str, Any]]) -> float:
    """The share of payloads holding a same-label pair of boxes with IoU >= 0.9."""
    if not predictions:
        return 0.0
    with_duplicate = 0
    for payload in predictions:
        try:
            boxes, labels = boxes_from_payload(payload.get("boxes") or [])
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
        if len(boxes) < 2:
            continue
        iou = iou_matrix(boxes, boxes)
        same = np.asarray(labels, dtype=np.str_)[:, None] == np.asarray(labels, dtype=np.str_)[None, :]
        np.fill_diagonal(iou, 0.0)
        with_duplicate += bool(((iou >= 0.9) & same).any())
    return with_duplicate / len(predictions)


def _decimals(predictions: Sequence[Mapping[str, Any]]) -> int:
    """The most decimals the model writes in a coordinate (0-4), or the default with no data."""
    values = [
        box[key]
        for payload in predictions
        for box in (payload.get("boxes") or [])
        if isinstance(box, Mapping)
        for key in ("x", "y", "w", "h")
        if isinstance(box.get(key), int | float) and not isinstance(box.get(key), bool)
    ]
    if not values:
        return DEFAULT_DECIMALS
    array = np.asarray(values, dtype=np.float64)
    for decimals in range(5):
        if np.allclose(array, np.round(array, decimals), atol=1e-9, rtol=0):
            return decimals
    return 4
