"""Label-error detection (pure numpy / scikit-learn; the published methods, not cleanlab's code).

* :mod:`.classification`: confident learning on out-of-fold probabilities, label-quality ranking;
* :mod:`.out_of_fold`: cross-validated probabilities from the prioritisation committee's families;
* :mod:`.boxes`: ObjectLab-style per-box scores (overlooked, badly located, wrong class, spurious)
  and the per-image score;
* :mod:`.crowd`: CROWDLAB-style consensus and annotator quality from annotators plus a model.
"""

from annotation_qc.domain.label_errors.boxes import (
    BoxFinding,
    BoxIssue,
    BoxScoringConfig,
    ImageScore,
    describe_box,
    pool_scores,
    score_image,
)
from annotation_qc.domain.label_errors.classification import (
    MIN_ITEMS,
    ConfidentLearningResult,
    LabelErrorInputError,
    Ranking,
    confident_joint,
    describe,
    find_label_issues,
    label_quality,
    per_class_thresholds,
)
from annotation_qc.domain.label_errors.crowd import CrowdResult, crowd_consensus
from annotation_qc.domain.label_errors.out_of_fold import class_columns, out_of_fold_proba

__all__ = [
    "MIN_ITEMS",
    "BoxFinding",
    "BoxIssue",
    "BoxScoringConfig",
    "ConfidentLearningResult",
    "CrowdResult",
    "ImageScore",
    "LabelErrorInputError",
    "Ranking",
    "class_columns",
    "confident_joint",
    "crowd_consensus",
    "describe",
    "describe_box",
    "find_label_issues",
    "label_quality",
    "out_of_fold_proba",
    "per_class_thresholds",
    "pool_scores",
    "score_image",
]
