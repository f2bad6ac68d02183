"""When an annotator's next task should be a benchmark."""

from __future__ import annotations


def benchmark_due(
    *,
    served: int,
    benchmarks: int,
    rate: float,
    calibration_benchmarks: int,
    calibration_window: int,
    draw: float,
) -> bool:
    """Decide whether the next task is a benchmark.

    ``served`` tasks were served so far, ``benchmarks`` of them benchmarks; ``draw`` is a uniform
    number in [0, 1). Within the first ``calibration_window`` tasks the annotator gets at least
    ``calibration_benchmarks`` benchmarks, spread at random over the window (each remaining task
    is a benchmark with probability needed / remaining, or ``rate`` if higher, so the quota is met
    by the end of the window). After that, a task is a benchmark with probability ``rate``.
    """
    if served < calibration_window:
        needed = calibration_benchmarks - benchmarks
        if needed > 0:
            remaining = calibration_window - served
            return draw < max(rate, needed / remaining)
    return draw < rate


def benchmark_due_at(*, ordinal: int, qualification: int, rate: float, draw: float) -> bool:
    """Whether the annotator's task number ``ordinal`` (from 0) is a benchmark.

    The first ``qualification`` tasks are an announced qualification set: all benchmarks, and the
    annotator is told (the task's ``phase``), as in Appen's quiz mode or Toloka's training pools.
    After it every task is a benchmark with probability ``rate``, independently of its position
    (``draw`` is the task's keyed uniform number), so no position tells: there is no hidden burst.
    """
    if ordinal < qualification:
        return True
    return draw < rate
