"""Batch diversity in feature space: keep one labeling batch from filling up with near-duplicates.

* :func:`diverse_top_k`: cluster the best ``k * candidate_factor`` candidates into ``k`` groups
  (MiniBatchKMeans) and take the best-scored candidate of each group, then the next best.
* :func:`k_center_greedy`: farthest-first traversal, for a cold start or a coverage batch.
* :func:`distance_to_nearest`: each row's distance to the nearest anchor (e.g. a labeled item),
  the score of the ``farthest_point`` fallback strategy.
* :func:`promote_to_front`: rewrite scores so a chosen batch comes first, in its order.

Distances are Euclidean in the feature space as given.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.cluster import MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning

from annotation_qc.domain.active_learning.validation import FloatArray, IntArray, as_features

#: Rows per block when computing distances, to bound memory (block x anchors floats).
DISTANCE_BLOCK_ROWS = 8192


def diverse_top_k(
    scores: ArrayLike, features: ArrayLike, k: int, *, candidate_factor: int = 5, seed: int = 0
) -> IntArray:
    """Indices of ``k`` high-scoring, mutually distinct items, best cluster winner first.

    The ``k * candidate_factor`` best-scored items are clustered into ``k`` clusters; each
    cluster contributes its best-scored member; when clustering yields fewer than ``k`` distinct
    clusters (duplicates), the remaining places go to the next best candidates. Ties in score go
    to the lower index. With ``k >= n`` every item is returned, best first.
    """
    score_values, rows = _scores_and_features(scores, features)
    if k < 0 or candidate_factor < 1:
        raise ValueError(
            f"need k >= 0 and candidate_factor >= 1, got k={k}, candidate_factor={candidate_factor}"
        )
    candidates = top_indices(score_values, min(len(score_values), k * candidate_factor))
    if len(candidates) <= k:
        return candidates[:k]
    with warnings.catch_warnings():
        # Fewer distinct points than clusters is expected with duplicates; the fill-up handles it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clusters = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(
            np.asarray(rows[candidates], dtype=np.float64)
        )
    # Candidates are sorted best first, so the first occurrence of a cluster is its best member.
    _, first_positions = np.unique(clusters, return_index=True)
    winners = np.sort(first_positions)
    is_winner = np.zeros(len(candidates), dtype=bool)
    is_winner[winners] = True
    fill = np.flatnonzero(~is_winner)[: k - len(winners)]
    chosen: IntArray = candidates[np.concatenate([winners, fill])]
    return chosen


def top_indices(scores: FloatArray, count: int) -> IntArray:
    """Indices of the ``count`` highest scores, highest first, ties by lower index."""
    count = max(0, min(count, len(scores)))
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count < len(scores):
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        pool = np.flatnonzero(scores >= threshold)
    else:
        pool = np.arange(len(scores))
    ordered: IntArray = pool[np.lexsort((pool, -scores[pool]))].astype(np.int64)
    return ordered[:count]


def k_center_greedy(
    features: ArrayLike, k: int, *, anchors: ArrayLike | None = None, seed: int = 0
) -> IntArray:
    """Farthest-first traversal: each pick is the row farthest from the anchors and earlier picks.

    Without anchors the first pick is a seeded random row. The loop runs over the ``k`` picks
    (each pick depends on the previous one); each step is one vectorised pass over the rows.
    """
    rows = as_features(features)
    n = rows.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if anchors is not None and len(np.asarray(anchors)) > 0:
        nearest = distance_to_nearest(rows, anchors) ** 2
        first = int(np.argmax(nearest))
    else:
        nearest = np.full(n, np.inf)
        first = int(np.random.default_rng(seed).integers(n))
    picks = [first]
    data = np.asarray(rows, dtype=np.float64)
    for _ in range(k - 1):
        difference = data - data[picks[-1]]
        np.minimum(nearest, np.einsum("ij,ij->i", difference, difference), out=nearest)
        nearest[picks[-1]] = -1.0
        picks.append(int(np.argmax(nearest)))
    return np.asarray(picks, dtype=np.int64)


def distance_to_nearest(features: ArrayLike, anchors: ArrayLike) -> FloatArray:
    """Euclidean distance from each row to its nearest anchor row, ``(n,)``."""
    rows = as_features(features)
    anchor_rows = np.asarray(as_features(anchors, n_features=rows.shape[1], name="anchors"), dtype=np.float64)
    if anchor_rows.shape[0] == 0:
        raise ValueError("distance_to_nearest needs at least one anchor")
    anchor_norms = np.einsum("ij,ij->i", anchor_rows, anchor_rows)
    result = np.empty(rows.shape[0], dtype=np.float64)
    for start in range(0, rows.shape[0], DISTANCE_BLOCK_ROWS):
        block = np.asarray(rows[start : start + DISTANCE_BLOCK_ROWS], dtype=np.float64)
        squared = anchor_norms - 2.0 * (block @ anchor_rows.T)
        squared += np.einsum("ij,ij->i", block, block)[:, np.newaxis]
        result[start : start + block.shape[0]] = squared.min(axis=1)
    return np.sqrt(np.clip(result, 0.0, None))


def promote_to_front(scores: ArrayLike, batch: ArrayLike) -> FloatArray:
    """Scores rewritten so the ``batch`` indices rank above every other item, in batch order.

    The rest keep their scores; the batch gets ``max + len(batch) - position``.
    """
    score_values = np.array(scores, dtype=np.float64)
    picked = np.asarray(batch, dtype=np.int64)
    if picked.size == 0:
        return score_values
    if len(np.unique(picked)) != len(picked):
        raise ValueError("batch must not repeat an index")
    top = float(score_values.max())
    score_values[picked] = top + np.arange(len(picked), 0, -1, dtype=np.float64)
    return score_values


def _scores_and_features(scores: ArrayLike, features: ArrayLike) -> tuple[FloatArray, NDArray[np.floating]]:
    score_values = np.asarray(scores, dtype=np.float64)
    if score_values.ndim != 1 or not np.isfinite(score_values).all():
        raise ValueError("scores must be a 1-D array of finite numbers")
    rows = as_features(features)
    if rows.shape[0] != score_values.shape[0]:
        raise ValueError(f"{score_values.shape[0]} scores for {rows.shape[0]} feature rows")
    return score_values, rows
