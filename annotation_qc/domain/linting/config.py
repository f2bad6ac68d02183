"""Per-project lint settings: the defaults, and validation of a project's overrides.

A config is a JSON-serialisable dict ``{rule code: {setting: value}}`` holding every registered
rule with every setting (``enabled``, ``severity`` and the rule's thresholds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotation_qc.domain.linting.registry import RULES, SettingError


class LintConfigError(ValueError):
    """Bad lint settings; ``path`` names the offending rule or ``rule.setting`` (empty: the whole)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path


def default_lint_config() -> dict[str, dict[str, Any]]:
    """Every rule (sorted by code) with its default settings."""
    return {code: RULES[code].defaults() for code in sorted(RULES)}


def validate_lint_config(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Merge a project's overrides onto the defaults, or raise :class:`LintConfigError`.

    ``raw`` maps rule codes to partial settings, e.g. ``{"duplicate_box": {"min_iou": 0.95},
    "too_fast": {"enabled": False}}``. Unknown rules, unknown settings, wrong types and values out
    of range are rejected with a message naming them. A validated config validates to itself.
    """
    if not isinstance(raw, Mapping):
        raise LintConfigError("", "lint settings must be an object mapping rule names to their settings")
    config = default_lint_config()
    for code, overrides in raw.items():
        rule = RULES.get(code) if isinstance(code, str) else None
        if rule is None:
            known = ", ".join(RULES)
            raise LintConfigError(str(code), f"unknown lint rule {code!r} (known rules: {known})")
        if not isinstance(overrides, Mapping):
            raise LintConfigError(code, f"settings must be an object, got {overrides!r}")
        for name, value in overrides.items():
            spec = rule.settings.get(name) if isinstance(name, str) else None
            path = f"{code}.{name}"
            if spec is None:
                known = ", ".join(rule.settings)
                raise LintConfigError(path, f"unknown setting {name!r} for {code} (known: {known})")
            try:
                config[code][name] = spec.clean(value)
            except SettingError as error:
                raise LintConfigError(path, str(error)) from None
    return config


def rule_settings(config: Mapping[str, Any] | None, code: str) -> Mapping[str, Any]:
    """The settings ``lint`` uses for one rule: the stored entry, or the defaults when missing
    (a rule registered after the project's settings were saved)."""
    if config is None:
        return {}
    entry = config.get(code)
    return entry if isinstance(entry, Mapping) else {}
