"""A project's data-health configuration: which checks run on imports, their thresholds and actions.

The configuration is a JSON object with four sections, each optional (missing values take defaults):

- ``checks``: per check ``{"enabled": bool, "action": "reject" | "quarantine" | "warn", <thresholds>}``.
  ``reject`` refuses the whole import (all or nothing), ``quarantine`` imports the failing items but keeps
  them out of the queue until a manager releases them, ``warn`` imports them and lists them in the report.
- ``outliers``: isolation forest settings and where outliers go in the queue.
- ``drift``: the reference a batch is compared with and the test thresholds.
- ``coverage``: the ML team's targets (share per label, per metadata attribute value) and the boost.

:func:`validate_config` merges overrides onto the current configuration (or the defaults) and raises
:class:`ConfigError` naming the offending field (``checks.blank.max_contrast``) for an unknown check,
an unknown parameter, a wrong type or a value out of range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACTIONS = ("reject", "quarantine", "warn")
METADATA_TYPES = ("string", "number", "integer", "boolean")


class ConfigError(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Num:
    default: float | int
    low: float
    high: float
    help: str

    def clean(self, value: object) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be finite")
        if isinstance(self.default, int) and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"must be a whole number, got {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low:g} and {self.high:g}")
        return int(value) if isinstance(self.default, int) else float(value)


@dataclass(frozen=True)
class Choice:
    default: str
    choices: tuple[str, ...]
    help: str

    def clean(self, value: object) -> str:
        if value not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        return str(value)


@dataclass(frozen=True)
class Flag:
    default: bool
    help: str

    def clean(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value


@dataclass(frozen=True)
class OptionalId:
    help: str
    default: None = None

    def clean(self, value: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
            raise ValueError("must be a positive id or null")
        return value


@dataclass(frozen=True)
class TypeMap:
    """``{field name: type}`` for metadata expectations."""

    help: str
    default: None = None

    def clean(self, value: object) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ValueError("must be an object of field name to type")
        if len(value) > 100:
            raise ValueError("at most 100 fields")
        cleaned: dict[str, str] = {}
        for name, kind in value.items():
            if not isinstance(name, str) or not 0 < len(name) <= 100:
                raise ValueError("field names must be strings of 1 to 100 characters")
            if kind not in METADATA_TYPES:
                raise ValueError(f"{name}: type must be one of {', '.join(METADATA_TYPES)}")
            cleaned[name] = str(kind)
        return cleaned


@dataclass(frozen=True)
class Shares:
    """``{value: target share}`` (shares in [0, 1], summing to at most 1), one level or two."""

    help: str
    nested: bool = False
    default: None = None

    def _level(self, value: object) -> dict[str, float]:
        if not isinstance(value, Mapping):
            raise ValueError("must be an object of value to target share")
        if len(value) > 1000:
            raise ValueError("at most 1000 values")
        cleaned: dict[str, float] = {}
        for name, share in value.items():
            if isinstance(share, bool) or not isinstance(share, int | float):
                raise ValueError(f"{name}: target share must be a number")
            if isinstance(share, float) and not math.isfinite(share):
                raise ValueError(f"{name}: target share must be finite")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name}: target share must be between 0 and 1")
            cleaned[str(name)] = float(share)
        if sum(cleaned.values()) > 1.0 + 1e-9:
            raise ValueError("target shares must sum to at most 1")
        return cleaned

    def clean(self, value: object) -> dict[str, Any]:
        if not self.nested:
            return self._level(value)
        if not isinstance(value, Mapping):
            raise ValueError("must be an object of attribute to {value: target share}")
        if len(value) > 50:
            raise ValueError("at most 50 attributes")
        cleaned: dict[str, Any] = {}
        for attribute, shares in value.items():
            try:
                cleaned[str(attribute)] = self._level(shares)
            except ValueError as exc:
                raise ValueError(f"{attribute}: {exc}") from None
        return cleaned


Spec = Num | Choice | Flag | OptionalId | TypeMap | Shares


def _check(action: str, **params: Spec) -> dict[str, Spec]:
    return {
        "enabled": Flag(True, "Whether the check runs on imports."),
        "action": Choice(action, ACTIONS, "What a failure does: reject the import, quarantine, or warn."),
        **params,
    }


CHECKS: Mapping[str, Mapping[str, Spec]] = {
    # A file of an admitted type (PNG, JPEG, WebP, GIF by its signature) whose pixels do not decode:
    # truncated or corrupt. Quarantined or warned items are imported with the stored file, unmeasured.
    "decodes": _check("reject"),
    "image_size": _check(
        "reject",
        min_side=Num(1, 1, 100_000, "Smallest width or height in pixels (0-pixel images always fail)."),
        max_side=Num(100_000, 1, 1_000_000, "Largest width or height in pixels."),
    ),
    "aspect_ratio": _check(
        "warn",
        min_ratio=Num(0.1, 0.001, 1000.0, "Smallest width / height."),
        max_ratio=Num(10.0, 0.001, 1000.0, "Largest width / height."),
    ),
    "blank": _check(
        "quarantine",
        max_contrast=Num(
            0.02, 0.0, 1.0, "Grey-level standard deviation (0-1) at or below which an image is near-constant."
        ),
    ),
    "exact_duplicate": _check("quarantine"),
    "near_duplicate": _check(
        "quarantine",
        max_distance=Num(
            4, 0, 12, "Hamming distance (of 64 bits) at or below which images are near duplicates."
        ),
        hash=Choice("dhash", ("dhash", "phash"), "The perceptual hash compared."),
        confirm_distance=Num(10, 0, 64, "The other hash must be within this distance too (64: not checked)."),
    ),
    "metadata": _check(
        "reject",
        required=TypeMap("Metadata fields every item must have, with their type."),
    ),
    "features": _check(
        "reject",
        # The dimension is the project's (set by the first import with features).
    ),
    "predictions": _check(
        "reject",
        tolerance=Num(1e-3, 0.0, 0.1, "How far class probabilities may sum from 1."),
    ),
}

SECTIONS: Mapping[str, Mapping[str, Spec]] = {
    "outliers": {
        "enabled": Flag(True, "Score items with an isolation forest fitted on the labeled pool."),
        "contamination": Num(
            0.001,
            0.0001,
            0.5,
            "Share of data like the labeled pool flagged anyway (sets the score threshold).",
        ),
        "placement": Choice(
            "none",
            ("none", "first", "last", "review"),
            "Where outliers go in the queue: unchanged, first, last, or out of the queue for review.",
        ),
        "min_reference": Num(50, 10, 10_000_000, "Labeled items needed before fitting."),
    },
    "drift": {
        "enabled": Flag(True, "Compare each new batch with the reference."),
        "reference": Choice("labeled", ("labeled", "batch"), "The labeled set, or a pinned batch."),
        "reference_batch": OptionalId("The import pinned as reference (with reference=batch)."),
        "alpha": Num(0.01, 1e-6, 0.2, "Family-wise (Holm) significance level."),
        "correction": Choice("holm", ("holm", "bh"), "Multiple-testing correction."),
        "min_effect": Num(
            0.1, 0.0, 10.0, "Smallest effect (KS statistic / |Cohen's d| / Cramér's V) to flag."
        ),
        "min_items": Num(20, 2, 1_000_000, "Items a batch and the reference need before testing."),
    },
    "coverage": {
        "labels": Shares("Target share of each label among labeled items."),
        "attributes": Shares("Target share of each value of a metadata attribute.", nested=True),
        "boost": Num(0.0, 0.0, 100.0, "Priority added per unit of shortfall against the target."),
    },
}


def _section_defaults(specs: Mapping[str, Spec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if isinstance(spec, TypeMap | Shares):
            out[name] = {}
        else:
            out[name] = spec.default
    return out


def default_config() -> dict[str, Any]:
    return {
        "checks": {name: _section_defaults(specs) for name, specs in CHECKS.items()},
        **{name: _section_defaults(specs) for name, specs in SECTIONS.items()},
    }


def _merge(path: str, specs: Mapping[str, Spec], base: dict[str, Any], overrides: object) -> dict[str, Any]:
    if not isinstance(overrides, Mapping):
        raise ConfigError(path, "must be an object")
    merged = dict(base)
    for name, value in overrides.items():
        spec = specs.get(name) if isinstance(name, str) else None
        if spec is None:
            raise ConfigError(f"{path}.{name}", f"unknown setting (known: {', '.join(specs)})")
        try:
            merged[name] = spec.clean(value)
        except ValueError as exc:
            raise ConfigError(f"{path}.{name}", str(exc)) from None
    return merged


def validate_config(overrides: object, *, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``overrides`` onto ``base`` (a stored configuration, or the defaults) or raise ConfigError."""
    config = default_config()
    # A stored configuration is re-read through the same rules: settings since removed are dropped.
    stored = base or {}
    for name in CHECKS:
        kept = {k: v for k, v in (stored.get("checks") or {}).get(name, {}).items() if k in CHECKS[name]}
        config["checks"][name].update(kept)
    for name in SECTIONS:
        config[name].update({k: v for k, v in (stored.get(name) or {}).items() if k in SECTIONS[name]})
    if overrides is None:
        return config
    if not isinstance(overrides, Mapping):
        raise ConfigError("", "the configuration must be an object")
    for section, value in overrides.items():
        if section == "checks":
            if not isinstance(value, Mapping):
                raise ConfigError("checks", "must be an object of check name to settings")
            for check, settings in value.items():
                if check not in CHECKS:
                    raise ConfigError(f"checks.{check}", f"unknown check (known: {', '.join(CHECKS)})")
                config["checks"][check] = _merge(
                    f"checks.{check}", CHECKS[check], config["checks"][check], settings
                )
        elif section in SECTIONS:
            config[section] = _merge(section, SECTIONS[section], config[section], value)
        else:
            raise ConfigError(str(section), f"unknown section (known: checks, {', '.join(SECTIONS)})")
    _cross_checks(config)
    return config


def _cross_checks(config: dict[str, Any]) -> None:
    size = config["checks"]["image_size"]
    if size["min_side"] > size["max_side"]:
        raise ConfigError("checks.image_size.min_side", "must be at most max_side")
    ratio = config["checks"]["aspect_ratio"]
    if ratio["min_ratio"] > ratio["max_ratio"]:
        raise ConfigError("checks.aspect_ratio.min_ratio", "must be at most max_ratio")
    drift = config["drift"]
    if drift["reference"] == "batch" and drift["reference_batch"] is None:
        raise ConfigError("drift.reference_batch", "required when reference is 'batch'")


def describe() -> dict[str, Any]:
    """Every check and section with its settings' defaults and help, for forms and docs."""

    def one(specs: Mapping[str, Spec]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in specs.items():
            entry: dict[str, Any] = {"help": spec.help, "default": _section_defaults({name: spec})[name]}
            if isinstance(spec, Choice):
                entry["choices"] = list(spec.choices)
            if isinstance(spec, Num):
                entry["min"], entry["max"] = spec.low, spec.high
            out[name] = entry
        return out

    return {"checks": {n: one(s) for n, s in CHECKS.items()}, **{n: one(s) for n, s in SECTIONS.items()}}
