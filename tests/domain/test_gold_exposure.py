"""Choosing gold so that it reaches as many annotators as work does (pure, no database)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from annotation_qc.domain.gold_exposure import (
    GoldChoice,
    GoldState,
    choose_gold,
    draw_target,
    exposure_ceiling,
    exposure_shares,
    final_exposures,
    target_deficits,
)

#: A project where most items are labelled once, some twice (overlap), and skips add one more.
WORK = {1: 700, 2: 200, 3: 80, 4: 20}


def test_shares_are_the_work_histogram_normalised() -> None:
    assert exposure_shares({2: 1, 1: 3, 0: 9, 5: 0}) == {1: 0.75, 2: 0.25}
    assert exposure_shares({}) == {1: 1.0}  # nothing to learn from: gold is seen once
    assert exposure_ceiling(exposure_shares(WORK)) == 4


def test_items_in_flight_are_expected_to_end_as_settled_ones_did() -> None:
    # 30 settled: of those that reached 2, half went on to 4 (sent on after disagreements).
    settled = {1: 20, 2: 5, 4: 5}
    assert final_exposures(settled, {2: 4, 1: 0}) == {1: 20.0, 2: 7.0, 4: 7.0}
    # Nothing settled reached 5: an item there counts at 5.
    assert final_exposures(settled, {5: 1})[5] == 1.0
    # Too few settled to go by: items in flight count at their level.
    assert final_exposures({1: 3, 4: 1}, {1: 10}) == {1: 13.0, 4: 1.0}


def test_targets_track_the_shares_within_three_items_per_count() -> None:
    """Over 500 draws the pool's histogram never strays from the shares by 3 items in any count (the
    worst seen over 200 seeds was 2.2)."""
    shares = exposure_shares(WORK)
    rng = np.random.default_rng(0)
    assigned: Counter[int] = Counter()
    for n in range(1, 501):
        target = draw_target(shares, assigned, above=0, rng=rng)
        assert target is not None
        assigned[target] += 1
        for k, share in shares.items():
            assert abs(assigned[k] - share * n) < 3, (n, k, dict(assigned))


def test_independent_draws_drift_where_tracked_ones_do_not() -> None:
    """Why the draw is weighted by what the histogram lacks: plain draws from the shares stray by
    several items per count over a few hundred gold items (the mutation this test guards against)."""
    shares = exposure_shares(WORK)
    rng = np.random.default_rng(1)
    plain = Counter(int(k) for k in rng.choice(list(shares), size=500, p=list(shares.values())))
    assert max(abs(plain[k] - shares[k] * 500) for k in shares) > 3


def test_items_under_way_come_first_then_new_ones_with_a_target() -> None:
    shares = exposure_shares(WORK)
    rng = np.random.default_rng(2)
    candidates = [GoldState(0, None), GoldState(2, 2), GoldState(1, 3), GoldState(exposure=1, target=2)]
    # The oldest under way first (the candidates come oldest first), as the work queue serves them.
    assert choose_gold(candidates, shares, Counter({3: 1, 2: 2}), rng) == GoldChoice(index=2, target=3)
    fresh = choose_gold([GoldState(0, None), GoldState(2, 2)], shares, Counter(), rng)
    assert fresh is not None
    assert (fresh.index, fresh.target in shares) == (0, True)
    assert choose_gold([GoldState(2, 2)], shares, Counter(), rng) is None  # at its target: retired
    assert choose_gold([], shares, Counter(), rng) is None


def test_an_item_seen_as_work_starts_only_where_work_reaches_more_annotators() -> None:
    shares = exposure_shares({1: 6, 2: 3, 3: 1})
    rng = np.random.default_rng(3)
    promoted = GoldState(exposure=2, target=None)
    # The pool already holds more than its share of items reaching 3: a promoted item seen by two waits.
    assert target_deficits(shares, Counter({1: 6, 2: 3, 3: 2}), above=2) == {}
    assert choose_gold([promoted], shares, Counter({1: 6, 2: 3, 3: 2}), rng) is None
    # It lacks one: the promoted item starts, to reach three.
    assert choose_gold([promoted], shares, Counter({1: 16, 2: 6}), rng) == GoldChoice(index=0, target=3)
    # Seen by as many as any work item: never served again.
    assert exposure_ceiling(shares) == 3


def _simulate(
    work: dict[int, int], n_gold: int, n_annotators: int, rounds: int, seed: int, *, tracked: bool
) -> list[int]:
    """Annotators take benchmarks in turn from one gold pool; returns each started item's exposure.

    ``tracked``: choose with :func:`choose_gold`; else ignore exposure (any unseen item, at random,
    served until it is seen by everyone who comes by), the mutation the test must catch.
    """
    shares = exposure_shares(work)
    rng = np.random.default_rng(seed)
    exposure = [0] * n_gold
    target: list[int | None] = [None] * n_gold
    seen: list[set[int]] = [set() for _ in range(n_gold)]
    assigned: Counter[int] = Counter()
    for _ in range(rounds):
        for annotator in range(n_annotators):
            open_ = [
                i
                for i in range(n_gold)
                if annotator not in seen[i] and ((t := target[i]) is None or exposure[i] < t)
            ]
            if not open_:
                continue
            if tracked:
                choice = choose_gold(
                    [GoldState(exposure[i], target[i]) for i in open_], shares, assigned, rng
                )
                if choice is None:
                    continue
                index = open_[choice.index]
                if target[index] is None:
                    assigned[choice.target] += 1
                target[index] = choice.target
            else:
                index = open_[int(rng.integers(len(open_)))]
            exposure[index] += 1
            seen[index].add(annotator)
    return [e for e in exposure if e > 0]


def _work_sample(work: dict[int, int], n: int, seed: int) -> list[int]:
    shares = exposure_shares(work)
    rng = np.random.default_rng(seed)
    return [int(k) for k in rng.choice(list(shares), size=n, p=list(shares.values()))]


def _chi_square_p(a: list[int], b: list[int]) -> float:
    counts = sorted(set(a) | set(b))
    table = np.array([[Counter(a)[k] for k in counts], [Counter(b)[k] for k in counts]])
    return float(chi2_contingency(table)[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gold_exposure_follows_work_so_a_chi_square_test_cannot_separate_them(seed: int) -> None:
    """12 annotators take 480 benchmarks from a pool of 300 gold items; its started items (at least
    250) against as many work items: p > 0.05 for every seed, where gold served without regard to
    exposure (any unseen item) is separated at p < 1e-4."""
    gold = _simulate(WORK, n_gold=300, n_annotators=12, rounds=40, seed=seed, tracked=True)
    work = _work_sample(WORK, len(gold), seed + 100)
    assert len(gold) >= 250
    assert _chi_square_p(gold, work) > 0.05, (Counter(gold), Counter(work))
    careless = _simulate(WORK, n_gold=300, n_annotators=12, rounds=40, seed=seed, tracked=False)
    assert _chi_square_p(careless, _work_sample(WORK, len(careless), seed + 100)) < 1e-4, Counter(careless)
