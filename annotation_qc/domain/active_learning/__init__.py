"""Active-learning prioritisation: which items to label next (pure, no Django).

Scores are ``(n,)`` floats where higher means label it sooner.

* :mod:`.uncertainty`: ``least_confidence``, ``margin``, ``entropy`` on ``(n, k)`` probabilities;
* :mod:`.query_by_committee`: ``vote_entropy``, ``consensus_kl`` on ``(m, n, k)`` probabilities;
* :mod:`.committee`: ``train_committee`` (seeded, diverse scikit-learn members, with a fallback);
* :mod:`.diversity`: ``diverse_top_k`` batches, ``k_center_greedy``, ``distance_to_nearest``;
* :mod:`.detection`: bbox uncertainty from box scores, disagreement across model versions;
* :mod:`.strategies`: the ``STRATEGIES`` registry, ``score_items`` and ``score_chunk``.
"""

from annotation_qc.domain.active_learning.committee import (
    CHUNK_SIZE,
    MIN_LABELS,
    Committee,
    CommitteeUnavailable,
    FallbackReason,
    Member,
    train_committee,
)
from annotation_qc.domain.active_learning.detection import (
    BoxPrediction,
    box_scores_from_payloads,
    detection_committee_disagreement,
    detection_uncertainty,
)
from annotation_qc.domain.active_learning.diversity import (
    distance_to_nearest,
    diverse_top_k,
    k_center_greedy,
    promote_to_front,
    top_indices,
)
from annotation_qc.domain.active_learning.members import FAMILIES
from annotation_qc.domain.active_learning.query_by_committee import consensus, consensus_kl, vote_entropy
from annotation_qc.domain.active_learning.strategies import (
    STRATEGIES,
    MissingStrategyInput,
    Strategy,
    StrategyChoice,
    UnknownStrategy,
    get_strategy,
    random_scores,
    resolve_strategy,
    score_chunk,
    score_items,
)
from annotation_qc.domain.active_learning.uncertainty import entropy, least_confidence, margin
from annotation_qc.domain.active_learning.validation import (
    InvalidFeatures,
    InvalidProbabilities,
    as_committee_probabilities,
    as_features,
    as_probabilities,
)

__all__ = [
    "CHUNK_SIZE",
    "FAMILIES",
    "MIN_LABELS",
    "STRATEGIES",
    "BoxPrediction",
    "Committee",
    "CommitteeUnavailable",
    "FallbackReason",
    "InvalidFeatures",
    "InvalidProbabilities",
    "Member",
    "MissingStrategyInput",
    "Strategy",
    "StrategyChoice",
    "UnknownStrategy",
    "as_committee_probabilities",
    "as_features",
    "as_probabilities",
    "box_scores_from_payloads",
    "consensus",
    "consensus_kl",
    "detection_committee_disagreement",
    "detection_uncertainty",
    "distance_to_nearest",
    "diverse_top_k",
    "entropy",
    "get_strategy",
    "k_center_greedy",
    "least_confidence",
    "margin",
    "promote_to_front",
    "random_scores",
    "resolve_strategy",
    "score_chunk",
    "score_items",
    "top_indices",
    "train_committee",
    "vote_entropy",
]
