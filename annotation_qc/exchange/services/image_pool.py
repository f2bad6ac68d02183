"""Decoding and measuring an import's images a block at a time, in worker processes beside the import.

The import reads each uploaded image, stores it and writes its item; its data-health checks need each image
decoded, reduced and measured (statistics, hashes, digest), which costs about as much again (a JPEG photo's
decode alone is about what the rest of its import costs). :func:`decode_block` does that for a block of
images and returns, per image, what the import needs to know (its size, that it does not decode, or why it
is refused) with the block's measurements as columns (:class:`Measured`). :class:`BlockMeasurer` runs it in
a pool of worker processes while the import goes on reading, storing and checking the next blocks (or in
the import's own process: ``workers`` 0, or an import too small for a pool to pay).

The files go to the workers through memory shared with them (one slot per block in flight, mapped before
the workers are forked), not through the pool's pipe: 800 MB of photos sent through the pipe cost the
import's process several seconds of system CPU. A block too large for a slot goes through the pipe.

The work is the same in either place, so the results are identical. A worker that dies (or a pool that
cannot be used) raises :class:`MeasurePoolBroken` from :meth:`BlockMeasurer.result`: the import fails as a
whole (nothing is written before every image is checked), and its job's retry runs it again.
"""

from __future__ import annotations

import logging
import mmap
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

from annotation_qc.datahealth.services.measure import MEASURE_SIDE, Measured, Measurer
from annotation_qc.exchange.services.images import DecodedImage, ImageInfo, Undecodable, decode_image

logger = logging.getLogger(__name__)

#: Per image of a block: its type and size (decoded), :class:`Undecodable`, or why it is refused (str).
Outcome = ImageInfo | Undecodable | str


#: How often a worker checks that the import's process is still there.
PARENT_CHECK_SECONDS = 1.0
#: Bytes of files per shared slot (pages are only used as they are written).
SLOT_BYTES = 64 << 20

#: The shared slots, in a worker process (set by :func:`_attach` when it starts).
_slots: list[mmap.mmap] = []


def _attach(slots: list[mmap.mmap], parent: int) -> None:
    """A worker's start: the shared slots, and a watch that ends the worker once the import's process is
    gone (killed: it never shuts the pool down, and the worker would wait on the pool's queue forever)."""
    global _slots
    _slots = slots
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _decode_shared(
    slot: int, spans: list[tuple[int, int]], keys: Sequence[str], max_bytes: int, max_pixels: int
) -> DecodedBlock:
    """:func:`decode_block` of files in a shared slot, given by their (start, end)."""
    memory = _slots[slot]
    return decode_block(keys, [memory[start:end] for start, end in spans], max_bytes, max_pixels)


@contextmanager
def _may_have_children() -> Iterator[None]:
    """Let this process start the workers even where it is itself a daemonic worker process (a Celery
    prefork child): ``multiprocessing`` refuses children to daemons so that none outlive them, and these
    do not: the pool is shut down (its workers joined) before the import returns, and a worker whose parent
    was killed ends within ``PARENT_CHECK_SECONDS`` (:func:`_watch_parent`)."""
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


class MeasurePoolBroken(RuntimeError):
    """A worker process died (or the pool could not run) before a block was measured."""


@dataclass(frozen=True)
class DecodedBlock:
    outcomes: list[Outcome]
    #: The measurements of the images that decoded (keyed as given); undecodable ones are the caller's.
    measured: Measured


def decode_block(
    keys: Sequence[str], contents: Sequence[bytes], max_bytes: int, max_pixels: int
) -> DecodedBlock:
    """Decode, reduce and measure each image (``exchange.services.images.decode_image`` and
    :class:`Measurer`, exactly as in the import's own process)."""
    measurer = Measurer()
    outcomes: list[Outcome] = []
    for key, content in zip(keys, contents, strict=True):
        decoded = decode_image(content, max_bytes=max_bytes, max_pixels=max_pixels, side=MEASURE_SIDE)
        if isinstance(decoded, DecodedImage):
            size = (decoded.info.width, decoded.info.height)
            if decoded.reduced is None:  # zero pixels
                measurer.add(key, content, decoded.pixels, size)
            else:
                measurer.add_reduced(key, content, decoded.reduced, size)
            outcomes.append(decoded.info)
        else:
            outcomes.append(decoded)
    return DecodedBlock(outcomes=outcomes, measured=measurer.flush())


class MeasuredHere:
    """A block measured in the import's own process (the same interface as a pool's future)."""

    def __init__(self, block: DecodedBlock) -> None:
        self._block = block

    def result(self) -> DecodedBlock:
        return self._block


#: A block handed to the measurement: a worker's future, or measured already.
Pending = Future[DecodedBlock] | MeasuredHere


class BlockMeasurer:
    """Hands blocks of images to ``workers`` processes (0: measures them here, at :meth:`submit`).

    Use as a context manager: the pool is shut down (its workers ended) on leaving, whatever happened."""

    def __init__(self, *, workers: int, max_bytes: int, max_pixels: int) -> None:
        self.workers = workers
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self._pool: ProcessPoolExecutor | None = None
        self._submitted = 0
        self._slots: list[mmap.mmap] = []
        self._free: list[int] = []
        self._slot_of: dict[int, int] = {}  # id of a pending future: its slot

    def __enter__(self) -> BlockMeasurer:
        if self.workers > 0:
            # Forked workers start at once and share the loaded code (they touch no database connection:
            # ``decode_block`` is pixels and arrays only) and the slots (anonymous shared memory).
            # A slot for each block in flight (at most one per worker and the one being read), and spares.
            self._slots = [mmap.mmap(-1, SLOT_BYTES) for _ in range(2 * self.workers + 1)]
            self._free = list(range(len(self._slots)))
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_attach,
                initargs=(self._slots, os.getpid()),
            )
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for slot in self._slots:
            slot.close()
        self._slots, self._free = [], []

    def submit(self, keys: list[str], contents: list[bytes]) -> Pending:
        if self._pool is not None:
            try:
                if self._submitted:
                    pending = self._submit(keys, contents)
                else:
                    with _may_have_children():  # the first block starts the workers
                        pending = self._submit(keys, contents)
            except (AssertionError, OSError) as exc:
                # The first block starts the workers: where processes cannot start any (a daemonic
                # process, no fork) the import measures in its own process, as with no workers.
                if self._submitted:
                    raise MeasurePoolBroken(f"image measurement workers stopped: {exc}") from exc
                logger.warning("image measurement workers could not start (%s): measuring in-process", exc)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            except (BrokenProcessPool, RuntimeError) as exc:
                raise MeasurePoolBroken(f"image measurement workers stopped: {exc}") from exc
            else:
                self._submitted += 1
                return pending
        return MeasuredHere(decode_block(keys, contents, self.max_bytes, self.max_pixels))

    def _submit(self, keys: list[str], contents: list[bytes]) -> Future[DecodedBlock]:
        assert self._pool is not None
        size = sum(len(c) for c in contents)
        if size > SLOT_BYTES or not self._free:
            return self._pool.submit(decode_block, keys, contents, self.max_bytes, self.max_pixels)
        slot = self._free.pop()
        memory, spans, start = self._slots[slot], [], 0
        for content in contents:
            memory[start : start + len(content)] = content
            spans.append((start, start + len(content)))
            start += len(content)
        try:
            pending = self._pool.submit(_decode_shared, slot, spans, keys, self.max_bytes, self.max_pixels)
        except BaseException:
            self._free.append(slot)
            raise
        self._slot_of[id(pending)] = slot
        return pending

    def result(self, pending: Pending) -> DecodedBlock:
        """The block's results (its slot is free again once they are in)."""
        try:
            return pending.result()
        except BrokenProcessPool as exc:
            raise MeasurePoolBroken(f"an image measurement worker died: {exc}") from exc
        finally:
            slot = self._slot_of.pop(id(pending), None)
            if slot is not None:
                self._free.append(slot)
