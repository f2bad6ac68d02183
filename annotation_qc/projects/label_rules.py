"""A project's label set: colours, hotkeys and retired labels (validation and the effective values)."""

from __future__ import annotations

import re
from typing import Any

from annotation_qc.core.exceptions import ServiceError

# Keys the labeling workspaces use for themselves (help, skip, fit, new box): never a label's hotkey.
RESERVED_HOTKEYS = frozenset("hsfn")
HOTKEY = re.compile(r"^[0-9a-z]$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Distinct colours, each dark enough for a white label text and 3:1 against a light image.
DEFAULT_COLOURS = (
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#7f7f7f",
    "#3f51b5",
    "#d35400",
)
LABEL_FIELDS = frozenset({"colour", "hotkey", "retired"})


def label_config_validate(*, labels: list[str], config: Any) -> dict[str, dict[str, Any]]:
    """Checks ``{label: {colour, hotkey, retired}}``; errors name ``label_config.<label>.<field>``."""
    if not isinstance(config, dict):
        raise ServiceError("Invalid label settings.", errors={"label_config": ["must be an object"]})
    errors: dict[str, list[str]] = {}
    clean: dict[str, dict[str, Any]] = {}
    for label, entry in config.items():
        path = f"label_config.{label}"
        if label not in labels:
            errors[path] = ["not one of the project's labels"]
            continue
        if not isinstance(entry, dict):
            errors[path] = ["must be an object"]
            continue
        unknown = sorted(set(entry) - LABEL_FIELDS)
        for key in unknown:
            errors[f"{path}.{key}"] = ["unknown field"]
        out: dict[str, Any] = {}
        colour = entry.get("colour")
        if colour not in (None, ""):
            if not isinstance(colour, str) or not COLOUR.match(colour):
                errors[f"{path}.colour"] = ["a colour as #rrggbb"]
            else:
                out["colour"] = colour.lower()
        hotkey = entry.get("hotkey")
        if hotkey not in (None, ""):
            key = hotkey.lower() if isinstance(hotkey, str) else hotkey
            if not isinstance(key, str) or not HOTKEY.match(key):
                errors[f"{path}.hotkey"] = ["one letter or digit"]
            elif key in RESERVED_HOTKEYS:
                errors[f"{path}.hotkey"] = [f"'{key}' is a workspace shortcut; choose another key"]
            else:
                out["hotkey"] = key
        retired = entry.get("retired", False)
        if not isinstance(retired, bool):
            errors[f"{path}.retired"] = ["must be true or false"]
        elif retired:
            out["retired"] = True
        clean[label] = out
    owners: dict[str, list[str]] = {}
    for label, entry in clean.items():
        if "hotkey" in entry:
            owners.setdefault(entry["hotkey"], []).append(label)
    for key, owner in owners.items():
        if len(owner) > 1:
            for label in owner[1:]:
                errors[f"label_config.{label}.hotkey"] = [f"'{key}' is already the hotkey of {owner[0]}"]
    if labels and all(clean.get(label, {}).get("retired") for label in labels):
        errors["label_config"] = ["at least one label must stay active"]
    if errors:
        raise ServiceError("Invalid label settings.", errors=errors)
    return {label: entry for label, entry in clean.items() if entry}


def default_hotkeys(labels: list[str], taken: set[str]) -> dict[str, str]:
    """Labels that are themselves single digits or letters get that key; the others 1-9 then 0 in order."""
    keys: dict[str, str] = {}
    used = set(taken)
    for label in labels:
        key = label.lower()
        if HOTKEY.match(key) and key not in RESERVED_HOTKEYS and key not in used:
            keys[label] = key
            used.add(key)
    free = [k for k in "1234567890" if k not in used]
    for label in labels:
        if label not in keys and free:
            keys[label] = free.pop(0)
    return keys


def labels_effective(*, labels: list[str], config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every label with its colour, hotkey (the configured one, else a default) and whether it is retired."""
    explicit = {label: entry["hotkey"] for label, entry in config.items() if entry.get("hotkey")}
    active = [label for label in labels if not config.get(label, {}).get("retired")]
    defaults = default_hotkeys([label for label in active if label not in explicit], set(explicit.values()))
    rows = []
    for index, label in enumerate(labels):
        entry = config.get(label, {})
        retired = bool(entry.get("retired"))
        rows.append(
            {
                "name": label,
                "colour": entry.get("colour") or DEFAULT_COLOURS[index % len(DEFAULT_COLOURS)],
                "hotkey": None if retired else explicit.get(label) or defaults.get(label),
                "retired": retired,
            }
        )
    return rows
