"""Validation of project settings beyond the model field validators."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotation_qc.core.exceptions import ServiceError, flatten_errors
from annotation_qc.projects.models import Project

KNOWN_STRATEGIES = (
    "import_order",
    "random",
    "least_confidence",
    "margin",
    "entropy",
    "vote_entropy",
    "consensus_kl",
    "detection_uncertainty",
    "detection_disagreement",
)


def settings_validate(*, project: Project, settings: dict[str, Any]) -> dict[str, Any]:
    from annotation_qc.projects.services import SETTING_FIELDS

    unknown = sorted(set(settings) - set(SETTING_FIELDS))
    if unknown:
        raise ServiceError(
            "Unknown settings.", errors={f"settings.{k}": ["unknown setting"] for k in unknown}
        )
    clean = _typed(settings)
    if "strategy" in clean and clean["strategy"] not in KNOWN_STRATEGIES:
        raise ServiceError(
            "Unknown prioritisation strategy.",
            errors={"settings.strategy": [f"must be one of {', '.join(KNOWN_STRATEGIES)}"]},
        )
    if "lint_config" in clean:
        clean["lint_config"] = _lint_config_validate(clean["lint_config"])
    return clean


def _typed(settings: dict[str, Any]) -> dict[str, Any]:
    """Each setting checked against its model field: type (``max_boxes`` 3.7 is refused), bounds."""

    class SettingsSerializer(serializers.ModelSerializer):
        class Meta:
            model = Project
            fields = sorted(settings)

    checked = SettingsSerializer(data=settings, partial=True)
    if not checked.is_valid():
        errors = {f"settings.{k}": v for k, v in flatten_errors(checked.errors).items()}
        raise ServiceError("Invalid project settings.", errors=errors)
    return {key: checked.validated_data[key] for key in settings}


def _lint_config_validate(raw: Any) -> dict[str, Any]:
    from annotation_qc.domain.linters import LintConfigError, validate_lint_config

    if not isinstance(raw, dict):
        raise ServiceError("Invalid linter settings.", errors={"settings.lint_config": ["must be an object"]})
    try:
        validate_lint_config(raw)
    except LintConfigError as exc:
        raise ServiceError(
            f"Invalid linter settings: {exc}", errors={"settings.lint_config": [str(exc)]}
        ) from exc
    return raw
