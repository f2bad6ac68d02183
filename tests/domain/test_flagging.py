"""Sequential flagging: the statistics, the decision, and its error rates by simulation."""

import numpy as np
import pytest
from scipy.integrate import quad

from annotation_qc.domain.flagging import (
    FlagRule,
    benchmark_evidence,
    cusum_path,
    evidence_flag,
    evidence_flag_paths,
    first_flag_index,
    flag_paths,
    flag_status,
    mixture_log_lr,
    sequential_flag,
)
from annotation_qc.domain.peer_skill import peer_fit

RULE = FlagRule(threshold=0.6)


def test_rule_derives_rates_from_the_threshold():
    assert RULE.p_good == pytest.approx(0.65)
    assert RULE.p_bad == pytest.approx(0.3)
    assert RULE.overall_boundary == pytest.approx(np.log(100))
    with pytest.raises(ValueError, match="threshold"):
        FlagRule(threshold=1.0)
    with pytest.raises(ValueError, match="alpha"):
        FlagRule(threshold=0.6, alpha=0.7)


@pytest.mark.parametrize(("s", "f"), [(0, 0), (0, 6), (3, 9), (12, 5)])
def test_mixture_matches_numerical_integration(s, f):
    p_good, p_max = 0.65, 0.6
    integral, _ = quad(lambda p: p**s * (1 - p) ** f / p_max, 0, p_max)
    expected = np.log(integral) - (s * np.log(p_good) + f * np.log(1 - p_good))
    assert mixture_log_lr(s, f, p_good=p_good, p_max=p_max) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_cusum_restarts_from_zero():
    x = np.array([1, 1, 1, 0, 0, 1, 0], dtype=bool)
    up, down = np.log(0.7 / 0.35), np.log(0.3 / 0.65)
    expected, c = [], 0.0
    for fixed in x:
        c = max(0.0, c + (down if fixed else up))
        expected.append(c)
    assert cusum_path(x, p_good=0.65, p_bad=0.3) == pytest.approx(expected)
    assert len(cusum_path([], p_good=0.65, p_bad=0.3)) == 0


def test_spammer_flagged_within_eight_benchmarks_from_the_first():
    assert first_flag_index(np.zeros(20, dtype=bool), RULE) is not None
    assert first_flag_index(np.zeros(20, dtype=bool), RULE) <= 8
    decision = sequential_flag(np.zeros(8, dtype=bool), RULE)
    assert decision.flagged
    assert decision.reason == "overall"
    assert flag_status(decision, min_benchmarks=10) == "flagged"  # evidence beats calibration


def test_good_annotator_is_ok_after_calibration_and_calibrating_before():
    decision = sequential_flag([True, True, False, True], RULE)
    assert not decision.flagged
    assert decision.reason is None
    assert flag_status(decision, min_benchmarks=5) == "calibrating"
    assert flag_status(sequential_flag([True] * 5, RULE), min_benchmarks=5) == "ok"
    assert flag_status(sequential_flag([], RULE), min_benchmarks=0) == "ok"


def test_flag_holds_until_evidence_no_longer_favours_a_bad_rate():
    misses = [False] * 8
    _, _, flagged = flag_paths([*misses, True], RULE)
    assert flagged[7]
    assert flagged[8]
    _, recent, flagged = flag_paths([*misses, *[True] * 40], RULE)
    assert not flagged[-1]  # a long good run does
    assert recent[-1] == 0.0


def test_degrader_is_flagged_by_the_recent_test():
    x = np.array([True] * 30 + [False, False, False, True] * 5)
    decision = sequential_flag(x, RULE)
    assert decision.flagged
    assert decision.reason == "recent"
    assert 30 < decision.first_flagged_at <= 45
    assert sequential_flag(x[:30], RULE).recent == 0.0


def _flag_rate(p: float, n: int, rule: FlagRule, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    outcomes = rng.random((trials, n)) < p
    return float(np.mean([first_flag_index(row, rule) is not None for row in outcomes]))


def test_false_flag_rate_of_the_overall_test_is_at_most_alpha():
    # Only the overall test: an annotator at exactly the good rate, watched for 150 benchmarks.
    rule = FlagRule(threshold=0.6, recent_alpha=1e-9)
    rate = _flag_rate(0.65, 150, rule, trials=2000, seed=1)
    # Ville: at most alpha = 1% whatever the horizon; with a binomial margin for 2000 trials.
    assert rate <= 0.01 + 3 * np.sqrt(0.01 * 0.99 / 2000)


def test_false_flags_of_both_tests_are_rare_for_good_annotators():
    assert _flag_rate(0.75, 60, RULE, trials=1500, seed=2) <= 0.01
    assert _flag_rate(0.65, 60, RULE, trials=1500, seed=3) <= 0.07  # ~60 x recent_alpha at the boundary


def test_power_against_bad_rates():
    assert _flag_rate(0.3, 30, RULE, trials=1000, seed=4) >= 0.8
    assert _flag_rate(0.0, 8, RULE, trials=10, seed=5) == 1.0


# --- selective skipping --------------------------------------------------------------------------


def test_skip_p_values_match_scipy_fisher_exact():
    from scipy.stats import fisher_exact

    from annotation_qc.domain.skipping import selective_skip_p_values, skip_signals

    tables = [(22, 22, 200, 0), (10, 2, 90, 9), (5, 0, 50, 3), (12, 6, 100, 4)]
    got = selective_skip_p_values(*np.array(tables).T)
    for (bn, bs, wn, ws), p in zip(tables, got, strict=True):
        expected = fisher_exact([[bs, bn - bs], [ws, wn - ws]], alternative="greater").pvalue
        assert p == pytest.approx(expected, rel=1e-9)
    signals = skip_signals(*np.array(tables).T)
    assert [s.selective for s in signals] == [True, False, False, True]
    assert signals[0].benchmark_skip_rate == 1.0
    assert signals[0].work_skip_rate == 0.0
    with pytest.raises(ValueError, match="skipped counts"):
        selective_skip_p_values([1], [2], [1], [0])


def test_skipping_alike_is_rarely_called_selective():
    from annotation_qc.domain.skipping import selective_skip_p_values

    rng = np.random.default_rng(7)
    bn, wn = np.full(2000, 20), np.full(2000, 180)
    p = selective_skip_p_values(bn, rng.binomial(bn, 0.1), wn, rng.binomial(wn, 0.1))
    assert np.mean(p < 0.01) <= 0.01  # Fisher's test is conservative


# --- benchmarks and peer evidence together -------------------------------------------------------


def test_evidence_path_of_benchmarks_alone_is_the_closed_form_mixture():
    rng = np.random.default_rng(7)
    outcomes = rng.random(120) < 0.5
    overall, recent, flagged = flag_paths(outcomes, RULE)
    a, b = benchmark_evidence(outcomes)
    e_overall, e_recent, e_flagged = evidence_flag_paths(a, b, RULE)
    assert np.allclose(e_overall, overall, atol=1e-6)
    assert np.allclose(e_recent, recent)
    assert (e_flagged == flagged).all()


def test_evidence_flag_counts_benchmarks_not_pieces():
    a, b = benchmark_evidence([False] * 8)
    peer_a, peer_b = np.ones(5), -np.full(5, 0.9)  # five answers that say "low rate"
    order_a = np.concatenate([a[:2], peer_a, a[2:]])
    order_b = np.concatenate([b[:2], peer_b, b[2:]])
    is_benchmark = np.concatenate([[True, True], np.zeros(5, bool), np.ones(6, bool)])
    decision = evidence_flag(order_a, order_b, RULE, is_benchmark=is_benchmark)
    assert decision.n == 8
    assert decision.flagged
    assert decision.first_flagged_at is not None
    assert decision.first_flagged_at <= 8
    with pytest.raises(ValueError, match="probability"):
        evidence_flag([0.5], [-0.9], RULE)
    with pytest.raises(ValueError, match="is_benchmark"):
        evidence_flag([1.0], [-1.0], RULE, is_benchmark=[True, False])


def _population_first_flags(
    subject_rate: float, *, subjects: int, benchmarks: int, seed: int, rule: FlagRule
) -> tuple[np.ndarray, np.ndarray]:
    """First flag (in benchmarks) of each subject, with peers and with benchmarks alone (0: never).

    Subjects of one rate work beside partners of rate 0.85 (a third of the population); one benchmark per
    ten tasks, nine regular items in between, 20% of them shared (the flagging simulation's world).
    """
    from tests.domain.peer_simulation import work_world

    rng = np.random.default_rng(seed)
    rates = np.concatenate([np.full(subjects, subject_rate), np.full(subjects // 2, 0.85)])
    world = work_world(rates, items_each=9 * benchmarks, shared_share=0.2, rng=rng)
    outcomes = rng.random((len(rates), benchmarks)) < rates[:, None]
    fit = peer_fit(
        world.rows,
        n_annotators=len(rates),
        bench_fixed=outcomes.sum(axis=1),
        bench_n=np.full(len(rates), benchmarks),
        single_items=True,
    )
    with_peers, alone = np.zeros(subjects, int), np.zeros(subjects, int)
    bench_time = 9 * np.arange(1, benchmarks + 1) - 0.5
    for person in range(subjects):
        mine = world.rows.annotator == person
        a_b, b_b = benchmark_evidence(outcomes[person])
        a = np.concatenate([a_b, fit.row_a[mine]])
        b = np.concatenate([b_b, fit.row_b[mine]])
        at = np.concatenate([bench_time, world.order[mine]])
        is_bench = np.concatenate([np.ones(benchmarks, bool), np.zeros(int(mine.sum()), bool)])
        order = np.argsort(at, kind="stable")
        _, _, flagged = evidence_flag_paths(a[order], b[order], rule)
        at_bench = flagged[is_bench[order]]
        with_peers[person] = int(np.argmax(at_bench)) + 1 if at_bench.any() else 0
        alone[person] = first_flag_index(outcomes[person], rule) or 0
    return with_peers, alone


def test_false_flags_with_peer_evidence_stay_at_most_alpha_at_the_good_rate():
    rule = FlagRule(threshold=0.6, recent_alpha=1e-9)  # the overall test, whose bound is Ville's
    with_peers, _ = _population_first_flags(0.65, subjects=300, benchmarks=40, seed=11, rule=rule)
    rate = float(np.mean(with_peers > 0))
    assert rate <= 0.01 + 3 * np.sqrt(0.01 * 0.99 / 300)


def test_peer_evidence_flags_weak_annotators_sooner_than_benchmarks_alone():
    with_peers, alone = _population_first_flags(0.45, subjects=100, benchmarks=30, seed=12, rule=RULE)
    peers_rate = float(np.mean((with_peers > 0) & (with_peers <= 30)))
    alone_rate = float(np.mean((alone > 0) & (alone <= 30)))
    assert peers_rate >= alone_rate + 0.2
    assert peers_rate >= 0.6
