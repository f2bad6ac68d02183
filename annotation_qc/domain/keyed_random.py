"""Dispatch randomness keyed on a secret: unpredictable to clients, replayable by the server.

Every random choice of dispatch (is this task a benchmark, which gold item, which mistake and
where) is drawn from a generator keyed by HMAC-SHA256 of the project's secret over the
annotator, the task ordinal and the purpose of the draw. The same secret, annotator, ordinal and
purpose always give the same stream (so ``benchmark_replay`` can recompute it), and without the
secret the stream cannot be predicted.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

#: The purposes of the separate streams of one task (independent of each other).
PURPOSES = ("due", "gold", "kind", "seed")


def keyed_generator(
    secret: bytes, annotator_id: int, ordinal: int, purpose: str, attempt: int = 0
) -> np.random.Generator:
    """A Philox generator keyed by ``HMAC(secret, annotator : ordinal : purpose : attempt)``."""
    if not secret:
        raise ValueError("a dispatch secret must not be empty")
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; choose one of {PURPOSES}")
    message = f"{int(annotator_id)}:{int(ordinal)}:{purpose}:{int(attempt)}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    key = np.frombuffer(digest[:16], dtype="<u8").copy()
    return np.random.Generator(np.random.Philox(key=key))


def keyed_uniform(secret: bytes, annotator_id: int, ordinal: int, purpose: str = "due") -> float:
    """One uniform draw in [0, 1) of the keyed stream."""
    return float(keyed_generator(secret, annotator_id, ordinal, purpose).random())
