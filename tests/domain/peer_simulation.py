"""A small vectorised world of regular work for the peer-evidence tests (no database).

Items carry a pre-annotation that is wrong with probability ``wrong_rate``. A share of each
annotator's items is shared with one partner. On a wrong pre-annotation an annotator fixes it with
its rate (else keeps it); on a right one it keeps it, except ``spoil`` of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annotation_qc.domain.peer_skill import PeerRows


@dataclass(frozen=True)
class World:
    rows: PeerRows
    order: np.ndarray  # per row: when it counts (the later answer of its item)


def work_world(
    rates: np.ndarray,
    *,
    items_each: int,
    shared_share: float,
    rng: np.random.Generator,
    wrong_rate: float = 0.4,
    spoil: float | np.ndarray = 0.02,
    changes_everything: np.ndarray | None = None,
) -> World:
    n = len(rates)
    owner = np.repeat(np.arange(n), items_each)
    when = np.tile(np.arange(items_each), n)
    shared = rng.random(len(owner)) < shared_share
    # Pair shared slots of about the same time between different annotators.
    slots = np.flatnonzero(shared)
    slots = slots[np.lexsort((rng.random(len(slots)), when[slots]))]
    slots = slots[: len(slots) // 2 * 2]
    first, second = slots[0::2], slots[1::2]
    ok = owner[first] != owner[second]
    first, second = first[ok], second[ok]
    singles = np.setdiff1d(np.arange(len(owner)), np.concatenate([first, second]))
    n_shared = len(first)
    item = np.concatenate([np.arange(n_shared), np.arange(n_shared), n_shared + np.arange(len(singles))])
    slot = np.concatenate([first, second, singles])
    who = owner[slot]
    later = np.concatenate([np.maximum(when[first], when[second])] * 2 + [when[singles]])
    n_items = n_shared + len(singles)
    wrong = (rng.random(n_items) < wrong_rate)[item]
    spoil_rate = np.broadcast_to(np.asarray(spoil, dtype=np.float64), (n,))[who]
    draw = rng.random(len(who))
    fix = wrong & (draw < rates[who])
    changed = fix | (~wrong & (draw < spoil_rate))
    cluster = np.where(fix, item, n_items + np.arange(len(who)))
    if changes_everything is not None:
        vandal = changes_everything[who]
        changed = changed | vandal
        cluster = np.where(vandal & ~fix, n_items + np.arange(len(who)), cluster)
    cluster = np.where(changed, cluster, -1)
    return World(PeerRows.build(item=item, annotator=who, changed=changed, cluster=cluster), later)
