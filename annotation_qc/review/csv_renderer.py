"""Lists of flat rows as CSV (nested values as JSON text)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rest_framework.renderers import BaseRenderer


class RowsCsvRenderer(BaseRenderer):
    """Renders ``{"results": [row, ...]}`` (or a bare list) with the first row's keys as columns."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        buffer = io.StringIO()
        rows = data.get("results") if isinstance(data, dict) and "results" in data else data
        if isinstance(rows, list):
            columns = (renderer_context or {}).get("csv_columns") or (list(rows[0]) if rows else [])
            writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
                )
        else:  # an error body
            buffer.write(str(data.get("detail", data)) if isinstance(data, dict) else str(data))
        return buffer.getvalue().encode(self.charset)
