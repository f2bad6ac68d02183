"""Keep the lock files in step with pyproject.toml.

``requirements/dev.lock`` (the dependencies and the ``dev`` extra: ``make run``, ``make test``, CI) and
``requirements/base.lock`` (the dependencies alone: the Docker image) pin every package with its hashes.
``python requirements/lock.py stamp`` records, in each lock's header, a digest of what pyproject.toml
declares (``make lock`` runs it after uv resolves). ``python requirements/lock.py check`` (``make test``,
so CI) fails when the declarations changed since the locks were made, or when a pinned version does not
satisfy its declaration, and says which command to run.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCKS = {"dev.lock": True, "base.lock": False}  # lock file -> whether it holds the dev extra
STAMP = "# pyproject-dependencies-sha256: "
FIX = "run `make lock` and commit requirements/*.lock"


def declared(*, dev: bool) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    extra = project.get("optional-dependencies", {}).get("dev", []) if dev else []
    return [*project["dependencies"], *extra]


def digest(*, dev: bool) -> str:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    what = {"requires-python": project.get("requires-python"), "requirements": declared(dev=dev)}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def pins(text: str) -> dict[str, str]:
    found = re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", text, re.MULTILINE)
    return {_name(m.group(1)): m.group(2) for m in found}


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def stamp() -> int:
    for name, dev in LOCKS.items():
        lock = ROOT / "requirements" / name
        lines = [line for line in lock.read_text().splitlines() if not line.startswith(STAMP)]
        lock.write_text("\n".join([f"{STAMP}{digest(dev=dev)}", *lines]) + "\n")
    return 0


def check() -> int:
    return max(_check(name, dev=dev) for name, dev in LOCKS.items())


def _check(name: str, *, dev: bool) -> int:
    lock = ROOT / "requirements" / name
    if not lock.exists():
        print(f"requirements/{name} is missing: {FIX}.")
        return 1
    text = lock.read_text()
    recorded = next((line[len(STAMP) :] for line in text.splitlines() if line.startswith(STAMP)), None)
    if recorded != digest(dev=dev):
        print(f"requirements/{name} does not match the dependencies in pyproject.toml: {FIX}.")
        return 1
    from packaging.requirements import Requirement

    pinned = pins(text)
    problems = []
    for line in declared(dev=dev):
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = pinned.get(_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} does not satisfy '{requirement.specifier}'")
    if problems:
        print(f"requirements/{name} is out of step with pyproject.toml ({'; '.join(problems)}): {FIX}.")
        return 1
    print(f"requirements/{name}: {len(pinned)} pinned packages, in step with pyproject.toml")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    sys.exit({"stamp": stamp, "check": check}[command]())
