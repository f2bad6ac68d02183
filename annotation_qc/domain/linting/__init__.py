"""Response linters: mechanical mistakes caught the moment an annotation is made.

``lint`` builds one :class:`~scene.Scene` per annotation (with its one IoU matrix) and runs every
enabled rule of the registry (:mod:`registry`) over it. Rules live in :mod:`overlap_rules`,
:mod:`box_rules` and :mod:`annotation_rules`; per-project settings in :mod:`config`; the learned
per-label sizes in :mod:`size_stats`.
"""

from annotation_qc.domain.linting.config import LintConfigError, default_lint_config, validate_lint_config
from annotation_qc.domain.linting.engine import lint
from annotation_qc.domain.linting.findings import Finding, Severity
from annotation_qc.domain.linting.registry import RULES, Flag, Rule, RuleSettings, rule, setting
from annotation_qc.domain.linting.scene import Scene
from annotation_qc.domain.linting.size_stats import LabelSizeStats, label_size_stats

__all__ = [
    "RULES",
    "Finding",
    "Flag",
    "LabelSizeStats",
    "LintConfigError",
    "Rule",
    "RuleSettings",
    "Scene",
    "Severity",
    "default_lint_config",
    "label_size_stats",
    "lint",
    "rule",
    "setting",
    "validate_lint_config",
]
