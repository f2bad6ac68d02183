import json

import numpy as np
import pytest

from annotation_qc.domain.skill import (
    AccuracyEstimate,
    annotator_status,
    beta_interval,
    estimate_accuracy,
    skill_summary,
    wilson_interval,
)

# Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison
# of seven methods. Statistics in Medicine 17, 857-872, Table II, method 3 (score interval
# without continuity correction), 95% intervals of the paper's four worked examples.
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("successes", "trials", "low", "high"), NEWCOMBE_WILSON)
def test_wilson_matches_newcombe_1998(successes, trials, low, high):
    got_low, got_high = wilson_interval(successes, trials)
    assert isinstance(got_low, float)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_is_vectorised():
    successes = np.array([s for s, _, _, _ in NEWCOMBE_WILSON])
    trials = np.array([n for _, n, _, _ in NEWCOMBE_WILSON])
    low, high = wilson_interval(successes, trials)
    assert low.shape == high.shape == (4,)
    np.testing.assert_allclose(low, [lo for _, _, lo, _ in NEWCOMBE_WILSON], atol=5e-5)
    np.testing.assert_allclose(high, [hi for _, _, _, hi in NEWCOMBE_WILSON], atol=5e-5)


def test_wilson_edges():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    z2 = 1.959963984540054**2
    # 0 of n: the upper bound solves to z^2 / (n + z^2); n of n mirrors it.
    assert wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + z2), 1.0))
    narrow = wilson_interval(81, 263, confidence=0.5)
    assert 0.2553 < narrow[0] < narrow[1] < 0.3662
    for successes, trials in [(3, 2), (-1, 4), (1, -1)]:
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(successes, trials)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.0)


def test_beta_interval_closed_forms():
    # Uniform prior, n of n: the posterior Beta(n + 1, 1) has CDF x^(n + 1).
    n = 12
    low, high = beta_interval(n, n)
    assert low == pytest.approx(0.025 ** (1 / (n + 1)))
    assert high == pytest.approx(0.975 ** (1 / (n + 1)))
    # 0 of n mirrors it; with no trials there is no claim.
    assert beta_interval(0, n) == pytest.approx((1 - 0.975 ** (1 / (n + 1)), 1 - 0.025 ** (1 / (n + 1))))
    assert beta_interval(0, 0) == (0.0, 1.0)
    lows, highs = beta_interval(np.array([0, n]), np.array([0, n]))
    np.testing.assert_allclose(lows, [0.0, 0.025 ** (1 / (n + 1))])
    np.testing.assert_allclose(highs, [1.0, 0.975 ** (1 / (n + 1))])
    with pytest.raises(ValueError, match="prior"):
        beta_interval(1, 2, prior=(0.0, 1.0))


def test_beta_interval_with_jeffreys_prior_brackets_the_proportion():
    low, high = beta_interval(81, 263, prior=(0.5, 0.5))
    assert low < 81 / 263 < high
    # Close to Wilson at this sample size.
    assert low == pytest.approx(0.2553, abs=0.003)
    assert high == pytest.approx(0.3662, abs=0.003)


def test_estimate_accuracy():
    estimate = estimate_accuracy(81, 263)
    assert (estimate.n, estimate.correct) == (263, 81)
    assert estimate.accuracy == pytest.approx(81 / 263)
    assert (round(estimate.low, 4), round(estimate.high, 4)) == (0.2553, 0.3662)
    none = estimate_accuracy(0, 0)
    assert none.to_dict() == {"n": 0, "correct": 0, "accuracy": None, "low": 0.0, "high": 1.0}
    assert estimate_accuracy(3, 4, method="beta").low == pytest.approx(beta_interval(3, 4)[0])


def benchmarks():
    # Ten benchmarks, given out of time order on purpose.
    fixed = [True, False, True, True, False, True, True, True, False, True]
    kinds = ["shift", "drop", "shift", "relabel", "drop", "spurious", "shift", "relabel", "drop", "spurious"]
    labels = ["car", "car", "person", None, "person", "car", "car", "person", None, "car"]
    times = [5.0, 1.0, 9.0, 2.0, 7.0, 3.0, 10.0, 4.0, 8.0, 6.0]
    return fixed, kinds, labels, times


def test_skill_summary_overall_per_kind_and_per_label():
    fixed, kinds, labels, times = benchmarks()
    summary = skill_summary(fixed, error_kinds=kinds, labels=labels, submitted_at=times, window=4)
    assert (summary.overall.n, summary.overall.correct) == (10, 7)
    assert summary.overall.low == pytest.approx(wilson_interval(7, 10)[0])
    per_kind = {kind: (e.n, e.correct) for kind, e in summary.by_error_kind.items()}
    assert per_kind == {"drop": (3, 0), "relabel": (2, 2), "shift": (3, 3), "spurious": (2, 2)}
    assert summary.by_error_kind["drop"].accuracy == 0.0
    per_label = {label: (e.n, e.correct) for label, e in summary.by_label.items()}
    assert per_label == {"car": (5, 4), "person": (3, 2)}


def test_skill_summary_rolling_trend_in_time_order():
    fixed, kinds, labels, times = benchmarks()
    trend = skill_summary(fixed, error_kinds=kinds, labels=labels, submitted_at=times, window=4).trend
    # In time order (t = 1..10) the outcomes are: F T T T T T F F T T.
    assert trend.submitted_at == tuple(float(t) for t in range(1, 11))
    assert trend.n == (1, 2, 3, 4, 4, 4, 4, 4, 4, 4)
    assert trend.correct == (0, 1, 2, 3, 4, 4, 3, 2, 2, 2)
    np.testing.assert_allclose(trend.accuracy, np.array(trend.correct) / np.array(trend.n))
    np.testing.assert_allclose(trend.high, wilson_interval(np.array(trend.correct), np.array(trend.n))[1])
    points = trend.to_dict()
    assert points[6] == {
        "t": 7.0,
        "n": 4,
        "correct": 3,
        "accuracy": 0.75,
        "low": trend.low[6],
        "high": trend.high[6],
    }


def test_skill_summary_is_json_serialisable_and_handles_no_benchmarks():
    fixed, kinds, labels, times = benchmarks()
    data = json.loads(
        json.dumps(skill_summary(fixed, error_kinds=kinds, labels=labels, submitted_at=times).to_dict())
    )
    assert data["overall"]["correct"] == 7
    assert data["window"] == 20
    assert len(data["trend"]) == 10
    empty = skill_summary([], error_kinds=[], labels=[], submitted_at=[])
    assert empty.overall == AccuracyEstimate(n=0, correct=0, accuracy=None, low=0.0, high=1.0)
    assert empty.to_dict()["trend"] == []
    assert dict(empty.by_error_kind) == {}
    assert dict(empty.by_label) == {}


def test_skill_summary_rejects_mismatched_input():
    with pytest.raises(ValueError, match="one entry per benchmark"):
        skill_summary([True, False], error_kinds=["shift"], labels=[None, None], submitted_at=[1.0, 2.0])
    with pytest.raises(ValueError, match="window"):
        skill_summary([True], error_kinds=["shift"], labels=[None], submitted_at=[1.0], window=0)


def test_status_rules():
    spammer = estimate_accuracy(0, 5)  # Wilson upper bound 0.434
    assert annotator_status(spammer, threshold=0.5, min_benchmarks=5) == "flagged"
    assert annotator_status(spammer, threshold=0.5, min_benchmarks=6) == "calibrating"
    assert annotator_status(spammer, threshold=0.4, min_benchmarks=5) == "ok"
    # A low observed accuracy is not enough: the whole interval must lie below the threshold.
    unsure = estimate_accuracy(2, 5)  # 0.4, upper bound 0.769
    assert annotator_status(unsure, threshold=0.7, min_benchmarks=5) == "ok"
    sure = estimate_accuracy(20, 50)  # 0.4, upper bound 0.538
    assert annotator_status(sure, threshold=0.7, min_benchmarks=5) == "flagged"
    at_bound = AccuracyEstimate(n=10, correct=5, accuracy=0.5, low=0.2, high=0.7)
    assert annotator_status(at_bound, threshold=0.7, min_benchmarks=5) == "ok"
    assert annotator_status(estimate_accuracy(0, 0), threshold=0.9, min_benchmarks=0) == "ok"
    with pytest.raises(ValueError, match="threshold"):
        annotator_status(spammer, threshold=1.5, min_benchmarks=5)


# --- Shrinkage toward the population ------------------------------------------------------------


def test_population_prior_and_shrunk_estimates_rank_better_than_raw_accuracy():
    from scipy.stats import spearmanr

    from annotation_qc.domain.flagging import benchmark_evidence
    from annotation_qc.domain.skill import (
        RATE_GRID,
        evidence_log_likelihood,
        population_prior,
        shrunk_estimates,
    )

    rng = np.random.default_rng(3)
    rates = np.concatenate([np.zeros(10), rng.uniform(0.25, 0.65, 30), rng.uniform(0.75, 0.97, 60)])
    outcomes = rng.random((len(rates), 40)) < rates[:, None]
    done = rng.integers(5, 41, size=len(rates))  # unequal evidence: where shrinkage reorders
    taken = np.arange(40)[None, :] < done[:, None]
    a, b = benchmark_evidence(outcomes[taken])
    owner = np.repeat(np.arange(len(rates)), done)
    log_lik = evidence_log_likelihood(owner, a, b, n_owners=len(rates) + 1)  # one owner without evidence
    prior = population_prior(log_lik)
    assert prior.sum() == pytest.approx(1.0)
    assert (prior > 0).all()
    assert prior[RATE_GRID < 0.05].sum() > 0.05  # the spammers' mode is found
    shrunk = shrunk_estimates(log_lik, prior)
    raw = (outcomes & taken).sum(axis=1) / done
    true_rank = spearmanr(rates, shrunk.mean[:-1]).statistic
    assert true_rank > spearmanr(rates, raw).statistic
    # Posterior mean squared error beats the raw share's.
    assert np.mean((shrunk.mean[:-1] - rates) ** 2) < np.mean((raw - rates) ** 2)
    # 95% intervals cover the truth about as often as they should.
    covered = np.mean((shrunk.low[:-1] <= rates + 0.01) & (rates - 0.01 <= shrunk.high[:-1]))
    assert covered >= 0.88
    # No evidence: the population's mean, with the population's spread.
    assert shrunk.mean[-1] == pytest.approx(float(prior @ RATE_GRID))
    with pytest.raises(ValueError, match="owner"):
        evidence_log_likelihood([0, 1], [1.0], [0.0], n_owners=2)


def test_posterior_below_path_grows_with_misses():
    from annotation_qc.domain.flagging import benchmark_evidence
    from annotation_qc.domain.skill import RATE_GRID, posterior_below_path

    prior = np.full(len(RATE_GRID), 1.0 / len(RATE_GRID))
    a, b = benchmark_evidence([False] * 10)
    path = posterior_below_path(a, b, prior, 0.6)
    assert np.all(np.diff(path) > 0)
    assert path[-1] > 0.99
