"""Listing a bucket prefix in key order, ahead of the writer and in parallel over its folders.

A sync consumes keys in order (its cursors only move forward), but waiting for each page before
writing the previous one would add the two. So the listing runs in threads that fill bounded
queues while the sync writes:

- one thread lists the prefix with ``Delimiter="/"``: its keys (directly under the prefix) and its
  folders (``CommonPrefixes``) come back interleaved in key order;
- each folder is listed by a pool of threads (``LIST_WORKERS`` at once), each after its own cursor,
  and its pages are queued;
- the consumer takes the top listing in order and, at each folder, drains that folder's queue.

Folders are started in key order and the pool runs them first come first served, so the folder the
consumer waits on is always running or done: no deadlock, whatever the queue bounds.

A folder's keys all start with ``<folder>/`` and sort together, so a key directly under the prefix
sorts either before or after all of a folder's keys: the consumer sees one total order, the order of
the flat listing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Folders listed at once.
LIST_WORKERS = 8
#: Pages a lister may run ahead of the consumer (per folder, and for the top listing).
AHEAD_PAGES = 8
DELIMITER = "/"
_DONE = object()


@dataclass(frozen=True, slots=True)
class Listed:
    key: str
    etag: str
    size: int
    modified: datetime | None


@dataclass(frozen=True)
class ListingPlan:
    """Where each part of the prefix starts: the top listing after ``top_after`` (its keys up to
    ``top_cursor`` dropped); a known folder after its own cursor (``folder_after``); any other folder
    from its start, or, with a flat cursor (``flat_cursor``), after it when the cursor lies inside
    the folder and not at all when the folder sorts before it."""

    prefix: str
    top_after: str
    top_cursor: str
    folder_after: dict[str, str]
    flat_cursor: str

    def after(self, folder: str) -> str | None:
        """The key to list ``folder`` after ("" from its start), or None to skip it."""
        if folder in self.folder_after:
            return self.folder_after[folder]
        if not self.flat_cursor:
            return ""
        if self.flat_cursor.startswith(folder):
            return self.flat_cursor
        return "" if folder > self.flat_cursor else None

    def keeps(self, key: str) -> bool:
        """Whether a key directly under the prefix is listed for syncing."""
        return not self.top_cursor or key > self.top_cursor


def folder_of(prefix: str, key: str) -> str:
    """The folder (``<prefix><name>/``) a key lies in, or "" for a key directly under the prefix."""
    rest = key[len(prefix) :]
    cut = rest.find(DELIMITER)
    return "" if cut < 0 else prefix + rest[: cut + 1]


def plan(*, prefix: str, cursor: str, folder_cursors: dict[str, str], full: bool) -> ListingPlan:
    """Where a sync starts listing.

    A source whose keys lie in folders keeps one cursor per folder: the top listing (its folders and
    the keys directly under the prefix) is read from the start, which is cheap, and a key added to
    any folder after that folder's last key is found, even if it sorts before the last key overall.
    A flat source (no folder seen) keeps the one cursor and lists after it.
    """
    if full:
        return ListingPlan(prefix, "", "", {}, "")
    folders = {k: v for k, v in folder_cursors.items() if k}
    if folders:
        return ListingPlan(prefix, "", folder_cursors.get("", ""), folders, "")
    top_after = cursor
    folder = folder_of(prefix, cursor) if cursor else ""
    if folder:  # a flat cursor inside a folder: start just before the folder, keys up to the cursor dropped
        top_after = folder[:-1]
    return ListingPlan(prefix, top_after, cursor, {}, cursor)


def _listed(entry: dict[str, Any]) -> Listed:
    return Listed(
        key=entry["Key"],
        etag=entry.get("ETag", "").strip('"'),
        size=int(entry.get("Size", 0)),
        modified=entry.get("LastModified"),
    )


class _Stopped(Exception):
    pass


def _put(q: queue.Queue[Any], value: Any, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            q.put(value, timeout=0.2)
            return
        except queue.Full:
            continue


def _pages(client: Any, bucket: str, prefix: str, after: str, delimiter: bool) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 1000}
    if delimiter:
        kwargs["Delimiter"] = DELIMITER
    if after:
        kwargs["StartAfter"] = after
    while True:
        page = client.list_objects_v2(**kwargs)
        yield page
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def _list_folder(
    client: Any, bucket: str, folder: str, after: str, out: queue.Queue[Any], stop: threading.Event
) -> None:
    try:
        for page in _pages(client, bucket, folder, after, delimiter=False):
            _put(out, [_listed(entry) for entry in page.get("Contents", [])], stop)
        _put(out, _DONE, stop)
    except _Stopped:
        return
    except BaseException as exc:  # handed to the consumer, which raises it
        try:
            _put(out, exc, stop)
        except _Stopped:
            return


def list_in_order(
    client: Any,
    *,
    bucket: str,
    listing: ListingPlan,
    workers: int = LIST_WORKERS,
    on_folder: Callable[[str], None] | None = None,
) -> Iterator[list[Listed]]:
    """Pages of the keys to sync, in key order, listed ahead in threads (see the module's doc).

    Closing the iterator (or an error in it) stops the threads.
    """
    stop = threading.Event()
    top: queue.Queue[Any] = queue.Queue(maxsize=AHEAD_PAGES * 4)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="bucket-list")

    def list_top() -> None:
        try:
            for page in _pages(client, bucket, listing.prefix, listing.top_after, delimiter=True):
                entries: list[tuple[str, Any]] = [
                    (entry["Key"], _listed(entry)) for entry in page.get("Contents", [])
                ]
                for common in page.get("CommonPrefixes", []):
                    folder = common["Prefix"]
                    after = listing.after(folder)
                    if after is None:
                        continue
                    folder_queue: queue.Queue[Any] = queue.Queue(maxsize=AHEAD_PAGES)
                    pool.submit(_list_folder, client, bucket, folder, after, folder_queue, stop)
                    entries.append((folder, folder_queue))
                entries.sort(key=lambda pair: pair[0])
                _put(top, entries, stop)
            _put(top, _DONE, stop)
        except _Stopped:
            return
        except BaseException as exc:
            try:
                _put(top, exc, stop)
            except _Stopped:
                return

    lister = threading.Thread(target=list_top, name="bucket-list-top", daemon=True)
    lister.start()
    try:
        while True:
            entries = top.get()
            if entries is _DONE:
                return
            if isinstance(entries, BaseException):
                raise entries
            keys: list[Listed] = []
            for name, value in entries:
                if isinstance(value, Listed):
                    if listing.keeps(value.key):
                        keys.append(value)
                    continue
                if keys:
                    yield keys
                    keys = []
                if on_folder is not None:
                    on_folder(name)
                while True:
                    page = value.get()
                    if page is _DONE:
                        break
                    if isinstance(page, BaseException):
                        raise page
                    if page:
                        yield page
            if keys:
                yield keys
    finally:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
