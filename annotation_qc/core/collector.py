"""Pausing Python's cyclic garbage collector around bulk work.

A bulk import builds hundreds of thousands of small containers (one decoded JSON object per line, its
boxes, the rows written), all alive until the write. Each allocation past the collector's threshold
starts a collection that walks every tracked object, so the collector's time grows with everything
built so far: about a quarter of a 20,000-item JSON Lines import's time (``bench/imports.py``). The
objects are needed until the end anyway, so the collector waits until the work is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with automatic collection off; restore it afterwards (nested uses are safe: only
    the outermost one turns it back on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
