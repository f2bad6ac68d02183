"""The strategy registry: a name in, one score per item out (higher means label it sooner).

:func:`score_items` scores what is already in hand (probabilities, a committee's probabilities,
uploaded box predictions, positions). :func:`score_chunk` is what the prioritisation job calls on
each chunk of feature rows with a trained :class:`~.committee.Committee`. When the committee fell
back (too few labels or classes), committee strategies are replaced, and
:func:`resolve_strategy` says by what and why:

* ``farthest_point`` (distance to the nearest labeled item's features) when any item is labeled;
* ``import_order`` when nothing is labeled yet.

``random`` and ``import_order`` score by item *position* (a number fixed per item, e.g. its
primary key or import rank): ``import_order`` is ``-position`` and ``random`` is a seeded hash of
the position, so both give each item the same score whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from annotation_qc.domain.active_learning.committee import Committee, FallbackReason
from annotation_qc.domain.active_learning.detection import (
    BoxPrediction,
    detection_committee_disagreement,
    detection_uncertainty,
)
from annotation_qc.domain.active_learning.diversity import distance_to_nearest
from annotation_qc.domain.active_learning.query_by_committee import mean_kl_from_consensus, vote_entropy
from annotation_qc.domain.active_learning.uncertainty import entropy, least_confidence, margin
from annotation_qc.domain.active_learning.validation import (
    FloatArray,
    IntArray,
    as_committee_probabilities,
    as_features,
)

StrategyInput = Literal["proba", "committee_proba", "box_scores", "box_predictions", "features", "positions"]


class UnknownStrategy(ValueError):
    """A strategy name that is not in :data:`STRATEGIES`."""


class MissingStrategyInput(ValueError):
    """A strategy called without the input it scores."""


@dataclass(frozen=True)
class Strategy:
    name: str
    #: What the strategy scores.
    needs: StrategyInput
    #: Whether :func:`score_chunk` needs a trained committee for it.
    uses_committee: bool
    description: str


STRATEGIES: Mapping[str, Strategy] = MappingProxyType(
    {
        strategy.name: strategy
        for strategy in (
            Strategy("least_confidence", "proba", True, "1 - probability of the most likely class"),
            Strategy("margin", "proba", True, "1 - (best - second best class probability)"),
            Strategy("entropy", "proba", True, "entropy of the class probabilities (nats)"),
            Strategy("vote_entropy", "committee_proba", True, "entropy of the committee's votes (nats)"),
            Strategy("consensus_kl", "committee_proba", True, "mean KL of members from the consensus (nats)"),
            Strategy("detection_uncertainty", "box_scores", False, "mean binary entropy of box scores"),
            Strategy("detection_disagreement", "box_predictions", False, "box disagreement across models"),
            Strategy("farthest_point", "features", False, "distance to the nearest labeled item"),
            Strategy("random", "positions", False, "seeded random order"),
            Strategy("import_order", "positions", False, "import order (lower position first)"),
        )
    }
)


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownStrategy(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}") from None


@dataclass(frozen=True)
class StrategyChoice:
    """The strategy actually used for a request, and why it differs when it does."""

    requested: str
    used: str
    fallback: FallbackReason | None
    message: str | None


def resolve_strategy(committee: Committee | None, strategy: str) -> StrategyChoice:
    """Which strategy :func:`score_chunk` will apply for ``strategy`` with this committee."""
    spec = get_strategy(strategy)
    if not spec.uses_committee:
        return StrategyChoice(strategy, strategy, None, None)
    if committee is None:
        raise MissingStrategyInput(f"strategy {strategy!r} needs a committee (train_committee)")
    if committee.fallback is None:
        return StrategyChoice(strategy, strategy, None, None)
    used = "farthest_point" if committee.anchors.shape[0] > 0 else "import_order"
    message = f"{committee.fallback_message}; scoring by {used} instead of {strategy}"
    return StrategyChoice(strategy, used, committee.fallback, message)


def score_items(
    strategy: str,
    *,
    proba: ArrayLike | None = None,
    committee_proba: ArrayLike | None = None,
    box_scores: Sequence[ArrayLike] | None = None,
    box_predictions: Sequence[Sequence[BoxPrediction]] | None = None,
    features: ArrayLike | None = None,
    anchors: ArrayLike | None = None,
    positions: ArrayLike | None = None,
    n_items: int | None = None,
    seed: int = 0,
) -> FloatArray:
    """Scores ``(n,)`` for ``strategy`` from the input it needs (see :data:`STRATEGIES`).

    The single-model strategies (``least_confidence``, ``margin``, ``entropy``) take ``proba``,
    or else ``committee_proba`` and score the committee's consensus (the members' mean).
    ``farthest_point`` takes ``features`` and ``anchors``. ``random`` and ``import_order`` take
    ``positions``, or else ``n_items`` (positions ``0 .. n_items - 1``).
    """
    spec = get_strategy(strategy)
    if spec.needs == "proba":
        if proba is None and committee_proba is not None:
            proba = as_committee_probabilities(committee_proba).mean(axis=0)
        if proba is None:
            raise _missing("proba or committee_proba", strategy)
        return _SINGLE_MODEL[strategy](proba)
    if spec.needs == "committee_proba":
        if committee_proba is None:
            raise _missing("committee_proba", strategy)
        checked = as_committee_probabilities(committee_proba)
        return vote_entropy(checked) if strategy == "vote_entropy" else mean_kl_from_consensus(checked)
    if spec.needs == "box_scores":
        if box_scores is None:
            raise _missing("box_scores", strategy)
        return detection_uncertainty(box_scores)
    if spec.needs == "box_predictions":
        if box_predictions is None:
            raise _missing("box_predictions", strategy)
        return detection_committee_disagreement(box_predictions)
    if spec.needs == "features":
        if features is None or anchors is None:
            raise _missing("features and anchors", strategy)
        return distance_to_nearest(features, anchors)
    item_positions = _positions(positions, n_items, strategy)
    if strategy == "random":
        return random_scores(item_positions, seed=seed)
    return -item_positions.astype(np.float64)


def score_chunk(
    committee: Committee | None,
    features_chunk: ArrayLike,
    strategy: str,
    *,
    positions: ArrayLike | None = None,
    seed: int = 0,
) -> FloatArray:
    """Scores for one chunk of feature rows, ``(len(features_chunk),)``.

    Committee strategies predict the chunk with the committee; if it fell back, the chunk is
    scored by the fallback of :func:`resolve_strategy` (call that once per job to record it).
    ``positions`` are the chunk's item positions (e.g. primary keys), needed for ``random`` and
    ``import_order`` to be consistent across chunks; they default to ``0 .. len - 1``.
    """
    spec = get_strategy(strategy)
    if spec.needs in ("box_scores", "box_predictions"):
        raise MissingStrategyInput(
            f"strategy {strategy!r} scores uploaded box predictions, not features; use score_items"
        )
    rows = as_features(features_chunk, n_features=None if committee is None else committee.n_features)
    item_positions = _positions(positions, rows.shape[0], strategy)
    if len(item_positions) != rows.shape[0]:
        raise ValueError(f"{len(item_positions)} positions for {rows.shape[0]} feature rows")
    used = resolve_strategy(committee, strategy).used
    if STRATEGIES[used].uses_committee:
        assert committee is not None  # resolve_strategy raised otherwise
        return score_items(used, committee_proba=committee.predict_proba(rows))
    if used == "farthest_point":
        if committee is None:
            raise MissingStrategyInput("strategy 'farthest_point' needs a committee's labeled anchors")
        return score_items(used, features=rows, anchors=committee.anchors)
    return score_items(used, positions=item_positions, seed=seed)


def random_scores(positions: ArrayLike, *, seed: int = 0) -> FloatArray:
    """A seeded pseudo-random score in ``[0, 1)`` per position, independent of chunking.

    The SplitMix64 finaliser applied to ``position`` mixed with a key derived from ``seed``.
    """
    values = np.asarray(positions, dtype=np.int64).astype(np.uint64)
    key = _splitmix64(np.asarray([seed], dtype=np.int64).astype(np.uint64))
    mixed = _splitmix64(values ^ key)
    return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _splitmix64(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_SINGLE_MODEL = {"least_confidence": least_confidence, "margin": margin, "entropy": entropy}


def _missing(name: str, strategy: str) -> MissingStrategyInput:
    return MissingStrategyInput(f"strategy {strategy!r} needs {name}")


def _positions(positions: ArrayLike | None, n_items: int | None, strategy: str) -> IntArray:
    if positions is not None:
        values = np.asarray(positions)
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
            raise ValueError("positions must be a 1-D array of integers")
        return values.astype(np.int64)
    if n_items is None:
        raise _missing("positions or n_items", strategy)
    return np.arange(n_items, dtype=np.int64)
