"""Reading untrusted JSON with bounds: nesting depth checked before parsing, no NaN or Infinity literals.

``json.loads`` recurses once per level, so a text nested 100,000 deep raises ``RecursionError``; the
depth here is found without parsing (strings skipped, brackets counted with numpy). Numbers that
overflow (``1e309`` parses to infinity) are left to the callers' finiteness checks.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

DEFAULT_MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


class JsonLimitError(ValueError):
    """The text is not JSON this service reads (too deep, a non-standard constant, a huge integer)."""


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it (strings skipped)."""
    bare = _STRING.sub(b'""', raw)
    codes = np.frombuffer(bare, dtype=np.uint8)
    opens = (codes == _OPEN[0]) | (codes == _OPEN[1])
    closes = (codes == _CLOSE[0]) | (codes == _CLOSE[1])
    steps = opens.astype(np.int32) - closes.astype(np.int32)
    return int(np.cumsum(steps).max()) if len(steps) else 0


def _refuse_constant(name: str) -> Any:
    raise JsonLimitError(f"{name} is not valid JSON")


def loads_bounded(text: str | bytes, *, max_depth: int = DEFAULT_MAX_DEPTH, **hooks: Any) -> Any:
    """``json.loads`` that refuses deep nesting and NaN/Infinity with :class:`JsonLimitError`.

    A malformed text raises ``json.JSONDecodeError`` as ``json.loads`` does; ``hooks`` are passed on
    (``parse_int``, ``parse_float``).
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    # No text with at most ``max_depth`` opening brackets (in strings or not) can nest deeper: the
    # common case (a line of an import, a request body) is decided by one count.
    shallow = raw.count(b"[") + raw.count(b"{") <= max_depth
    depth = 0 if shallow else nesting_depth(raw)
    if depth > max_depth:
        raise JsonLimitError(f"nested {depth} levels deep; at most {max_depth} levels are accepted")
    try:
        return json.loads(text, parse_constant=_refuse_constant, **hooks)
    except RecursionError as exc:  # the depth check makes this unreachable short of a tiny stack
        raise JsonLimitError("nested too deep") from exc
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise JsonLimitError(str(exc)) from exc


#: The widest integer a stored number may be (PostgreSQL bigint, numpy int64).
MAX_INT = 2**63 - 1


def value_problem(value: object, *, is_key: bool = False) -> str | None:
    """Why a JSON scalar (or object key) cannot be stored, or None.

    PostgreSQL text and jsonb cannot hold a NUL character; numbers must be finite and integers fit
    in 64 bits. Other control characters are stored as they are.
    """
    if isinstance(value, str):
        if "\x00" in value:
            return "a key must not contain a NUL character" if is_key else "must not contain a NUL character"
        return None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -MAX_INT - 1 <= value <= MAX_INT else "number out of range (at most 64-bit integers)"
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return "must be a finite number"
    return None


def unstorable(value: object, path: str = "", *, limit: int = 20) -> dict[str, list[str]]:
    """``{field path: [problem]}`` for up to ``limit`` values in a parsed JSON tree that cannot be stored.

    Walks without recursion, so any depth is safe.
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, object]] = [(path, value)]
    while stack and len(errors) < limit:
        at, node = stack.pop()
        if isinstance(node, dict):
            for key, child in reversed(list(node.items())):
                child_path = f"{at}.{key}" if at else str(key)
                problem = value_problem(key, is_key=True)
                if problem is not None:
                    errors.setdefault(child_path, []).append(problem)
                stack.append((child_path, child))
        elif isinstance(node, list | tuple):
            stack.extend((f"{at}[{index}]", node[index]) for index in range(len(node) - 1, -1, -1))
        else:
            problem = value_problem(node)
            if problem is not None:
                errors.setdefault(at or "value", []).append(problem)
    return errors
