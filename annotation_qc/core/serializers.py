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
from annotation_qc.domain.jsonsafe import MAX_INT


def _prefixed(detail: Any, name: str) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {f"{name}.{key}" if key else name: value for key, value in detail.items()}
    return {name: detail}


class QuerySerializer(serializers.Serializer):
    # Query parameters: an empty value (``?kind=``) is refused like any other bad value, not taken as
    # absent, except by text fields that allow blanks. (Unknown parameters pass: paging reads its own.)

    def to_internal_value(self, data: Any) -> Any:
        empty = sorted(
            name
            for name, field in self.fields.items()
            if data.get(name) == "" and not getattr(field, "allow_blank", False)
        )
        if empty:
            raise ValidationError({name: ["must not be empty"] for name in empty})
        return super().to_internal_value(data)


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
            else:
                self._check_strings(data)
        value = super().to_internal_value(data)
        self._check_integers(value)
        return value

    def _check_strings(self, data: Any) -> None:
        """A text field takes a JSON string: DRF's ``CharField`` would turn ``42`` into ``"42"``, which the
        schema (``type: string``) does not allow."""
        wrong = sorted(
            name
            for name, field in self.fields.items()
            if isinstance(field, serializers.CharField)
            and not field.read_only
            and isinstance(data.get(name), int | float)  # bool is an int: refused too
        )
        if wrong:
            raise ValidationError({name: ["must be a string"] for name in wrong})

    def _check_integers(self, value: Any) -> None:
        """Integers (also those sent as strings, ``"99999999999999999999"``) must fit a database bigint."""
        errors: dict[str, list[str]] = {}
        for name, field in self.fields.items():
            got = value.get(field.source, None) if isinstance(value, dict) else None
            if isinstance(field, serializers.IntegerField):
                values = [got]
            elif isinstance(field, serializers.ListField) and isinstance(
                field.child, serializers.IntegerField
            ):
                values = list(got or [])
            else:
                continue
            if any(isinstance(v, int) and not -MAX_INT - 1 <= v <= MAX_INT for v in values):
                errors[name] = ["number out of range (at most 64-bit integers)"]
        if errors:
            raise ValidationError(errors)

    def _check_form_json(self, data: QueryDict) -> None:
        for name, field in self.fields.items():
            if isinstance(field, serializers.JSONField) and isinstance(data.get(name), str):
                try:
                    parse_json_bytes(str(data[name]).encode())
                except ParseError as exc:
                    raise ValidationError({name: [str(exc.detail)]}) from exc
                except ValidationError as exc:
                    raise ValidationError(_prefixed(exc.detail, name)) from exc
