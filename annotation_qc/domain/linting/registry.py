"""The rule registry: a rule is one check function plus a frozen settings dataclass.

Adding a rule::

    @dataclass(frozen=True, kw_only=True)
    class BlurryBoxSettings(RuleSettings):
        max_blur: float = setting(0.5, low=0.0, high=1.0)

    @rule(BlurryBoxSettings)
    def blurry_box(scene: Scene, settings: BlurryBoxSettings) -> list[Flag]:
        ...

The function's name is the rule's code; it returns :class:`Flag` s and the registry turns them
into :class:`Finding` s with that code and the configured severity. Settings may be ``bool``,
``int``, ``float`` or a ``Literal`` of strings; :func:`setting` attaches the allowed range that
:func:`~annotation_qc.domain.linting.config.validate_lint_config` enforces.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, get_args, get_origin, get_type_hints

from annotation_qc.domain.linting.findings import Finding, Severity
from annotation_qc.domain.linting.scene import Scene
from annotation_qc.domain.payloads import ProjectKind

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class RuleSettings:
    """Settings every rule has; subclasses add their thresholds (all with defaults)."""

    enabled: bool = True
    severity: Severity = "warning"


@dataclass(frozen=True)
class Bounds:
    """Allowed range of a numeric setting (``None``: unbounded on that side)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        above_low = self.low is None or (value > self.low if self.low_open else value >= self.low)
        below_high = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return above_low and below_high

    def describe(self) -> str:
        low = None if self.low is None else f"{'above' if self.low_open else 'at least'} {self.low:g}"
        high = None if self.high is None else f"{'below' if self.high_open else 'at most'} {self.high:g}"
        return " and ".join(part for part in (low, high) if part is not None) or "any value"


def setting(
    default: T,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> T:
    """A numeric settings field with its allowed range."""
    bounds = Bounds(low=low, high=high, low_open=low_open, high_open=high_open)
    return dataclasses.field(default=default, metadata={"bounds": bounds})


class SettingError(ValueError):
    """A setting value of the wrong type or out of range (the message says which)."""


@dataclass(frozen=True)
class SettingSpec:
    """How one setting is checked: its type (``bool``, ``int``, ``float`` or ``choice``)."""

    name: str
    type: Literal["bool", "int", "float", "choice"]
    default: Any
    choices: tuple[str, ...] = ()
    bounds: Bounds = Bounds()

    def clean(self, value: Any) -> Any:
        """Return ``value`` in its canonical type or raise :class:`SettingError`."""
        if self.type == "bool":
            if not isinstance(value, bool):
                raise SettingError(f"must be true or false, got {value!r}")
            return value
        if self.type == "choice":
            if value not in self.choices:
                options = " or ".join(repr(c) for c in self.choices)
                raise SettingError(f"must be {options}, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "a whole number" if self.type == "int" else "a number"
            raise SettingError(f"must be {kind}, got {value!r}")
        if self.type == "int" and not isinstance(value, int):
            raise SettingError(f"must be a whole number, got {value!r}")
        if not math.isfinite(value) or not self.bounds.contains(value):
            raise SettingError(f"must be {self.bounds.describe()}, got {value!r}")
        return value if self.type == "int" else float(value)


def _spec(field: dataclasses.Field[Any], hint: Any) -> SettingSpec:
    if field.default is dataclasses.MISSING:
        raise TypeError(f"setting {field.name!r} needs a default")
    bounds = field.metadata.get("bounds", Bounds())
    if hint is bool:
        return SettingSpec(field.name, "bool", field.default)
    if hint is int:
        return SettingSpec(field.name, "int", field.default, bounds=bounds)
    if hint is float:
        return SettingSpec(field.name, "float", float(field.default), bounds=bounds)
    if get_origin(hint) is Literal and all(isinstance(c, str) for c in get_args(hint)):
        return SettingSpec(field.name, "choice", field.default, choices=get_args(hint))
    raise TypeError(f"setting {field.name!r} has unsupported type {hint!r}")


@dataclass(frozen=True)
class Flag:
    """What a check reports: boxes (0-based) and a message; ``severity`` overrides the rule's."""

    boxes: tuple[int, ...]
    message: str
    severity: Severity | None = None


S = TypeVar("S", bound=RuleSettings)
Check = Callable[[Scene, S], Iterable[Flag]]


@dataclass(frozen=True)
class Rule(Generic[S]):
    code: str
    description: str
    check: Check[S]
    settings_type: type[S]
    kinds: frozenset[ProjectKind]
    settings: Mapping[str, SettingSpec]

    def defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.settings.items()}

    def run(self, scene: Scene, values: Mapping[str, Any]) -> list[Finding]:
        """Check ``scene`` with ``values`` (known settings only; missing ones take their defaults)."""
        settings = self.settings_type(**{k: v for k, v in values.items() if k in self.settings})
        if not settings.enabled or scene.kind not in self.kinds:
            return []
        return [
            Finding(self.code, flag.severity or settings.severity, flag.message, flag.boxes)
            for flag in self.check(scene, settings)
        ]


#: Every rule, by code, in registration order.
RULES: dict[str, Rule[Any]] = {}


def rule(
    settings_type: type[S], *, kinds: tuple[ProjectKind, ...] = ("bbox",)
) -> Callable[[Check[S]], Check[S]]:
    """Register the decorated check under its function name."""
    hints = get_type_hints(settings_type)
    specs = {f.name: _spec(f, hints[f.name]) for f in dataclasses.fields(settings_type)}

    def register(check: Check[S]) -> Check[S]:
        code = check.__name__
        if code in RULES:
            raise ValueError(f"lint rule {code!r} is registered twice")
        doc = (check.__doc__ or "").strip()
        RULES[code] = Rule(
            code=code,
            description=doc.splitlines()[0] if doc else code,
            check=check,
            settings_type=settings_type,
            kinds=frozenset(kinds),
            settings=specs,
        )
        return check

    return register
