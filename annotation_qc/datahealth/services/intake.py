"""The data-health checks for what arrives without an import file: the JSON items and predictions APIs and
bucket sync.

:func:`rows_checked_write` is the one entry point: it runs the project's checks on the rows (as
:func:`checks.batch_check` does for file imports), leaves out the rows a ``reject`` check refuses (or, all
or nothing, refuses them all with a 400 naming each row), has the caller write the others, quarantines the
items a ``quarantine`` check holds, and records the import in the audit log, all in one transaction. The
images of these items are not fetched here (URLs, bucket objects measured from their head), so the checks
on pixels (decode, blank, duplicates) do not run; sizes, aspect ratio, metadata and features do.

:func:`predictions_import_checked` is the predictions API's: the project's ``predictions`` check (scores
finite and in [0, 1], probabilities finite, in [0, 1] and summing to 1 within its tolerance) with its action:
``reject`` is a 400 naming each row and field (nothing written), ``quarantine`` writes the predictions and
holds their items out of the queue, ``warn`` writes them and lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from annotation_qc.core.exceptions import ServiceError
from annotation_qc.datahealth.models import AuditEvent
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.datahealth.services.checks import batch_check, quarantine_items
from annotation_qc.datahealth.services.config import project_config
from annotation_qc.domain.data_health.expectations import Failure, HealthOutcome, prediction_field_problems
from annotation_qc.domain.formats import SourceItem
from annotation_qc.labeling.models import Item
from annotation_qc.projects.models import Project

#: The request field a failing check names in a 400 of the items API.
CHECK_FIELDS = {
    "image_size": "width",
    "aspect_ratio": "width",
    "metadata": "metadata",
    "features": "features",
    "predictions": "scores",
}

#: ``write(kept)``: writes ``rows[i]`` for each index in ``kept`` and returns the new items' ids, in order.
Writer = Callable[[list[int]], list[int]]


@dataclass(frozen=True)
class Intake:
    created: int
    #: {row index: reason} of rows a ``reject`` check left out (always empty with ``all_or_nothing``).
    rejected: dict[int, str]
    #: The per-batch data-health summary (checks run, counts, failures, quarantined, warned).
    summary: dict[str, Any]


def _source_items(rows: Sequence[Mapping[str, Any]]) -> list[SourceItem]:
    return [
        SourceItem(
            row=f"items[{index}]",
            external_id=str(row["external_id"]),
            image=str(row.get("image_url") or row.get("image") or ""),
            width=row.get("width"),
            height=row.get("height"),
            metadata=row.get("metadata") or {},
        )
        for index, row in enumerate(rows)
    ]


def rows_checked_write(
    *,
    project: Project,
    rows: Sequence[Mapping[str, Any]],
    write: Writer,
    actor_id: int | None,
    origin: str,
    all_or_nothing: bool,
) -> Intake:
    """Check ``rows`` (item rows as the labeling import takes them), write the admitted ones with ``write``,
    quarantine and audit. ``origin`` names where they came from in the audit log ("items API", "bucket
    source 3"). With ``all_or_nothing`` a rejected row refuses every row (ServiceError naming each)."""
    items = _source_items(rows)
    sizes = {
        item.external_id: (int(item.width), int(item.height))
        for item in items
        if item.width is not None and item.height is not None
    }
    health = batch_check(
        project=project,
        items=items,
        measured=None,
        sizes=sizes,
        features=[row.get("features") for row in rows],
    )
    health.notes.clear()  # no image of these rows is fetched: the pixel checks do not apply
    rejected: dict[int, str] = {}
    for failure in health.outcome.failures:
        if failure.action == "reject":
            rejected.setdefault(failure.index, failure.message)
    if rejected and all_or_nothing:
        errors: dict[str, list[str]] = {}
        for failure in health.outcome.failures:
            if failure.action == "reject":
                field = CHECK_FIELDS.get(failure.check, failure.check)
                # The path names the field; the check is named only where it is not the field itself.
                message = failure.reason.removeprefix(f"{field}: ")
                if failure.check != field:
                    message = f"{failure.check}: {message}"
                errors.setdefault(f"items[{failure.index}].{field}", []).append(message)
        raise ServiceError(
            f"{len(rejected)} item(s) fail the project's data-health checks; nothing was imported.",
            errors=errors,
        )
    kept = [index for index in range(len(rows)) if index not in rejected]
    with transaction.atomic():
        ids = write(kept) if kept else []
        by_index = dict(zip(kept, ids, strict=True))
        reasons: dict[int, list[dict[str, str]]] = {}
        for failure in health.outcome.failures:
            if failure.action == "quarantine" and failure.index in by_index:
                reasons.setdefault(by_index[failure.index], []).append(
                    {"check": failure.check, "reason": failure.reason}
                )
        held = quarantine_items(project_id=project.pk, reasons=reasons)
        summary = health.summary(rejected=False)
        summary["quarantined"] = held
        summary["rejected"] = len(rejected)
        audit_record(
            project_id=project.pk,
            actor_id=actor_id,
            action=AuditEvent.Action.IMPORT,
            target=origin,
            details={
                "origin": origin,
                "created": len(ids),
                "rejected": len(rejected),
                "quarantined": held,
                "warned": summary["warned"],
            },
        )
    return Intake(created=len(ids), rejected=rejected, summary=summary)


def items_import_checked(*, project: Project, rows: list[dict[str, Any]], user_id: int | None) -> Intake:
    """The JSON items API: all or nothing, as the API has always been, through the data-health checks."""
    from annotation_qc.labeling.services.imports import items_import

    def write(kept: list[int]) -> list[int]:
        return [item.pk for item in items_import(project=project, rows=[rows[i] for i in kept])]

    return rows_checked_write(
        project=project, rows=rows, write=write, actor_id=user_id, origin="items API", all_or_nothing=True
    )


def predictions_import_checked(
    *, project: Project, model_version: str, rows: list[dict[str, Any]], user_id: int | None
) -> Intake:
    """The JSON predictions API through the project's ``predictions`` data-health check, all or nothing:
    a failure whose action is ``reject`` refuses every row (ServiceError naming ``predictions[i].scores``
    or ``.proba``); otherwise the predictions are written, the items of ``quarantine`` failures are held and
    the import is audited, in one transaction."""
    from annotation_qc.labeling.services.imports import predictions_import

    check = project_config(project.pk)["checks"]["predictions"]
    problems: dict[int, dict[str, str]] = {}
    if check["enabled"]:
        problems = prediction_field_problems(
            [row.get("scores") for row in rows],
            [row.get("proba") for row in rows],
            len(project.labels),
            check["tolerance"],
        )
    failures = tuple(
        Failure(index=index, check="predictions", action=check["action"], reason=reason)
        for index, fields in sorted(problems.items())
        for reason in fields.values()
    )
    if check["action"] == "reject" and problems:
        raise ServiceError(
            f"{len(problems)} prediction(s) fail the project's data-health checks; nothing was imported.",
            errors={
                f"predictions[{index}].{name}": [reason]
                for index, fields in sorted(problems.items())
                for name, reason in fields.items()
            },
        )
    outcome = HealthOutcome(
        failures=failures, n_items=len(rows), checks_run=("predictions",) if check["enabled"] else ()
    )
    ids = [str(row["external_id"]) for row in rows]
    with transaction.atomic():
        # Shapes, items and payloads are still the labeling service's (a 400 there rolls back everything).
        created = predictions_import(
            project=project, model_version=model_version, rows=rows, owner_id=user_id, value_checks=False
        )
        held_ids = sorted({ids[f.index] for f in failures if f.action == "quarantine"})
        item_ids = (
            dict(
                Item.objects.filter(project=project, external_id__in=held_ids).values_list(
                    "external_id", "pk"
                )
            )
            if held_ids
            else {}
        )
        reasons: dict[int, list[dict[str, str]]] = {}
        for failure in failures:
            if failure.action == "quarantine":
                reasons.setdefault(item_ids[ids[failure.index]], []).append(
                    {"check": failure.check, "reason": failure.reason}
                )
        held = quarantine_items(project_id=project.pk, reasons=reasons)
        summary = {
            "checks": list(outcome.checks_run),
            "counts": outcome.counts(),
            "failures": [f.to_dict(ids) for f in failures],
            "failures_total": len(failures),
            "quarantined": held,
            "warned": int(outcome.warned.size),
            "notes": [],
        }
        audit_record(
            project_id=project.pk,
            actor_id=user_id,
            action=AuditEvent.Action.IMPORT,
            target="predictions API",
            details={
                "origin": "predictions API",
                "model_version": model_version,
                "created": created,
                "quarantined": held,
                "warned": summary["warned"],
            },
        )
    return Intake(created=created, rejected={}, summary=summary)
