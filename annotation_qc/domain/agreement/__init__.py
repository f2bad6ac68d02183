"""Inter-annotator agreement on items labeled more than once, and consensus labels.

Modules, by concept:

* :mod:`.coefficients`: Krippendorff's alpha (on the ``krippendorff`` package, with its traps
  guarded), Fleiss' and Cohen's kappa, :class:`AlphaResult` and :class:`UndefinedAgreement`;
* :mod:`.coincidences`: alpha from coincidence matrices of long-format codings, at project scale;
* :mod:`.bootstrap`: percentile intervals resampling items;
* :mod:`.box_matching` and :mod:`.boxes`: objects matched across annotators (same label first),
  units with "no object", conflicts; :mod:`.box_detection`: precision/recall/F1 over an IoU
  sweep, and one item's agreement;
* :mod:`.pairwise`: annotator pairs, each annotator against peers, per-item scores;
* :mod:`.consensus`: skill-weighted consensus and the dynamic-overlap decision;
* :mod:`.report` and :mod:`.report_types`: the project report.
"""

from annotation_qc.domain.agreement.bootstrap import BootstrapInterval, bootstrap_interval
from annotation_qc.domain.agreement.box_detection import ItemBoxAgreement, item_box_agreement
from annotation_qc.domain.agreement.box_matching import (
    SWEEP_THRESHOLDS,
    BoxAnnotationInput,
    BoxAnnotationTable,
    match_annotation_pairs,
)
from annotation_qc.domain.agreement.boxes import CONFLICT_KINDS
from annotation_qc.domain.agreement.coefficients import (
    LEVELS,
    AlphaResult,
    Level,
    UndefinedAgreement,
    alpha_or_undefined,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)
from annotation_qc.domain.agreement.coincidences import (
    Codings,
    ItemCoincidences,
    alpha_from_coincidences,
    coder_pairs,
    coincidence_matrix,
    make_codings,
    reliability_matrix,
)
from annotation_qc.domain.agreement.consensus import (
    BoxConsensus,
    ConsensusLabels,
    accuracy_weight,
    box_consensus,
    box_needs_another_annotation,
    classification_consensus,
    consensus_labels,
    consensus_of_items,
    label_posterior,
    needs_another_annotation,
    skill_weight,
    smoothed_accuracy,
)
from annotation_qc.domain.agreement.report import (
    ClassificationAnnotations,
    box_report,
    classification_report,
    project_report,
)
from annotation_qc.domain.agreement.report_types import (
    AgreementReport,
    AnnotatorAgreement,
    ItemAgreement,
    LabelAgreement,
    PairAgreement,
)

__all__ = [
    "CONFLICT_KINDS",
    "LEVELS",
    "SWEEP_THRESHOLDS",
    "AgreementReport",
    "AlphaResult",
    "AnnotatorAgreement",
    "BootstrapInterval",
    "BoxAnnotationInput",
    "BoxAnnotationTable",
    "BoxConsensus",
    "ClassificationAnnotations",
    "Codings",
    "ConsensusLabels",
    "ItemAgreement",
    "ItemBoxAgreement",
    "ItemCoincidences",
    "LabelAgreement",
    "Level",
    "PairAgreement",
    "UndefinedAgreement",
    "accuracy_weight",
    "alpha_from_coincidences",
    "alpha_or_undefined",
    "bootstrap_interval",
    "box_consensus",
    "box_needs_another_annotation",
    "box_report",
    "classification_consensus",
    "classification_report",
    "coder_pairs",
    "cohen_kappa",
    "coincidence_matrix",
    "consensus_labels",
    "consensus_of_items",
    "fleiss_kappa",
    "item_box_agreement",
    "krippendorff_alpha",
    "label_posterior",
    "make_codings",
    "match_annotation_pairs",
    "needs_another_annotation",
    "project_report",
    "reliability_matrix",
    "skill_weight",
    "smoothed_accuracy",
]
