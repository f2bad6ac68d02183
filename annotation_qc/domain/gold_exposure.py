"""How many annotators a gold item reaches: as many as a work item of the same project does.

Colluding annotators who compare the items they were served count, per item, how many of them saw
it (Checco, Bates and Demartini's attack on gold questions). So a gold item's exposure, the number
of distinct annotators it is served to, must follow the distribution of a work item's in the same
project, and its servings must come close together as a work item's do.

- The target distribution is learned from the project's work items: each reaches
  ``max(distinct annotators so far, annotations required)`` (skips, expired leases and dynamic
  overlap included, as they happen), and one still in flight is expected to go on as settled ones
  did (see :func:`final_exposures` and :func:`exposure_shares`).
- When a gold item is first served as a benchmark it is given a final exposure, its target, drawn
  by :func:`draw_target` so that the histogram of the pool's targets tracks the work histogram
  (each draw weighted by what the histogram still lacks, so it stays within about one item of it
  per bin rather than drifting as independent draws would).
- A gold item under way (served, below its target) is served again before a new one is started,
  the oldest first, as the work queue keeps an item with open slots at its top until they are
  filled: its annotators see it close together, as a work item's do. At its target it retires,
  and the pool rotates.
- A gold item that already reached annotators as work (promoted from confirmed items) starts from
  that exposure: it is started only where the work histogram still lacks items of a higher count,
  and it is over-exposed (retired) if no work item reaches more annotators than it already has.

Everything here is pure: the services read the counts and persist the choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GoldState:
    """A candidate gold item: the annotators who saw it so far, and its drawn target (None: unstarted)."""

    exposure: int
    target: int | None


@dataclass(frozen=True)
class GoldChoice:
    """The candidate to serve (its index) and its final exposure (drawn now for an unstarted one)."""

    index: int
    target: int


#: Settled work items needed before items in flight are spread as they ended (fewer: each at its level).
MIN_SETTLED = 30


def final_exposures(
    settled: Mapping[int, int], in_flight: Mapping[int, int], *, min_settled: int = MIN_SETTLED
) -> dict[int, float]:
    """How many work items end at ``k`` annotators, from ``{k: items}`` settled (they will be served
    no more) and ``{m: items}`` in flight (open slots, a live task, a consensus to come: at least
    ``m``, maybe more).

    An item in flight at ``m`` is spread over ``k >= m`` as the settled items that reached ``m``
    ended (a work item sent to one more annotator after a disagreement is often sent on again, so
    counting it at ``m`` would undercount the items reaching the most annotators); where no settled
    item reached ``m``, or fewer than ``min_settled`` items settled at all, it counts at ``m``.
    """
    out: dict[int, float] = {int(k): float(n) for k, n in settled.items() if int(n) > 0}
    spread = sum(out.values()) >= min_settled
    for m, n in in_flight.items():
        if int(n) <= 0:
            continue
        tail = {k: c for k, c in settled.items() if k >= m and c > 0} if spread else {}
        total = sum(tail.values())
        if total == 0:
            out[int(m)] = out.get(int(m), 0.0) + float(n)
            continue
        for k, c in tail.items():
            out[int(k)] = out.get(int(k), 0.0) + float(n) * c / total
    return out


def exposure_shares(histogram: Mapping[int, float]) -> dict[int, float]:
    """The share of work items reaching ``k`` annotators, from ``{k: items}`` (counts below 1 are left out).

    An empty histogram gives ``{1: 1.0}``: with no work to learn from, a gold item is seen once.
    """
    counts = {int(k): float(n) for k, n in histogram.items() if int(k) >= 1 and n > 0}
    total = sum(counts.values())
    if total == 0:
        return {1: 1.0}
    return {k: n / total for k, n in sorted(counts.items())}


def exposure_ceiling(shares: Mapping[int, float]) -> int:
    """The most annotators a work item reaches: a gold item seen by as many is over-exposed (serving
    it once more would give it an exposure no work item has) and retires."""
    return max(shares)


def target_deficits(
    shares: Mapping[int, float], assigned: Mapping[int, int], *, above: int
) -> dict[int, float]:
    """What the pool's target histogram ``assigned`` lacks at each count ``k > above`` if one more
    target is drawn: ``share(k) * (n + 1) - assigned(k)``, positive values only."""
    n = sum(assigned.values())
    out = {}
    for k, share in shares.items():
        if k > above:
            lack = share * (n + 1) - assigned.get(k, 0)
            if lack > 1e-12:
                out[k] = lack
    return out


def draw_target(
    shares: Mapping[int, float], assigned: Mapping[int, int], *, above: int, rng: np.random.Generator
) -> int | None:
    """A final exposure above ``above`` for a gold item starting now, or None if the pool has enough
    items of every such count already.

    Drawn in proportion to what the histogram of targets already given (``assigned``) lacks against
    the work shares: over many draws the targets follow the shares, and at any time every bin is
    within about one item of them (an unstarted item, ``above=0``, always finds a lacking bin, as the
    lacks sum to one).
    """
    deficits = target_deficits(shares, assigned, above=above)
    if not deficits:
        return None
    counts = sorted(deficits)
    weights = np.array([deficits[k] for k in counts], dtype=float)
    return counts[int(rng.choice(len(counts), p=weights / weights.sum()))]


def choose_gold(
    candidates: Sequence[GoldState],
    shares: Mapping[int, float],
    assigned: Mapping[int, int],
    rng: np.random.Generator,
) -> GoldChoice | None:
    """Which candidate (gold items the annotator has never seen, oldest first) to serve, or None.

    The first item under way (``exposure < target``) comes first, as the work queue serves its oldest
    item with open slots first (so an item's annotators see it close together, and few are left
    short of their target when annotators stop); else an unstarted one that may start
    (:func:`draw_target` finds a count above its exposure), drawn uniformly, with its target.
    Started items at or over their target are never chosen (they are retired).
    """
    for index, candidate in enumerate(candidates):
        if candidate.target is not None and candidate.exposure < candidate.target:
            return GoldChoice(index=index, target=candidate.target)
    startable = [
        i
        for i, c in enumerate(candidates)
        if c.target is None and target_deficits(shares, assigned, above=c.exposure)
    ]
    if not startable:
        return None
    index = startable[int(rng.integers(len(startable)))]
    target = draw_target(shares, assigned, above=candidates[index].exposure, rng=rng)
    return None if target is None else GoldChoice(index=index, target=target)
