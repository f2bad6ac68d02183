"""Alert rule kinds, their parameters with defaults, and validation of a rule's parameters.

A rule's parameters are a JSON object holding every parameter of its kind; :func:`validate_params`
merges overrides onto the defaults (or onto a rule's current parameters) and rejects unknown
names, wrong types and values out of range with :class:`AlertParamsError` naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

RuleKind = Literal[
    "annotator_accuracy_below",
    "agreement_below",
    "lint_error_rate_above",
    "label_distribution_shift",
    "queue_dry",
    "selective_skipping",
    "data_drift",
    "first_pass_acceptance_below",
    "benchmark_audit_auc_above",
]
RULE_KINDS: tuple[RuleKind, ...] = (
    "annotator_accuracy_below",
    "agreement_below",
    "lint_error_rate_above",
    "label_distribution_shift",
    "queue_dry",
    "selective_skipping",
    "data_drift",
    "first_pass_acceptance_below",
    "benchmark_audit_auc_above",
)


class AlertParamsError(ValueError):
    """Bad rule parameters; ``path`` names the parameter (``kind`` for an unknown kind, ``""`` the whole)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Param:
    """One parameter: its default (whose type is the parameter's type) and allowed values."""

    default: int | float | str
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()

    def clean(self, value: object) -> int | float | str:
        if isinstance(self.default, str):
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}")
            return str(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, got {value!r}")
        # Python ints are exact whatever their size (JSON allows huge ones); only floats can be inf or nan.
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be finite")
        if isinstance(self.default, int) and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"must be a whole number, got {value!r}")
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise ValueError(f"must be {'above' if self.low_open else 'at least'} {self.low:g}")
        if self.high is not None and value > self.high:
            raise ValueError(f"must be at most {self.high:g}")
        return int(value) if isinstance(self.default, int) else float(value)


_STATISTIC_HELP = (
    "'point': the estimate itself; 'upper': the upper bound of its interval "
    "(fires only when even the optimistic value is below the threshold)"
)

RULE_PARAMS: Mapping[RuleKind, Mapping[str, Param]] = {
    "annotator_accuracy_below": {
        "threshold": Param(0.7, "Accuracy on seeded-error benchmarks below which to alert.", 0.0, 1.0, True),
        "statistic": Param("upper", _STATISTIC_HELP, choices=("point", "upper")),
        "min_benchmarks": Param(10, "Scored benchmarks an annotator needs before being judged.", 1, 100_000),
        "confidence": Param(0.95, "Confidence of the Wilson interval.", 0.5, 0.999),
    },
    "agreement_below": {
        "threshold": Param(0.667, "Krippendorff's alpha below which to alert.", -1.0, 1.0),
        "statistic": Param("point", _STATISTIC_HELP, choices=("point", "upper")),
        "min_items": Param(20, "Items the latest agreement report must cover.", 1, 10_000_000),
    },
    "lint_error_rate_above": {
        "threshold": Param(0.2, "Share of submissions with linter findings above which to alert.", 0.0, 1.0),
        "window_hours": Param(24.0, "How far back submissions count.", 0.0, 24 * 90, True),
        "min_submissions": Param(20, "Submissions needed in the window before judging.", 1, 10_000_000),
        "scope": Param(
            "project", "One rate for the project, or one per annotator.", choices=("project", "annotator")
        ),
    },
    "label_distribution_shift": {
        "window_annotations": Param(
            200, "Regular annotations per window (last N against the N before).", 10, 20_000
        ),
        "p_value": Param(0.01, "Chi-square p-value below which the shift is significant.", 0.0, 0.5, True),
        "min_per_window": Param(50, "Labels each window must hold before testing.", 1, 10_000_000),
        "min_effect": Param(
            0.1, "Smallest Cramér's V worth an alert (large windows make tiny shifts significant).", 0.0, 1.0
        ),
    },
    "queue_dry": {
        "max_open_slots": Param(
            0, "Alert when the open slots of regular items fall to this many or fewer.", 0, 10_000_000
        ),
        "min_annotators": Param(
            1, "Annotator members the project must have for a dry queue to matter.", 1, 100_000
        ),
    },
    "selective_skipping": {
        "p_value": Param(
            0.01,
            "One-sided Fisher exact p-value (benchmarks skipped more often than work) below which to alert.",
            0.0,
            0.5,
            True,
        ),
        "min_benchmarks": Param(
            5, "Benchmarks an annotator must have been served before judging.", 1, 100_000
        ),
        "min_skipped": Param(2, "Skipped benchmarks an annotator needs before judging.", 1, 100_000),
    },
    "data_drift": {
        "batches": Param(
            5, "Most recent imported batches judged (drift as found by the data-health job).", 1, 1000
        ),
        "min_effect": Param(
            0.0,
            "Smallest effect size of a drifted statistic worth an alert (0: every drifted one).",
            0.0,
            100.0,
        ),
    },
    "first_pass_acceptance_below": {
        "threshold": Param(
            0.7,
            "Share of reviewed annotations accepted at first review below which to alert.",
            0.0,
            1.0,
            True,
        ),
        "statistic": Param("upper", _STATISTIC_HELP, choices=("point", "upper")),
        "min_reviews": Param(10, "Reviews an annotator needs before being judged.", 1, 100_000),
        "confidence": Param(0.95, "Confidence of the Wilson interval.", 0.5, 0.999),
    },
    "benchmark_audit_auc_above": {
        "threshold": Param(
            0.6, "ROC AUC of telling benchmarks from work above which to alert (0.5: no tell).", 0.5, 1.0
        ),
        "statistic": Param(
            "lower",
            "'lower': the lower bound of the audit's interval (alerts on evidence, not on sampling noise); "
            "'point': the audit's AUC itself",
            choices=("point", "lower"),
        ),
        "min_benchmarks": Param(20, "Benchmarks served the audit must cover before judging.", 5, 10_000_000),
        "refresh_hours": Param(
            24.0, "Run a new audit during the check when the latest is older than this.", 0.0, 24 * 90, True
        ),
    },
}


def _kind(kind: str) -> RuleKind:
    for known in RULE_KINDS:
        if kind == known:
            return known
    raise AlertParamsError("kind", f"unknown alert rule kind {kind!r} (known: {', '.join(RULE_KINDS)})")


def default_params(kind: str) -> dict[str, Any]:
    """Every parameter of ``kind`` with its default."""
    return {name: spec.default for name, spec in RULE_PARAMS[_kind(kind)].items()}


def validate_params(
    kind: str, overrides: Mapping[str, Any] | None, *, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge ``overrides`` onto ``base`` (default: the kind's defaults), or raise :class:`AlertParamsError`.

    ``base`` is a rule's current parameters when a rule is edited; parameters missing from it (a
    parameter added after the rule was saved) take their defaults. The result holds every parameter
    of the kind, and a validated result validates to itself.
    """
    specs = RULE_PARAMS[_kind(kind)]
    if overrides is not None and not isinstance(overrides, Mapping):
        raise AlertParamsError("", "parameters must be an object")
    params = default_params(kind)
    # Names the kind no longer has are dropped from the base; everything kept is checked again.
    kept = {name: value for name, value in (base or {}).items() if name in specs}
    for name, value in {**kept, **(overrides or {})}.items():
        spec = specs.get(name) if isinstance(name, str) else None
        if spec is None:
            raise AlertParamsError(str(name), f"unknown parameter for {kind} (known: {', '.join(specs)})")
        try:
            params[name] = spec.clean(value)
        except ValueError as error:
            raise AlertParamsError(name, str(error)) from None
    return params


def describe_kinds() -> list[dict[str, Any]]:
    """Every kind with its parameters (default, allowed values, help), for forms and docs."""
    return [
        {
            "kind": kind,
            "params": {
                name: {
                    "default": spec.default,
                    "help": spec.help,
                    **({"choices": list(spec.choices)} if spec.choices else {}),
                    **({"min": spec.low, "min_exclusive": spec.low_open} if spec.low is not None else {}),
                    **({"max": spec.high} if spec.high is not None else {}),
                }
                for name, spec in RULE_PARAMS[kind].items()
            },
        }
        for kind in RULE_KINDS
    ]
