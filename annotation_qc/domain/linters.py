"""Response linters (public entry point; the implementation lives in :mod:`linting`).

    findings = lint(payload, kind="bbox", width=640, height=480, labels=project_labels,
                    config=project.lint_config, stats=size_stats, time_spent_s=12.5)

``Finding.boxes`` are 0-based indices into the payload's ``boxes``; messages number boxes from 1.
"""

from annotation_qc.domain.linting import (
    RULES,
    Finding,
    LabelSizeStats,
    LintConfigError,
    Severity,
    default_lint_config,
    label_size_stats,
    lint,
    validate_lint_config,
)

__all__ = [
    "RULES",
    "Finding",
    "LabelSizeStats",
    "LintConfigError",
    "Severity",
    "default_lint_config",
    "label_size_stats",
    "lint",
    "validate_lint_config",
]
