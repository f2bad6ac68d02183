"""Scorecards as CSV, with the same columns as the JSON rows (nested values flattened)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.renderers import BaseRenderer

from annotation_qc.domain.seeding import BOX_ERROR_KINDS


def scorecard_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    flat = {
        "user_id": row["user_id"],
        "username": row["username"],
        "status": row["status"],
        "tasks_done": row["tasks_done"],
        "median_seconds": row["median_seconds"],
        "median_client_seconds": row["median_client_seconds"],
        "benchmarks": row["benchmarks"]["n"],
        "benchmarks_fixed": row["benchmarks"]["correct"],
        "accuracy": row["benchmarks"]["accuracy"],
        "accuracy_low": row["benchmarks"]["low"],
        "accuracy_high": row["benchmarks"]["high"],
        "benchmarks_skipped": row.get("benchmarks_skipped", 0),
        "flag_reason": (row.get("flag") or {}).get("reason"),
    }
    skipping = row.get("skipping") or {}
    flat["benchmark_skip_rate"] = skipping.get("benchmark_skip_rate")
    flat["work_skip_rate"] = skipping.get("work_skip_rate")
    flat["selective_skipping_p"] = skipping.get("p_value")
    for kind, estimate in row["by_error_kind"].items():
        flat[f"accuracy_{kind}"] = estimate["accuracy"]
        flat[f"benchmarks_{kind}"] = estimate["n"]
    flat["lint_finding_rate"] = row["lint_finding_rate"]
    flat["agreement"] = row["agreement"]
    flat["peer_score"] = (row.get("peer") or {}).get("score")
    flat["peer_items"] = (row.get("peer") or {}).get("items")
    review = row.get("review") or {}
    flat["reviews"] = review.get("reviews")
    flat["first_pass_acceptance"] = (review.get("first_pass_acceptance") or {}).get("value")
    flat["review_rejection_rate"] = (review.get("rejection_rate") or {}).get("value")
    flat["skill_with_reviews"] = (review.get("skill_with_reviews") or {}).get("value")
    flat["skill_estimate"] = (row.get("skill") or {}).get("estimate")
    return flat


class ScorecardCsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        buffer = io.StringIO()
        if isinstance(data, list):
            rows = [scorecard_csv_row(row) for row in data]
            fields = list(rows[0]) if rows else ["user_id", "username", "status", *BOX_ERROR_KINDS]
            writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        else:  # an error body
            buffer.write(str(data.get("detail", data)) if isinstance(data, dict) else str(data))
        return buffer.getvalue().encode(self.charset)
