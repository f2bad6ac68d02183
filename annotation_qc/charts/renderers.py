"""CSV for the chart endpoints: ``?format=csv`` (DRF's format override) gives the rows as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.renderers import BaseRenderer


class ChartCsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        if isinstance(data, dict) and "columns" in data and "rows" in data:
            writer = csv.DictWriter(
                out, fieldnames=data["columns"], extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            for row in data["rows"]:
                writer.writerow({k: _cell(v) for k, v in row.items()})
        else:  # an error body
            writer2 = csv.writer(out, lineterminator="\n")
            writer2.writerow(["detail"])
            writer2.writerow([_cell(data.get("detail") if isinstance(data, dict) else data)])
        return out.getvalue().encode(self.charset)


def _cell(value: Any) -> Any:
    # Spreadsheet formula injection: a text cell starting with = + - @ is read as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value
