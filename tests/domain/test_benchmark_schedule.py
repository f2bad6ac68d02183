import numpy as np
import pytest

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


def test_qualification_then_rate_independent_of_position():
    from annotation_qc.domain.benchmark_schedule import benchmark_due_at

    draws = np.random.default_rng(3).random(40_004)
    flags = np.array(
        [
            benchmark_due_at(ordinal=n, qualification=4, rate=0.2, block_draw=lambda k: float(draws[k]))
            for n in range(40_004)
        ]
    )
    assert flags[:4].all()
    after = flags[4:].reshape(-1, 100)  # 40,000 tasks after the qualification
    # The share is the rate at every position of a window: no burst, no pattern.
    assert abs(flags[4:].mean() - 0.2) < 0.01
    assert np.abs(after.mean(axis=0) - 0.2).max() < 0.08
    assert not any(
        benchmark_due_at(ordinal=n, qualification=0, rate=0.0, block_draw=lambda k: 0.0) for n in range(100)
    )


@pytest.mark.parametrize("rate", [0.1, 0.15, 0.25, 0.3, 0.5])
def test_the_share_stays_near_the_rate_over_any_window(rate: float) -> None:
    """One benchmark at a keyed place in each block of 1/rate tasks: any window of an annotator's
    tasks holds the rate's share within two tasks (independent draws stray by several)."""
    from annotation_qc.domain.benchmark_schedule import benchmark_due_at
    from annotation_qc.domain.keyed_random import keyed_uniform

    for annotator in range(5):
        flags = np.array(
            [
                benchmark_due_at(
                    ordinal=n,
                    qualification=3,
                    rate=rate,
                    block_draw=lambda k, a=annotator: keyed_uniform(b"key", a, k, "due"),
                )
                for n in range(2003)
            ]
        )[3:]
        assert abs(flags.mean() - rate) < 0.01
        for window in (10, 20, 50):
            counts = np.convolve(flags, np.ones(window, dtype=int), mode="valid")
            assert np.abs(counts - window * rate).max() < 2, (rate, window)
    # Where the benchmark sits in its block depends on the key: two keys, two schedules.
    one = [
        benchmark_due_at(
            ordinal=n, qualification=0, rate=0.2, block_draw=lambda k: keyed_uniform(b"a", 1, k, "due")
        )
        for n in range(200)
    ]
    two = [
        benchmark_due_at(
            ordinal=n, qualification=0, rate=0.2, block_draw=lambda k: keyed_uniform(b"b", 1, k, "due")
        )
        for n in range(200)
    ]
    assert one != two
