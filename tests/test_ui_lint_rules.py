"""The settings form's linter catalogue (frontend/src/manager/lintRules.json) matches the registry."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from annotation_qc.domain.linters import default_lint_config

SCRIPT = Path(__file__).resolve().parents[1] / "frontend" / "scripts" / "lint_rules.py"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("lint_rules", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_file_is_up_to_date() -> None:
    script = _script()
    stale = "frontend/src/manager/lintRules.json is out of date: run frontend/scripts/lint_rules.py"
    assert script.TARGET.read_text() == script.rendered(), stale


def test_catalogue_defaults_are_the_domain_defaults() -> None:
    rules = json.loads(_script().TARGET.read_text())["rules"]
    defaults = {rule["code"]: {s["name"]: s["default"] for s in rule["settings"]} for rule in rules}
    assert defaults == default_lint_config()
