"""``field__any=[...]``: membership in a list as one array parameter on PostgreSQL.

``field__in`` with thousands of values makes Django build (and psycopg send) one placeholder per
value, which costs more than the query at import sizes. ``= ANY(%s)`` sends the list as a single
array; other databases get the ordinary ``IN``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, Lookup
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor != "postgresql":
            sql, params = In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
            return sql, list(params)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        return f"{lhs} = ANY(%s)", [*lhs_params, values]
