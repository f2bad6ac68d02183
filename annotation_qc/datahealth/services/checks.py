"""The data-health checks of an import, before its write, and what they leave behind after it.

The exchange import job measures each image it decodes (:class:`measure.Measurer`), then calls
:func:`batch_check` before writing: failures whose action is ``reject`` become rejected rows (the import
writes nothing, as for a malformed row). Inside the import's transaction :func:`batch_record` stores the
measurements (``ItemHealth``), quarantines the failing items (``open_slots`` 0 and a ``Quarantine`` row
holding the slots to give back) and writes the batch's report; a rejected import records its report with
:func:`batch_record_rejected`. Drift and outlier scoring follow in a job once the import commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice, repeat
from typing import Any

import numpy as np
from django.db import models, transaction
from django.utils import timezone
from numpy.typing import NDArray

from annotation_qc.datahealth.models import BatchReport, ItemHealth, Quarantine
from annotation_qc.datahealth.services.config import project_config
from annotation_qc.datahealth.services.measure import MEASURE_VERSION, Measured
from annotation_qc.domain.data_health.expectations import Batch, HealthOutcome, Known, evaluate
from annotation_qc.domain.formats import Rejection, SourceItem
from annotation_qc.labeling.models import Item
from annotation_qc.projects.models import Project

HELD = Quarantine.Status.HELD.value
#: Failures listed in a report (all are counted).
REPORT_MAX_FAILURES = 1000
CHUNK = 5000


@dataclass
class BatchHealth:
    config: dict[str, Any]
    items: list[SourceItem]
    measured: Measured
    outcome: HealthOutcome
    #: Each item's row in ``measured`` (-1: not measured), in the order of ``items``.
    rows: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    is_gold: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [i.external_id for i in self.items]

    def rejections(self) -> list[Rejection]:
        return [
            Rejection(self.items[f.index].row, f.message)
            for f in self.outcome.failures
            if f.action == "reject"
        ]

    def failures(self) -> list[dict[str, Any]]:
        ids = self.ids
        return [f.to_dict(ids) for f in self.outcome.failures]

    def summary(self, *, rejected: bool) -> dict[str, Any]:
        quarantined = 0 if rejected or self.is_gold else int(self.outcome.quarantined.size)
        failures = self.failures()
        return {
            "checks": list(self.outcome.checks_run),
            "counts": self.outcome.counts(),
            "failures": failures[:REPORT_MAX_FAILURES],
            "failures_total": len(failures),
            "quarantined": quarantined,
            "warned": int(self.outcome.warned.size),
            "notes": self.notes,
        }


def _known(project_id: int) -> Known:
    rows = list(
        ItemHealth.objects.filter(project_id=project_id)
        .exclude(dhash__isnull=True)
        .values_list("item__external_id", "dhash", "phash", "digest")
    )
    if not rows:
        return Known()
    ids, dhashes, phashes, digests = (list(c) for c in zip(*rows, strict=True))
    return Known(ids=ids, dhashes=dhashes, phashes=[p or 0 for p in phashes], digests=digests)


def batch_check(
    *,
    project: Project,
    items: Sequence[SourceItem],
    measured: Measured | None,
    sizes: Mapping[str, tuple[int, int]],
    is_gold: bool = False,
    features: Sequence[Sequence[float] | None] = (),
) -> BatchHealth:
    """Run the project's checks on the new items of an import (nothing is written).

    ``measured`` holds the images' measurements (None: none were measured); ``features`` (in item order)
    are checked for finiteness and the project's dimension."""
    config = project_config(project.pk)
    batch_items = list(items)
    measured = measured if measured is not None else Measured.none()
    rows = measured.rows_of([i.external_id for i in batch_items])
    found = rows >= 0
    dhashes, phashes = measured.hashes(rows)
    digests, undecodable = measured.digests, measured.undecodable
    batch = Batch(
        ids=[i.external_id for i in batch_items],
        stats=measured.image_columns(rows),
        sizes=[sizes.get(i.external_id) for i in batch_items],
        dhashes=dhashes,
        phashes=phashes,
        digests=[digests[r] if r >= 0 else None for r in rows.tolist()],
        metadata=[i.metadata for i in batch_items],
        scores=[list(i.scores) if i.scores is not None else None for i in batch_items],
        n_labels=len(project.labels),
        features=list(features),
        feature_dim=project.feature_dim,
        undecodable=[undecodable[r] if r >= 0 else None for r in rows.tolist()],
    )
    # The project's hashes are read only when this batch has some to compare with them.
    known = _known(project.pk) if found.any() else Known()
    outcome = evaluate(batch, config, known)
    health = BatchHealth(
        config=config, items=batch_items, measured=measured, outcome=outcome, is_gold=is_gold, rows=rows
    )
    unmeasured = int((~found).sum())
    if unmeasured:
        health.notes.append(
            f"{unmeasured} image(s) left at their URL were not measured: image checks skipped"
        )
    if is_gold and outcome.quarantined.size:
        health.notes.append("gold items are never queued: quarantine failures are only listed")
    return health


def _item_ids(project_id: int, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), CHUNK):
        chunk = external_ids[start : start + CHUNK]
        found.update(
            Item.objects.filter(project_id=project_id, external_id__any=chunk).values_list(
                "external_id", "pk"
            )
        )
    return found


def _report(data_import_id: int, project_id: int, health: BatchHealth, *, rejected: bool) -> dict[str, Any]:
    summary = health.summary(rejected=rejected)
    BatchReport.objects.update_or_create(
        data_import_id=data_import_id,
        defaults={
            "project_id": project_id,
            "items": len(health.items),
            "counts": summary["counts"],
            "failures": summary["failures"],
            "failures_total": summary["failures_total"],
            "quarantined": summary["quarantined"],
            "warned": summary["warned"],
            "rejected": rejected,
        },
    )
    return summary


def batch_record(
    *,
    data_import_id: int,
    project_id: int,
    health: BatchHealth,
    item_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Inside the import's transaction: measurements, quarantines and the report; returns the summary.

    ``item_ids`` are the new items' ids in the order of ``health.items`` when the caller has them from its
    write (else they are read back by external id)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batch_record runs inside the import's transaction")
    if item_ids is not None and len(item_ids) == len(health.items):
        ids = np.asarray(item_ids, dtype=np.int64).reshape(-1)
    else:
        found = _item_ids(project_id, health.ids)
        ids = np.array([found.get(eid, -1) for eid in health.ids], dtype=np.int64)
    measured = health.measured
    rows = health.rows if health.rows.shape == ids.shape else measured.rows_of(health.ids)
    keep = np.flatnonzero((rows >= 0) & (ids >= 0))
    kept_rows = rows[keep]
    dhashes, phashes = measured.hashes(kept_rows)
    digests = measured.digests
    _insert_item_health(
        zip(
            ids[keep].tolist(),
            repeat(project_id),
            repeat(data_import_id),
            measured.stats_json(kept_rows.tolist()),
            dhashes,
            phashes,
            [digests[r] for r in kept_rows.tolist()],
            repeat(MEASURE_VERSION),
            repeat(False),
            repeat(0.0),
            repeat(0.0),
        )
    )
    if not health.is_gold:
        reasons: dict[int, list[dict[str, str]]] = {}
        for failure in health.outcome.failures:
            if failure.action == "quarantine":
                reasons.setdefault(int(ids[failure.index]), []).append(
                    {"check": failure.check, "reason": failure.reason}
                )
        quarantine_items(project_id=project_id, reasons=reasons, data_import_id=data_import_id)
    return _report(data_import_id, project_id, health, rejected=False)


def _insert_item_health(rows: Iterable[tuple[Any, ...]]) -> None:
    """One multi-row statement per chunk, without building a model instance per row (imports of 100k).

    A row: item, project, import, statistics (JSON text), dHash, pHash, digest, measurement version,
    is_outlier, priority_boost, placement_shift."""
    _insert(
        ItemHealth,
        (
            "item_id",
            "project_id",
            "data_import_id",
            "stats",
            "dhash",
            "phash",
            "digest",
            "measure_version",
            "is_outlier",
            "priority_boost",
            "placement_shift",
        ),
        rows,
    )


def _insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``executemany`` of an INSERT, a chunk at a time; JSON fields take JSON text."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(model._meta.db_table)
    columns, values = [], []
    for name in fields:
        model_field = model._meta.get_field(name)
        columns.append(connection.ops.quote_name(model_field.column))  # type: ignore[union-attr]
        is_json = isinstance(model_field, models.JSONField)
        values.append("%s::jsonb" if is_json and connection.vendor == "postgresql" else "%s")
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)})"
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(iterator, CHUNK)):
            cursor.executemany(sql, chunk)


def quarantine_items(
    *, project_id: int, reasons: Mapping[int, list[dict[str, str]]], data_import_id: int | None = None
) -> int:
    """Hold items out of the queue: their open slots are kept on the quarantine row and set to 0.

    Items already held keep their quarantine (the new reasons are not added). Returns items newly held.
    The rows are written without a model instance each (an import may hold thousands).
    """
    item_ids = sorted(reasons)
    created = 0
    connection = transaction.get_connection()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    dumps = json.dumps
    for start in range(0, len(item_ids), CHUNK):
        chunk = item_ids[start : start + CHUNK]
        held = set(
            Quarantine.objects.filter(item_id__in=chunk, status=Quarantine.Status.HELD).values_list(
                "item_id", flat=True
            )
        )
        slots = dict(
            Item.objects.select_for_update()
            .filter(pk__in=[i for i in chunk if i not in held], is_gold=False)
            .values_list("pk", "open_slots")
        )
        _insert(
            Quarantine,
            ("item_id", "project_id", "data_import_id", "reasons", "held_slots", "status", "created_at"),
            [
                (item_id, project_id, data_import_id, dumps(reasons[item_id]), open_slots, HELD, now)
                for item_id, open_slots in slots.items()
            ],
        )
        Item.objects.filter(pk__in=list(slots)).update(open_slots=0)
        created += len(slots)
    return created


def batch_analyse_enqueue(*, data_import_id: int) -> None:
    from annotation_qc.datahealth.services.analysis import batch_analyse_enqueue as enqueue

    enqueue(data_import_id=data_import_id)


def batch_record_rejected(*, data_import_id: int, project_id: int, health: BatchHealth) -> dict[str, Any]:
    """The report of an import the checks (or other problems) rejected: nothing else is written."""
    return _report(data_import_id, project_id, health, rejected=True)
