"""Model instances from hand-written SQL, for the few statements on the annotator loop's hot path.

The ORM compiles each queryset on every call (a third of a next-task's time went there); the hot
statements are written once as SQL instead, and their rows become model instances here exactly as
the ORM would build them: the database's values through the same converters (JSON, SQLite's
datetimes and booleans), then ``Model.from_db`` (the fields not read stay deferred and load on
access). Values written go through each field's ``get_db_prep_save``, as the ORM's own writes do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


class ModelColumns(Generic[M]):
    """Some of a model's concrete fields (all by default), in the model's field order: the SQL that
    selects them and the building of an instance from the values a row holds for them."""

    def __init__(self, model: type[M], fields: Sequence[str] | None = None) -> None:
        self.model = model
        wanted = None if fields is None else set(fields)
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if wanted is None or f.name in wanted or f.attname in wanted
        ]
        if wanted is not None and len(self.fields) != len(wanted):
            raise ValueError(f"not concrete fields of {model.__name__}: {sorted(wanted)}")
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._converters: dict[str, list[tuple[int, list[Converter], Any]]] = {}

    def select(self, alias: str) -> str:
        """``alias."column", ...`` for a SELECT list (or a RETURNING clause with an empty alias)."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(f'{prefix}"{f.column}"' for f in self.fields)

    def columns(self) -> str:
        return ", ".join(f'"{f.column}"' for f in self.fields)

    def _converters_for(self, using: str) -> list[tuple[int, list[Converter], Any]]:
        found = self._converters.get(using)
        if found is None:
            connection = connections[using]
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                own = field.get_db_converters(connection)  # type: ignore[attr-defined]
                converters = connection.ops.get_db_converters(column) + own
                if converters:
                    found.append((index, converters, column))
            self._converters[using] = found
        return found

    def build(self, row: Sequence[Any], start: int = 0, using: str = "default") -> M:
        """The instance from ``row[start:start + width]`` (as read from the database)."""
        values = list(row[start : start + self.width])
        connection = connections[using]
        for index, converters, column in self._converters_for(using):
            value = values[index]
            for converter in converters:
                value = converter(value, column, connection)
            values[index] = value
        return self.model.from_db(using, self.attnames, values)

    def made(self, values: Sequence[Any], using: str = "default") -> M:
        """The instance from Python values (what was just written), without conversion."""
        return self.model.from_db(using, self.attnames, list(values))

    def params(self, values: Sequence[Any], using: str = "default") -> list[Any]:
        """Python values of these fields as parameters of a write (each field's ``get_db_prep_save``)."""
        connection = connections[using]
        return [
            field.get_db_prep_save(value, connection)
            for field, value in zip(self.fields, values, strict=True)
        ]
