"""Reads for imports and exports: lists, the records an export writes, and the lineage in its manifest."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.utils.text import slugify

from annotation_qc.agreement.models import Consensus
from annotation_qc.agreement.selectors import latest_snapshot
from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.benchmarks.selectors import scorecards
from annotation_qc.core.exceptions import NotFound
from annotation_qc.domain.formats import (
    EXPORT_MEDIA_TYPES,
    ExportRecord,
    RawAnnotation,
    canonical_json,
    sha256_hex,
)
from annotation_qc.exchange.models import BucketSource, DataImport, ExportSnapshot, SourceSync
from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.labeling.selectors import item_image_url
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.projects.models import Project
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, role_in_project
from annotation_qc.review.models import Review

READ_BATCH = 5000


def imports_of(*, project: Project) -> QuerySet[DataImport]:
    return DataImport.objects.filter(project=project).select_related("job").order_by("-created_at", "-pk")


def exports_of(*, project: Project) -> QuerySet[ExportSnapshot]:
    return ExportSnapshot.objects.filter(project=project).select_related("job").order_by("-created_at", "-pk")


def export_for_member(*, export_id: int, user: Any) -> ExportSnapshot:
    """An export its project's managers and ML engineers may see; anyone else is told it does not exist."""
    export = ExportSnapshot.objects.select_related("project", "job").filter(pk=export_id).first()
    if export is None or role_in_project(user, export.project_id) not in (MANAGER, ML_ENGINEER):
        raise NotFound("No such export.")
    return export


def export_file_name(*, project_name: str, export_id: int, sha256: str, fmt: str) -> str:
    """The name an export downloads as (its stored key is opaque)."""
    extension = EXPORT_MEDIA_TYPES[fmt][1]
    return f"{slugify(project_name) or 'project'}-export-{export_id}-{sha256[:12]}.{extension}"


#: What of an export only managers see: gold answers (``include_gold`` content) and each annotator's
#: benchmark accuracy (the manifest's ``benchmarks``), as gold and scorecards are managers' alone.
MANAGER_ONLY_MANIFEST_KEYS = ("benchmarks",)


def export_readable_by(*, export: ExportSnapshot, user: Any) -> bool:
    """Whether the user may download the export's content (gold answers are for managers)."""
    return not export.options.get("include_gold") or role_in_project(user, export.project_id) == MANAGER


def manifest_for(*, export: ExportSnapshot, user: Any) -> dict[str, Any]:
    """The manifest as this user may read it: ML engineers do not get per-annotator benchmark accuracy."""
    if role_in_project(user, export.project_id) == MANAGER:
        return dict(export.manifest)
    return {k: v for k, v in export.manifest.items() if k not in MANAGER_ONLY_MANIFEST_KEYS}


def import_for_member(*, import_id: int, user: Any) -> DataImport:
    data_import = DataImport.objects.select_related("job").filter(pk=import_id).first()
    if data_import is None or role_in_project(user, data_import.project_id) not in (MANAGER, ML_ENGINEER):
        raise NotFound("No such import.")
    return data_import


def _file_name(image: str, image_url: str, metadata: dict[str, Any]) -> str:
    source = metadata.get("source") if isinstance(metadata, dict) else None
    if isinstance(source, dict) and isinstance(source.get("file_name"), str):
        return str(source["file_name"])
    return posixpath.basename((image or image_url).split("?", 1)[0])


ITEM_COLUMNS = (
    "pk",
    "external_id",
    "image",
    "image_url",
    "width",
    "height",
    "metadata",
    "is_gold",
    "required_annotations",
)


@dataclass
class ExportReader:
    """Every item of a project with its final label, in external-id order, as the export writes it,
    read ``READ_BATCH`` items at a time (a few queries per batch, whatever the project's size).

    Consensus where it exists; else the one regular annotation of an item labeled once; items
    with several regular annotations and no consensus are unresolved (written only with raw
    answers). Benchmark answers never count; gold items appear (with their gold answer) only
    with ``include_gold``. Each pass over :meth:`chunks` also counts what the manifest reports
    (the attributes below), from zero.
    """

    project: Project
    include_raw: bool
    include_gold: bool
    unresolved: list[str] = field(default_factory=list)
    #: Items with an annotation still in review (pending or in rework): no final label yet.
    pending_review: list[str] = field(default_factory=list)
    unlabeled: int = 0
    awaiting_overlap: int = 0
    annotator_counts: dict[int, int] = field(default_factory=dict)

    def chunks(self) -> Iterator[list[ExportRecord]]:
        self.unresolved, self.unlabeled, self.awaiting_overlap = [], 0, 0
        self.pending_review = []
        involved: dict[int, int] = defaultdict(int)
        last = None
        while True:
            items = Item.objects.filter(project=self.project).order_by("external_id")
            if last is not None:
                items = items.filter(external_id__gt=last)
            rows = list(items.values_list(*ITEM_COLUMNS)[:READ_BATCH])
            if not rows:
                break
            last = rows[-1][1]
            yield self._records(rows, involved)
        self.annotator_counts = dict(involved)

    def _records(self, rows: list[tuple[Any, ...]], involved: dict[int, int]) -> list[ExportRecord]:
        ids = [row[0] for row in rows]
        # Answers on gold items are benchmark answers: never exported.
        regular = [pk for pk, *_, is_gold, _required in rows if not is_gold]
        consensus = dict(Consensus.objects.filter(item_id__in=ids).values_list("item_id", "payload"))
        gold = (
            dict(GoldAnnotation.objects.filter(item_id__in=ids).values_list("item_id", "payload"))
            if self.include_gold
            else {}
        )
        open_reviews = Review.objects.filter(item_id__in=regular, status__in=Review.OPEN)
        in_review = set(open_reviews.values_list("item_id", flat=True))
        answers: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        for item_id, annotator_id, payload in (
            Annotation.objects.filter(item_id__in=regular, is_benchmark=False)
            .order_by("item_id", "annotator_id", "pk")
            .values_list("item_id", "annotator_id", "payload")
        ):
            answers[item_id].append((annotator_id, payload))
        records: list[ExportRecord] = []
        for pk, external_id, image, image_url, width, height, metadata, is_gold, required in rows:
            if is_gold:
                if pk not in gold:
                    continue
                status, payload = "gold", gold[pk]
            elif pk in in_review:
                status, payload = "pending_review", None
                self.pending_review.append(external_id)
            elif pk in consensus:
                status, payload = "consensus", consensus[pk]
            elif len(answers[pk]) == 1:
                status, payload = "single", answers[pk][0][1]
                self.awaiting_overlap += int(required > 1)
            elif answers[pk]:
                status, payload = "unresolved", None
                self.unresolved.append(external_id)
            else:
                self.unlabeled += 1
                continue
            raw = tuple(RawAnnotation(a, p) for a, p in answers[pk]) if self.include_raw else ()
            if payload is None and not raw:
                continue
            for annotator_id, _ in answers[pk]:
                involved[annotator_id] += 1
            records.append(
                ExportRecord(
                    external_id=external_id,
                    image_url=item_image_url(Item(pk=pk, image=image, image_url=image_url)),
                    file_name=_file_name(image, image_url, metadata),
                    width=width,
                    height=height,
                    status=status,  # type: ignore[arg-type]
                    payload=payload,
                    raw=raw,
                )
            )
        return records


def agreement_figures(*, project: Project) -> dict[str, Any] | None:
    snapshot = latest_snapshot(project)
    if snapshot is None:
        return None
    return {
        "snapshot_id": snapshot.pk,
        "computed_at": snapshot.computed_at.isoformat(),
        "alpha": snapshot.alpha,
        "low": snapshot.alpha_low,
        "high": snapshot.alpha_high,
        "n_items": snapshot.n_items,
    }


def benchmark_figures(*, project: Project) -> list[dict[str, Any]]:
    """Each annotator's seeded-error benchmark accuracy (95% Wilson interval) and status, now."""
    return [
        {
            "annotator_id": card["user_id"],
            "username": card["username"],
            "status": card["status"],
            **{key: card["benchmarks"][key] for key in ("n", "correct", "accuracy", "low", "high")},
        }
        for card in scorecards(project=project)
    ]


def gold_set_version(*, project: Project) -> dict[str, Any]:
    """Count, newest row and a content hash of the gold set: any change to it changes the hash."""
    gold = GoldAnnotation.objects.filter(project=project)
    summary = gold.aggregate(count=Count("pk"), max_id=Max("pk"), latest=Max("created_at"))
    rows = sorted(gold.values_list("item__external_id", "payload"), key=lambda row: row[0])
    return {
        "count": summary["count"],
        "max_id": summary["max_id"],
        "latest_created_at": summary["latest"].isoformat() if summary["latest"] else None,
        "sha256": sha256_hex(canonical_json([list(row) for row in rows])),
    }


def priority_lineage(*, project: Project) -> dict[str, Any] | None:
    """The active priority run: the model version that ordered the queue the labels came from."""
    run = PriorityRun.objects.filter(project=project, status=PriorityRun.Status.ACTIVE).first()
    if run is None:
        return None
    return {
        "run_id": run.pk,
        "model_version": run.model_version or None,
        "strategy": run.strategy,
        "used_strategy": run.used_strategy or run.strategy,
        "activated_at": run.activated_at.isoformat() if run.activated_at else None,
    }


def annotator_names(ids: list[int]) -> dict[int, str]:
    from annotation_qc.accounts.models import User

    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))


def _with_last_sync(sources: QuerySet[BucketSource]) -> QuerySet[BucketSource]:
    """``last_sync_job_id``: the job of each source's latest sync (None before the first)."""
    latest = SourceSync.objects.filter(source=OuterRef("pk")).order_by("-pk").values("job_id")[:1]
    return sources.annotate(last_sync_job_id=Subquery(latest))


def sources_of(*, project: Project) -> QuerySet[BucketSource]:
    return _with_last_sync(BucketSource.objects.filter(project=project)).order_by("-created_at", "-pk")


def source_for_manager(*, source_id: int, user: Any) -> BucketSource:
    """A bucket source its project's managers may see; anyone else is told it does not exist."""
    source = _with_last_sync(BucketSource.objects.select_related("project")).filter(pk=source_id).first()
    if source is None or role_in_project(user, source.project_id) != MANAGER:
        raise NotFound("No such bucket source.")
    return source
