"""When an annotator's next task should be a benchmark."""

from __future__ import annotations

import math
from collections.abc import Callable


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


def schedule_block(position: int, rate: float) -> tuple[int, int, int]:
    """The block holding task ``position`` (counted after the qualification): (index, start, length).

    Block ``k`` covers positions ``ceil(k / rate)`` up to ``ceil((k + 1) / rate)``: ``1 / rate``
    tasks on average, so one benchmark per block is the rate exactly.
    """

    def start(k: int) -> int:
        return math.ceil(k / rate - 1e-9)

    k = int(position * rate)
    while k > 0 and start(k) > position:
        k -= 1
    while start(k + 1) <= position:
        k += 1
    return k, start(k), start(k + 1) - start(k)


def benchmark_due_at(
    *, ordinal: int, qualification: int, rate: float, block_draw: Callable[[int], float]
) -> bool:
    """Whether the annotator's task number ``ordinal`` (from 0) is a benchmark.

    The first ``qualification`` tasks are an announced qualification set: all benchmarks, and the
    annotator is told (the task's ``phase``), as in Appen's quiz mode or Toloka's training pools.
    After it the tasks fall into blocks of ``1 / rate`` tasks (see :func:`schedule_block`), and each
    block holds one benchmark at the position its keyed uniform number ``block_draw(k)`` picks. So
    over any window an annotator's benchmark share stays within two tasks of the rate, and every
    position of a block is equally likely (no position tells, no hidden burst); which one it is
    depends on the secret key.
    """
    if ordinal < qualification:
        return True
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    k, start, length = schedule_block(ordinal - qualification, rate)
    return ordinal - qualification == start + min(int(block_draw(k) * length), length - 1)
