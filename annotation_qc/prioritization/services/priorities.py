"""Writing the items' standby priority column (see ``Project.priority_slot``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import connection

from annotation_qc.labeling.models import Item
from annotation_qc.projects.models import PRIORITY_FIELDS


def write_priorities(field: str, item_ids: np.ndarray[Any, Any], scores: np.ndarray[Any, Any]) -> None:
    """Set ``field`` (a priority column) of the given items: one statement on PostgreSQL (arrays
    unnested), batched on SQLite."""
    if not len(item_ids):
        return
    table = Item._meta.db_table
    if field not in PRIORITY_FIELDS:
        raise ValueError(f"not a priority column: {field!r}")
    column = field  # the columns are named as the fields
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The id range lets the planner probe the primary key for the chunk's rows instead of
            # hashing the whole item table.
            cursor.execute(
                f"UPDATE {table} SET {column} = s.score "
                "FROM (SELECT UNNEST(%s::bigint[]) AS id, UNNEST(%s::float8[]) AS score) AS s "
                f"WHERE {table}.id = s.id AND {table}.id BETWEEN %s AND %s",
                [
                    item_ids.astype(np.int64).tolist(),
                    scores.astype(np.float64).tolist(),
                    int(item_ids.min()),
                    int(item_ids.max()),
                ],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {column} = %s WHERE id = %s",
                list(zip(scores.astype(float).tolist(), item_ids.tolist(), strict=True)),
            )


def shift_priorities(item_ids: np.ndarray[Any, Any], deltas: np.ndarray[Any, Any]) -> None:
    """Add ``deltas`` to both priority columns of the given items (live and standby), in place.

    Used when what is added to the strategy's scores changes (data health's boost and outlier placement):
    an increment, so it composes with a run writing the standby column meanwhile, whose chunks read the
    adjustments when they write (see ``scoring.score_range``).
    """
    keep = np.asarray(deltas, dtype=np.float64) != 0.0
    ids = np.asarray(item_ids, dtype=np.int64)[keep]
    values = np.asarray(deltas, dtype=np.float64)[keep]
    if not len(ids):
        return
    table = Item._meta.db_table
    first, second = PRIORITY_FIELDS
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {first} = {first} + s.delta, {second} = {second} + s.delta "
                "FROM (SELECT UNNEST(%s::bigint[]) AS id, UNNEST(%s::float8[]) AS delta) AS s "
                f"WHERE {table}.id = s.id",
                [ids.tolist(), values.tolist()],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {first} = {first} + %s, {second} = {second} + %s WHERE id = %s",
                [(d, d, i) for i, d in zip(ids.tolist(), values.tolist(), strict=True)],
            )
