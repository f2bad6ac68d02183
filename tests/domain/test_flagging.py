"""Sequential flagging: the statistics, the decision, and its error rates by simulation."""

import numpy as np
import pytest
from scipy.integrate import quad

from annotation_qc.domain.flagging import (
    FlagRule,
    cusum_path,
    first_flag_index,
    flag_paths,
    flag_status,
    mixture_log_lr,
    sequential_flag,
)

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
