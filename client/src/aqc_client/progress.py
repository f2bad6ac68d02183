"""A one-line progress bar on standard error for long jobs (no dependency)."""

from __future__ import annotations

import sys
from typing import TextIO

from aqc_client.types import Job


class JobProgress:
    """Call with each polled job: draws ``label [#####     ] 50% 5/10 running`` in place."""

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self._last = ""

    def __call__(self, job: Job) -> None:
        fraction = max(0.0, min(1.0, float(job.get("progress") or 0.0)))
        filled = round(fraction * self.width)
        bar = "#" * filled + " " * (self.width - filled)
        counts = f" {job.get('done', 0)}/{job.get('total', 0)}" if job.get("total") else ""
        line = f"{self.label} [{bar}] {fraction:4.0%}{counts} {job.get('status', '')}"
        if line != self._last:
            end = "\n" if job.get("status") in ("succeeded", "failed") else ""
            self.stream.write("\r" + line + end)
            self.stream.flush()
            self._last = line
