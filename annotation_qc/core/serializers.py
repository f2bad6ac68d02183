"""The base of every input serializer: unknown fields refused, JSON in form fields held to the body's limits.

DRF silently drops fields a serializer does not declare, so a typo (``lease_second``) or a field the
API never had would be accepted and ignored; here it is a 400 naming the field. JSON bodies are
checked by :mod:`annotation_qc.core.parsers`; a JSON field sent inside a multipart form is a string
that DRF would parse with no limits, so it gets the same checks here. Numbers: DRF's ``FloatField``
refuses NaN and infinity and ``IntegerField`` refuses ``3.7``; give every number field bounds.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError

from annotation_qc.core.parsers import parse_json_bytes


def _prefixed(detail: Any, name: str) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {f"{name}.{key}" if key else name: value for key, value in detail.items()}
    return {name: detail}


class StrictSerializer(serializers.Serializer):
    # A Serializer that answers 400 for fields it does not declare. (No docstring: drf-spectacular
    # would give it as the description of every request body without one of its own.)

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise ValidationError({key: ["unknown field"] for key in unknown})
            if isinstance(data, QueryDict):
                self._check_form_json(data)
        return super().to_internal_value(data)

    def _check_form_json(self, data: QueryDict) -> None:
        for name, field in self.fields.items():
            if isinstance(field, serializers.JSONField) and isinstance(data.get(name), str):
                try:
                    parse_json_bytes(str(data[name]).encode())
                except ParseError as exc:
                    raise ValidationError({name: [str(exc.detail)]}) from exc
                except ValidationError as exc:
                    raise ValidationError(_prefixed(exc.detail, name)) from exc
