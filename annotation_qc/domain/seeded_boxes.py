"""Where a seeded mistake puts its box: candidate geometry for :mod:`seeding`.

Each mistake that moves or adds a box draws candidates at random and, as a fallback, takes
them from a fixed grid of the same shape; a candidate counts only if it lies inside the image
and makes the intended mistake once rounded to 0.01 px. The applicability checks look at the
grid alone, so a kind reported applicable always seeds.

- shift: one gold box moved so its IoU with its object is 0.35-0.55 (at least 0.3 after
  rounding) and at most 0.6 with every gold box;
- oversize: one gold box grown around its object to an IoU of 0.4-0.6, same bounds;
- duplicate: a near-copy (IoU >= 0.9) of one gold box;
- spurious: a box of a gold box's size (scaled 0.8-1.25), or 8-30% of each image side when
  there is no gold box, which no gold box covers by more than 10%.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.geometry import areas, iou_matrix

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: Kinds that derive one new box from one gold box.
DERIVED_KINDS = ("shift", "oversize", "duplicate")

#: IoU range a shifted box keeps with its own gold box.
SHIFT_IOU = (0.35, 0.55)
#: IoU range of an oversized box with the gold box it contains.
OVERSIZE_IOU = (0.4, 0.6)
#: A moved or grown box keeps at least this IoU with its own object (it still points at it) ...
MIN_IOU_WITH_OWN = 0.3
#: ... and at most this IoU with every gold box, a margin below the 0.7 used to score.
MAX_IOU_WITH_GOLD = 0.6
#: A duplicate overlaps the box it copies at least this much.
DUPLICATE_MIN_IOU = 0.9
#: Relative jitter of a duplicate's position and size.
DUPLICATE_JITTER = 0.03
#: At most this share of a spurious box may be covered by any one gold box.
SPURIOUS_MAX_COVERAGE = 0.1
#: Spurious boxes borrow a gold box's size scaled by this range (or, with no gold box, take
#: this share of each image side).
SPURIOUS_SCALE = (0.8, 1.25)
SPURIOUS_IMAGE_SHARE = (0.08, 0.3)
#: Candidates drawn at random per gold box (derived kinds) or per image (spurious).
RANDOM_CANDIDATES = 24
RANDOM_SPURIOUS_CANDIDATES = 256
#: Grid of spurious positions along each image side (the fallback and the applicability check).
SPURIOUS_GRID = 16
#: Gold boxes examined together (in random order, stopping at the first block with a valid
#: candidate, which keeps the pick uniform over the boxes that can take the mistake), and a
#: bound on the elements of one candidate-by-gold IoU block.
MAX_ROWS_PER_BLOCK = 32
MAX_IOU_BLOCK = 2_000_000
#: Rounding slack when checking that a box lies inside the image.
INSIDE_SLACK = 0.011


# ---------------------------------------------------------------------------------------------
# shift / oversize / duplicate: a new box derived from one gold box
# ---------------------------------------------------------------------------------------------


def has_derived_box(boxes: FloatArray, kind: str, width: float, height: float) -> bool:
    """Whether some gold box can take a ``kind`` mistake (checked on the fixed grid)."""
    grid = _grid_params(kind)
    order = np.arange(len(boxes), dtype=np.int64)
    for rows in _row_chunks(order, len(grid[0]), len(boxes)):
        candidates = _derived_boxes(kind, boxes[rows], grid, width, height)
        if _derived_feasible(kind, candidates, rows, boxes, width, height).any():
            return True
    return False


def derived_box(
    boxes: FloatArray,
    kind: str,
    width: float,
    height: float,
    rng: np.random.Generator,
    iou_range: tuple[float, float] | None = None,
) -> tuple[int, FloatArray] | None:
    """A gold box (uniformly among those that can take the mistake) and its new box, or ``None``.

    ``iou_range`` (shift and oversize) narrows the IoU the drawn candidates aim at with their
    object to what the project's model gets wrong (learned from corrections; see
    :func:`annotation_qc.domain.seeding_profile.learn_profile`); the fixed grid stays the fallback.
    """
    grid = _grid_params(kind)
    n_random = RANDOM_CANDIDATES
    order = rng.permutation(len(boxes)).astype(np.int64)
    for rows in _row_chunks(order, n_random + len(grid[0]), len(boxes)):
        m = len(rows)
        drawn = _random_params(kind, m, rng, iou_range)
        params = tuple(
            np.concatenate([r, np.broadcast_to(g, (m, len(g)))], axis=1)
            for r, g in zip(drawn, grid, strict=True)
        )
        candidates = _derived_boxes(kind, boxes[rows], params, width, height)
        feasible = _derived_feasible(kind, candidates, rows, boxes, width, height)
        usable = np.flatnonzero(feasible.any(axis=1))
        if usable.size == 0:
            continue
        row = int(rng.choice(usable))
        # Prefer a randomly drawn candidate; fall back on the grid only when none is valid.
        drawn_ok = np.flatnonzero(feasible[row, :n_random])
        if drawn_ok.size:
            column = int(rng.choice(drawn_ok))
        else:
            column = n_random + int(rng.choice(np.flatnonzero(feasible[row, n_random:])))
        return int(rows[row]), candidates[row, column]
    return None


def _grid_params(kind: str) -> tuple[FloatArray, ...]:
    """The fixed candidate parameters, one entry per candidate."""
    if kind == "shift":
        grids = np.meshgrid([0.35, 0.45, 0.55], [0.0, 0.5, 1.0], [-1.0, 1.0], [-1.0, 1.0], indexing="ij")
    elif kind == "oversize":
        grids = np.meshgrid(
            [0.45, 0.55], [0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.5, 1.0], [0.0, 0.5, 1.0], indexing="ij"
        )
    else:
        grids = np.meshgrid([0.0], [0.0], [1.0], [1.0], indexing="ij")
    return tuple(np.asarray(g, dtype=np.float64).ravel() for g in grids)


def _random_params(
    kind: str, m: int, rng: np.random.Generator, iou_range: tuple[float, float] | None = None
) -> tuple[FloatArray, ...]:
    shape = (m, RANDOM_CANDIDATES)
    if kind == "shift":
        signs = rng.choice(np.array([-1.0, 1.0]), size=(2, *shape))
        low, high = iou_range or SHIFT_IOU
        return rng.uniform(low, high, size=shape), rng.uniform(0.0, 1.0, size=shape), signs[0], signs[1]
    if kind == "oversize":
        return (
            rng.uniform(*(iou_range or OVERSIZE_IOU), size=shape),
            rng.uniform(0.25, 0.75, size=shape),
            rng.beta(2.0, 2.0, size=shape),
            rng.beta(2.0, 2.0, size=shape),
        )
    jitter = rng.uniform(-DUPLICATE_JITTER, DUPLICATE_JITTER, size=(4, *shape))
    return jitter[0], jitter[1], 1.0 + jitter[2], 1.0 + jitter[3]


def _derived_boxes(
    kind: str, source: FloatArray, params: tuple[FloatArray, ...], width: float, height: float
) -> FloatArray:
    """Candidate boxes ``(m, k, 4)`` derived from the ``m`` source boxes, rounded to 0.01 px.

    shift: ``params = (target IoU t, split, sign x, sign y)``; the box keeps the share
    ``2t / (1 + t)`` of its area on its object (two equal boxes overlapping by that share have
    IoU t), taken as ``keep**split`` along x and ``keep**(1 - split)`` along y.
    oversize: ``(target IoU t, split, place x, place y)``; the area grows by ``1 / t``, split
    between the sides the same way, and the grown box sits anywhere it still contains the
    object inside the image (an empty range leaves it outside, which the check rejects).
    duplicate: ``(dx, dy, sx, sy)`` relative offsets and scales, then moved into the image.
    """
    x, y, w, h = (source[:, i : i + 1] for i in range(4))
    a, b, c, d = params
    if kind == "shift":
        keep = 2.0 * a / (1.0 + a)
        new_x = x + c * (1.0 - keep**b) * w
        new_y = y + d * (1.0 - keep ** (1.0 - b)) * h
        new_w, new_h = w, h
    elif kind == "oversize":
        grow = 1.0 / a
        new_w, new_h = w * grow**b, h * grow ** (1.0 - b)
        low_x, high_x = np.maximum(0.0, x + w - new_w), np.minimum(x, width - new_w)
        low_y, high_y = np.maximum(0.0, y + h - new_h), np.minimum(y, height - new_h)
        new_x = low_x + c * (high_x - low_x)
        new_y = low_y + d * (high_y - low_y)
    else:
        new_w, new_h = np.minimum(w * c, width), np.minimum(h * d, height)
        new_x = np.clip(x + a * w, 0.0, width - new_w)
        new_y = np.clip(y + b * h, 0.0, height - new_h)
    stacked: FloatArray = np.stack(np.broadcast_arrays(new_x, new_y, new_w, new_h), axis=-1)
    return np.round(stacked, 2)


def inside_image(candidates: FloatArray, width: float, height: float) -> BoolArray:
    """Boxes (any leading shape, last axis ``x, y, w, h``) inside the image, up to rounding."""
    x, y, w, h = np.moveaxis(candidates, -1, 0)
    inside: BoolArray = (
        (x >= -INSIDE_SLACK)
        & (y >= -INSIDE_SLACK)
        & (x + w <= width + INSIDE_SLACK)
        & (y + h <= height + INSIDE_SLACK)
        & (w > 0)
        & (h > 0)
    )
    return inside


def _derived_feasible(
    kind: str, candidates: FloatArray, rows: IntArray, boxes: FloatArray, width: float, height: float
) -> BoolArray:
    """Which candidates ``(m, k)`` derived from ``boxes[rows]`` make a valid mistake of ``kind``."""
    m, k = candidates.shape[:2]
    iou = iou_matrix(candidates.reshape(-1, 4), boxes).reshape(m, k, len(boxes))
    own = iou[np.arange(m)[:, None], np.arange(k)[None, :], rows[:, None]]
    feasible: BoolArray
    if kind == "duplicate":
        feasible = inside_image(candidates, width, height) & (own >= DUPLICATE_MIN_IOU)
    else:
        feasible = (
            inside_image(candidates, width, height)
            & (own >= MIN_IOU_WITH_OWN)
            & (iou.max(axis=2) <= MAX_IOU_WITH_GOLD)
        )
    return feasible


def _row_chunks(order: IntArray, per_row: int, n_gold: int) -> Iterator[IntArray]:
    """Split the gold boxes so one candidate-by-gold IoU block stays below :data:`MAX_IOU_BLOCK`."""
    size = max(1, min(MAX_ROWS_PER_BLOCK, MAX_IOU_BLOCK // max(1, per_row * n_gold)))
    for start in range(0, len(order), size):
        yield order[start : start + size]


# ---------------------------------------------------------------------------------------------
# spurious: a new box on free space
# ---------------------------------------------------------------------------------------------


def has_spurious_box(boxes: FloatArray, width: float, height: float) -> bool:
    """Whether there is free space for a spurious box (checked on the fixed grid)."""
    return bool(_spurious_ok(_spurious_grid(boxes, width, height), boxes, width, height).any())


def spurious_box(
    boxes: FloatArray, width: float, height: float, rng: np.random.Generator
) -> FloatArray | None:
    """A plausibly sized box on free space, or ``None`` when the gold boxes leave none."""
    k = RANDOM_SPURIOUS_CANDIDATES
    if len(boxes):
        template = boxes[rng.integers(len(boxes), size=k), 2:]
        sizes = template * rng.uniform(*SPURIOUS_SCALE, size=(k, 1))
    else:
        sizes = rng.uniform(*SPURIOUS_IMAGE_SHARE, size=(k, 2)) * np.array([width, height])
    drawn = _place(sizes, rng.uniform(0.0, 1.0, size=(k, 2)), width, height)
    drawn_ok = np.flatnonzero(_spurious_ok(drawn, boxes, width, height))
    if drawn_ok.size:
        chosen: FloatArray = drawn[int(rng.choice(drawn_ok))]
        return chosen
    grid = _spurious_grid(boxes, width, height)
    grid_ok = np.flatnonzero(_spurious_ok(grid, boxes, width, height))
    if grid_ok.size == 0:
        return None
    fallback: FloatArray = grid[int(rng.choice(grid_ok))]
    return fallback


def _spurious_ok(candidates: FloatArray, boxes: FloatArray, width: float, height: float) -> BoolArray:
    """Inside the image, and no gold box covers more than a sliver of the candidate."""
    ok = inside_image(candidates, width, height)
    if len(boxes) == 0:
        return ok
    iou = iou_matrix(candidates, boxes)
    candidate_area = areas(candidates)[:, None]
    # The intersection recovered from IoU: I = IoU * (A + B) / (1 + IoU).
    intersection = iou * (candidate_area + areas(boxes)[None, :]) / (1.0 + iou)
    coverage = intersection / candidate_area
    feasible: BoolArray = ok & (coverage.max(axis=1) <= SPURIOUS_MAX_COVERAGE)
    return feasible


def _place(sizes: FloatArray, fractions: FloatArray, width: float, height: float) -> FloatArray:
    """Boxes of ``sizes`` ``(k, 2)`` at ``fractions`` ``(k, 2)`` of the free range along each side."""
    image = np.array([width, height], dtype=np.float64)
    clipped = np.minimum(sizes, image)
    corner = fractions * (image - clipped)
    placed: FloatArray = np.column_stack([corner, clipped]).astype(np.float64)
    return np.round(placed, 2)


def _spurious_grid(boxes: FloatArray, width: float, height: float) -> FloatArray:
    """Fixed candidates: the smallest and the median gold box size (or 10% of each side) on a grid."""
    if len(boxes):
        by_area = np.argsort(areas(boxes), kind="stable")
        sizes = boxes[by_area[[0, len(boxes) // 2]], 2:]
    else:
        sizes = np.array([[0.1 * width, 0.1 * height]])
    steps = np.linspace(0.0, 1.0, SPURIOUS_GRID)
    fx, fy = np.meshgrid(steps, steps, indexing="ij")
    fractions = np.column_stack([fx.ravel(), fy.ravel()])
    return np.concatenate(
        [_place(np.broadcast_to(size, fractions.shape), fractions, width, height) for size in sizes]
    )
