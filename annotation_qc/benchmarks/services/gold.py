"""The gold set: imported in bulk, or promoted from a reviewed annotation."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.benchmarks.services.dispatch import gold_changed
from annotation_qc.core.exceptions import Conflict, NotFound, ServiceError
from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.models import Project


def _clean_gold(project: Project, payload: Any, *, width: int, height: int, path: str) -> dict[str, Any]:
    try:
        return validate_payload(
            payload,
            kind=project.payload_kind,
            labels=project.labels,
            width=width,
            height=height,
            max_boxes=project.max_boxes,
        )
    except PayloadError as exc:
        raise ServiceError(
            f"Invalid gold annotation at {path}: {exc}",
            errors={f"{path}.payload.{p}".rstrip("."): m for p, m in exc.errors.items()},
        ) from exc


@transaction.atomic
def gold_import(*, project: Project, rows: list[dict[str, Any]], user: Any) -> list[GoldAnnotation]:
    """Create gold items with their known-correct answers; all or nothing.

    Gold items are kept out of the regular queue and served only as benchmarks.
    """
    errors: dict[str, list[str]] = {}
    clean: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        try:
            clean.append(
                _clean_gold(
                    project, row["payload"], width=row["width"], height=row["height"], path=f"items[{index}]"
                )
            )
        except ServiceError as exc:
            errors.update(exc.errors)
    if errors:
        raise ServiceError(f"{len(errors)} gold field(s) rejected; nothing was imported.", errors=errors)
    items = items_import(project=project, rows=rows, is_gold=True)
    # How many annotators each will reach is drawn when it is first served (benchmarks.services.dispatch).
    gold_changed(project.pk)
    transaction.on_commit(lambda: gold_changed(project.pk))  # and once more, for readers during the commit
    return GoldAnnotation.objects.bulk_create(
        GoldAnnotation(project=project, item=item, payload=payload, created_by=user)
        for item, payload in zip(items, clean, strict=True)
    )


@transaction.atomic
def gold_promote(
    *,
    project: Project,
    annotation_id: int,
    payload: Any | None,
    user: Any,
    source: str = GoldAnnotation.Source.PROMOTED,
) -> GoldAnnotation:
    """Make a reviewed annotation (optionally corrected) the gold answer for its item.

    The item leaves the regular queue; annotators who already labeled it are never served it
    as a benchmark (an annotator never gets an item twice).
    """
    annotation = Annotation.objects.select_related("item").filter(pk=annotation_id, project=project).first()
    if annotation is None:
        raise NotFound("No such annotation in this project.")
    item = annotation.item
    if GoldAnnotation.objects.filter(item=item).exists():
        raise Conflict("This item already has a gold annotation.")
    answer = _clean_gold(
        project,
        annotation.payload if payload is None else payload,
        width=item.width,
        height=item.height,
        path="annotation",
    )
    Item.objects.filter(pk=item.pk).update(is_gold=True, open_slots=0)
    # Its annotators so far count as its exposure: it is served on only where work items reach more
    # annotators than that (see domain.gold_exposure).
    seen = Task.objects.filter(item=item).values("annotator_id").distinct().count()
    gold_changed(project.pk)
    transaction.on_commit(lambda: gold_changed(project.pk))  # and once more, for readers during the commit
    return GoldAnnotation.objects.create(
        project=project,
        item=item,
        payload=answer,
        source=source,
        promoted_from=annotation,
        created_by=user,
        exposure=seen,
    )
