"""The JSON body parser: size and depth limits before parsing, and no value PostgreSQL or numpy cannot hold.

- A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused with 413 before it is read whole.
- Nesting deeper than ``ANNOTATION_QC["JSON_MAX_DEPTH"]`` is refused with 400 before ``json`` recurses
  (a body nested 100,000 deep would otherwise raise RecursionError).
- Numbers must be finite (``1e309`` parses to infinity) and integers within 64 bits (``10**400``).
- Strings and keys must not hold a NUL character (PostgreSQL text and jsonb cannot store it).

Each refusal names the field path where it can (``items[3].metadata.note``).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser

from annotation_qc.domain.jsonsafe import DEFAULT_MAX_DEPTH, JsonLimitError, loads_bounded, unstorable


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def max_depth() -> int:
    return int(settings.ANNOTATION_QC.get("JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def check_values(data: Any) -> None:
    """Raise a 400 naming every field whose value cannot be stored (at most 20 are named)."""
    errors = unstorable(data, "")
    if errors:
        raise ValidationError({path or "body": messages for path, messages in errors.items()})


def parse_json_bytes(raw: bytes, *, encoding: str = "utf-8") -> Any:
    """Parse a JSON body under the limits above; ParseError/ValidationError on a refusal."""
    suspicious = False

    def parse_int(text: str) -> int:
        nonlocal suspicious
        if len(text) > 19:
            suspicious = True
        return int(text)

    def parse_float(text: str) -> float:
        nonlocal suspicious
        value = float(text)
        if not math.isfinite(value):
            suspicious = True
        return value

    try:
        text = raw.decode(encoding)
        data = loads_bounded(text, max_depth=max_depth(), parse_int=parse_int, parse_float=parse_float)
    except JsonLimitError as exc:
        raise ParseError(f"JSON refused - {exc}") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    if suspicious or "\\u0000" in text:
        check_values(data)
    return data


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with the limits of this module."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge(
                {
                    "detail": f"The JSON body is over {limit} bytes; send large files as multipart uploads.",
                    "errors": {"body": [f"larger than {limit} bytes"]},
                }
            )
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return parse_json_bytes(raw, encoding=encoding)
