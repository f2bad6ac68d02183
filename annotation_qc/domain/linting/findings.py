"""What a linter reports: :class:`Finding`, and the order findings are shown in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("warning", "error")


@dataclass(frozen=True)
class Finding:
    """One problem in an annotation.

    ``boxes`` holds 0-based indices into the payload's ``boxes`` list (empty for findings about the
    whole annotation); ``message`` is for a person and numbers boxes from 1.
    """

    code: str
    severity: Severity
    message: str
    boxes: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "boxes": list(self.boxes),
        }


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by rule code, then by the boxes involved (message breaks any tie)."""
    return sorted(findings, key=lambda f: (f.severity != "error", f.code, f.boxes, f.message))


def box_list(indices: Sequence[int]) -> str:
    """``[1, 4, 6]`` -> ``"Boxes 2, 5 and 7"`` (1-based, for messages)."""
    numbers = [str(i + 1) for i in indices]
    if len(numbers) == 1:
        return f"Box {numbers[0]}"
    return f"Boxes {', '.join(numbers[:-1])} and {numbers[-1]}"


def quoted_list(words: Sequence[str]) -> str:
    """``["car", "bus"]`` -> ``"'car' and 'bus'"``."""
    quoted = [f"'{w}'" for w in words]
    if len(quoted) == 1:
        return quoted[0]
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def number(value: float) -> str:
    """A short human rendering of a measurement: 3 significant figures, whole numbers from 100."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"
