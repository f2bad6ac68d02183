"""Writes the linter catalogue the settings form renders: ``frontend/src/manager/lintRules.json``.

    .venv/bin/python frontend/scripts/lint_rules.py          # rewrite the file
    .venv/bin/python frontend/scripts/lint_rules.py --check  # exit 1 when it is out of date

The source is the rule registry (``annotation_qc.domain.linting.registry.RULES``): every rule in
registration order with its description, the project kinds it applies to, and each setting's
type, default, choices and allowed range. ``tests/test_ui_lint_rules.py`` fails when the file and
the registry disagree, so a new rule or threshold reaches the form.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "frontend" / "src" / "manager" / "lintRules.json"


def _description(doc: str, code: str) -> str:
    """The first paragraph of a rule's docstring as one line, without reST markup."""
    paragraph = (doc or "").strip().split("\n\n")[0]
    text = " ".join(line.strip() for line in paragraph.splitlines()).strip()
    return re.sub(r"``([^`]+)``", r"\1", text) or code


def catalogue() -> dict[str, Any]:
    import annotation_qc.domain.linters  # noqa: F401  (registers every rule)
    from annotation_qc.domain.linting.registry import RULES

    rules = []
    for code, rule in RULES.items():
        settings = []
        for name, spec in rule.settings.items():
            entry: dict[str, Any] = {"name": name, "type": spec.type, "default": spec.default}
            if spec.type == "choice":
                entry["choices"] = list(spec.choices)
            if spec.type in ("int", "float"):
                bounds = spec.bounds
                entry.update(
                    low=bounds.low,
                    high=bounds.high,
                    low_open=bounds.low_open,
                    high_open=bounds.high_open,
                    range=bounds.describe(),
                )
            settings.append(entry)
        rules.append(
            {
                "code": code,
                "description": _description(rule.check.__doc__ or "", code),
                "kinds": sorted(rule.kinds),
                "settings": settings,
            }
        )
    return {"source": "annotation_qc.domain.linting.registry.RULES", "rules": rules}


def rendered() -> str:
    return json.dumps(catalogue(), indent=2) + "\n"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    text = rendered()
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run {Path(__file__).relative_to(ROOT)}")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(catalogue()['rules'])} rules)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
