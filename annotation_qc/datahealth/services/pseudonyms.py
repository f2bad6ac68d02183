"""Pseudonyms for annotators in exports: stable per project, keyed by the SECRET_KEY (HMAC-SHA256).

Managers still see usernames in the service; only export content and manifests carry the pseudonyms.
Rotating the SECRET_KEY changes every pseudonym (later exports no longer match earlier ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from django.conf import settings

from annotation_qc.datahealth.models import HealthConfig
from annotation_qc.domain.data_health.pseudonyms import project_key, pseudonym
from annotation_qc.domain.formats.records import ExportRecord


def pseudonymise_enabled(project_id: int) -> bool:
    return HealthConfig.objects.filter(project_id=project_id, pseudonymise_exports=True).exists()


def annotator_alias(*, project_id: int) -> Callable[[int], str]:
    key = project_key(str(settings.SECRET_KEY).encode(), project_id)
    known: dict[int, str] = {}

    def alias(user_id: int) -> str:
        if user_id not in known:
            known[user_id] = pseudonym(key, user_id)
        return known[user_id]

    return alias


def records_pseudonymised(records: Iterable[ExportRecord], alias: Callable[[int], str]) -> list[ExportRecord]:
    return [
        replace(r, raw=tuple(replace(a, annotator_id=alias(int(a.annotator_id))) for a in r.raw))
        if r.raw
        else r
        for r in records
    ]


def manifest_pseudonymised(manifest: dict[str, Any], alias: Callable[[int], str]) -> dict[str, Any]:
    """Annotators and benchmark figures under their pseudonyms (no user id, no username)."""
    return {
        **manifest,
        "pseudonymised": True,
        "annotators": [
            {**row, "id": alias(row["id"]), "username": alias(row["id"])}
            for row in manifest.get("annotators", [])
        ],
        "benchmarks": [
            {**row, "annotator_id": alias(row["annotator_id"]), "username": alias(row["annotator_id"])}
            for row in manifest.get("benchmarks", [])
        ],
    }
