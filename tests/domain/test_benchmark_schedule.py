import numpy as np

from annotation_qc.domain.benchmark_schedule import benchmark_due


def simulate(tasks: int, *, rate: float, calibration: int, window: int, seed: int) -> list[bool]:
    rng = np.random.default_rng(seed)
    benchmarks, out = 0, []
    for served in range(tasks):
        due = benchmark_due(
            served=served,
            benchmarks=benchmarks,
            rate=rate,
            calibration_benchmarks=calibration,
            calibration_window=window,
            draw=float(rng.random()),
        )
        out.append(due)
        benchmarks += due
    return out


def test_calibration_quota_met_exactly_within_window():
    for seed in range(50):
        first = simulate(10, rate=0.0, calibration=5, window=10, seed=seed)
        assert sum(first) == 5


def test_calibration_positions_vary_between_annotators():
    patterns = {tuple(simulate(10, rate=0.0, calibration=5, window=10, seed=s)) for s in range(30)}
    assert len(patterns) > 10


def test_rate_after_calibration():
    flags = simulate(20_000, rate=0.1, calibration=5, window=10, seed=1)[10:]
    assert abs(np.mean(flags) - 0.1) < 0.01


def test_zero_rate_and_no_calibration_never_due():
    assert not any(simulate(500, rate=0.0, calibration=0, window=10, seed=2))
