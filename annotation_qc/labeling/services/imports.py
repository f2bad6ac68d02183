"""Bulk import of items and predictions (all or nothing).

On PostgreSQL the rows are written with ``COPY`` (psycopg 3 ``cursor.copy``) inside the caller's
transaction, the item ids drawn from the table's sequence beforehand so no read-back is needed,
and predictions upserted from a ``COPY``-loaded temporary table in one statement; on SQLite as
batched inserts. Either way a rejected row writes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from annotation_qc.core.exceptions import ServiceError
from annotation_qc.core.tokens import public_tokens
from annotation_qc.domain.dispatch import required_annotations
from annotation_qc.domain.payloads import PayloadError, validate_box_payloads, validate_payload
from annotation_qc.labeling.models import Item, Prediction
from annotation_qc.labeling.services.model_versions import model_version_uploaded
from annotation_qc.labeling.services.previews import needs_preview, previews_enqueue
from annotation_qc.projects.models import Project

BULK_BATCH = 2000


def features_to_bytes(features: Sequence[float]) -> bytes:
    return np.asarray(features, dtype="<f4").tobytes()


def features_from_bytes(raw: bytes | memoryview) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.frombuffer(bytes(raw), dtype="<f4")


@transaction.atomic
def items_import(*, project: Project, rows: list[dict[str, Any]], is_gold: bool = False) -> list[Item]:
    """Create items; rows are already type-checked by the API. Raises ServiceError naming the bad row.

    Returns the created items (id, external id and the written fields); :func:`items_write` is the
    same without building them, for bulk imports.
    """
    ids, values = _items_checked_write(project=project, rows=rows, is_gold=is_gold)
    items = []
    for pk, row in zip(ids, values, strict=True):
        item = Item(**{name: row[index] for index, name in enumerate(_ITEM_FIELDS)})
        item.pk = pk
        item.project = project
        items.append(item)
    return items


@transaction.atomic
def items_write(*, project: Project, rows: list[dict[str, Any]], is_gold: bool = False) -> int:
    """:func:`items_import` for bulk imports: checks and writes, returns the count."""
    return len(_items_checked_write(project=project, rows=rows, is_gold=is_gold)[0])


@transaction.atomic
def items_insert(*, project: Project, rows: list[dict[str, Any]], is_gold: bool = False) -> list[int]:
    """:func:`items_import` returning only the new ids (in row order), for bulk imports that link
    other rows to the items."""
    return _items_checked_write(project=project, rows=rows, is_gold=is_gold)[0]


#: The item columns an import writes (``project_id`` and ``created_at`` added by the writer).
_ITEM_FIELDS = (
    "external_id",
    "image_url",
    "image",
    "width",
    "height",
    "metadata",
    "features",
    "priority",
    "priority_b",
    "required_annotations",
    "open_slots",
    "is_gold",
    "public_id",
    "image_token",
)


def _items_checked_write(
    *, project: Project, rows: list[dict[str, Any]], is_gold: bool
) -> tuple[list[int], list[tuple[Any, ...]]]:
    _check_items(project=project, rows=rows)
    feature_dims = {len(row["features"]) for row in rows if row.get("features") is not None}
    if feature_dims and project.feature_dim is None:
        project.feature_dim = feature_dims.pop()
        project.save(update_fields=["feature_dim"])
    external_ids = [row["external_id"] for row in rows]
    if is_gold:
        required = np.zeros(len(rows), dtype=np.int64)
    else:
        required = required_annotations(
            project.pk, external_ids, overlap=project.overlap, overlap_fraction=project.overlap_fraction
        )
    values = []
    tokens = public_tokens(2 * len(rows))
    for index, (row, req) in enumerate(zip(rows, required.tolist(), strict=True)):
        priority = float(row.get("priority") or 0.0)
        features = row.get("features")
        values.append(
            (
                row["external_id"],
                row.get("image_url") or "",
                str(row.get("image") or ""),
                row["width"],
                row["height"],
                row.get("metadata") or {},
                features_to_bytes(features) if features is not None else None,
                priority,
                priority,
                int(req),
                int(req),
                is_gold,
                tokens[2 * index],  # what annotators know the item by: random, no order or count
                tokens[2 * index + 1],  # its image URL's token
            )
        )
    ids = _write_items(project, values)
    # Very large images, stored here or given by URL, get a downscaled preview, made in workers.
    previews_enqueue(
        item_ids=[
            pk
            for pk, value in zip(ids, values, strict=True)
            if (value[1] or value[2]) and needs_preview(width=value[3], height=value[4])
        ]
    )
    return ids, values


def _check_items(*, project: Project, rows: list[dict[str, Any]]) -> None:
    external_ids = [row["external_id"] for row in rows]
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for index, eid in enumerate(external_ids):
        if eid in seen:
            errors[f"items[{index}].external_id"] = [f"duplicates items[{seen[eid]}]"]
        seen[eid] = index
    existing = set(
        Item.objects.filter(project=project, external_id__any=external_ids).values_list(
            "external_id", flat=True
        )
    )
    for index, eid in enumerate(external_ids):
        if eid in existing:
            errors[f"items[{index}].external_id"] = [f"'{eid}' already exists in this project"]

    feature_dims = {len(row["features"]) for row in rows if row.get("features") is not None}
    expected_dim = project.feature_dim
    if len(feature_dims) > 1 or (expected_dim is not None and feature_dims - {expected_dim}):
        want = expected_dim if expected_dim is not None else min(feature_dims)
        for index, row in enumerate(rows):
            if row.get("features") is not None and len(row["features"]) != want:
                errors[f"items[{index}].features"] = [f"expected {want} values, got {len(row['features'])}"]
    for index, row in enumerate(rows):
        feats = row.get("features")
        if feats is not None and not all(math.isfinite(v) for v in feats):
            errors[f"items[{index}].features"] = ["values must be finite numbers (no NaN or infinity)"]
        if not row.get("image_url") and not row.get("image"):
            errors[f"items[{index}].image_url"] = ["an image URL or an uploaded image is required"]
    if errors:
        raise ServiceError(f"{len(errors)} item(s) rejected; nothing was imported.", errors=errors)


def _write_items(project: Project, values: list[tuple[Any, ...]]) -> list[int]:
    """Write the rows (in :data:`_ITEM_FIELDS` order); their new ids in the same order."""
    if not values:
        return []
    now = timezone.now()
    if connection.vendor != "postgresql":
        items = Item.objects.bulk_create(
            [
                Item(project=project, created_at=now, **dict(zip(_ITEM_FIELDS, row, strict=True)))
                for row in values
            ],
            batch_size=BULK_BATCH,
        )
        return [item.pk for item in items]
    table = Item._meta.db_table
    columns = ", ".join(["id", "project_id", "created_at", *_ITEM_FIELDS])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(values)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, values, strict=True):
                copy.write_row((pk, project.pk, now, *row[:5], json.dumps(row[5]), *row[6:]))
    return ids


def _check_probabilities(proba: list[float], n_labels: int, *, values: bool = True) -> str | None:
    if len(proba) != n_labels:
        return f"expected {n_labels} probabilities (one per label, in label order), got {len(proba)}"
    array = np.asarray(proba, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        return "probabilities must be finite numbers in [0, 1]"
    if not values:
        return None
    if np.any(array < 0) or np.any(array > 1):
        return "probabilities must be finite numbers in [0, 1]"
    if abs(float(array.sum()) - 1.0) > 1e-3:
        return f"probabilities must sum to 1 (they sum to {array.sum():.4f})"
    return None


@transaction.atomic
def predictions_import(
    *,
    project: Project,
    model_version: str,
    rows: list[dict[str, Any]],
    owner_id: int | None = None,
    value_checks: bool = True,
    payloads_checked: bool = False,
    known_items: Mapping[str, tuple[int, int, int]] | None = None,
) -> int:
    """Create or replace one model version's predictions for the given items; registers the version
    (owned by ``owner_id``) if it is new and stamps its upload time.

    The shape of scores (one per box) and probabilities (one per label) is always checked. Their values
    (finite, in [0, 1], probabilities summing to 1) are checked here unless ``value_checks`` is False:
    the predictions API leaves them to the project's data-health ``predictions`` check
    (``datahealth.services.intake.predictions_import_checked``), whose action may be to quarantine or warn.
    Values that are not finite numbers are refused either way (they cannot be stored).

    ``payloads_checked``: the caller validated every payload against the size its item has (the import
    job does, parsing the file against the sizes it states, which must equal the items'), so the clean
    payloads are stored as given instead of being validated a second time.

    ``known_items``: the caller's own look-up of this project's items by external id, as (id, width,
    height), which must hold every item the rows name (the import job has just written or read them);
    without it they are read here."""
    items: Mapping[str, tuple[int, int, int]]
    if known_items is not None:
        items = known_items
    else:
        items = {
            eid: (pk, width, height)
            for eid, pk, width, height in Item.objects.filter(
                project=project, external_id__any=[r["external_id"] for r in rows]
            ).values_list("external_id", "pk", "width", "height")
        }
    errors: dict[str, list[str]] = {}
    known: list[int] = []  # positions of rows naming an item of this project, once each
    seen: set[str] = set()
    for index, row in enumerate(rows):
        eid = row["external_id"]
        if eid not in items:
            errors[f"predictions[{index}].external_id"] = [f"no item '{eid}' in this project"]
        elif eid in seen:
            errors[f"predictions[{index}].external_id"] = ["appears twice in this request"]
        else:
            seen.add(eid)
            known.append(index)
    if payloads_checked:
        payloads: list[Any] = [rows[i]["payload"] for i in known]
        payload_errors: dict[int, dict[str, list[str]]] = {}
    else:
        payloads, payload_errors = _payloads_validated(
            project, [rows[i] for i in known], [items[rows[i]["external_id"]] for i in known]
        )
    predictions: list[tuple[int, Any, Any, Any]] = []  # (item id, payload, scores, proba)
    for position, index in enumerate(known):
        row = rows[index]
        if position in payload_errors:
            errors.update(
                {
                    f"predictions[{index}].payload.{p}".rstrip("."): m
                    for p, m in payload_errors[position].items()
                }
            )
            continue
        payload = payloads[position]
        scores, proba = row.get("scores"), row.get("proba")
        if scores is not None:
            if project.kind != Project.Kind.BBOX or len(scores) != len(payload["boxes"]):
                errors[f"predictions[{index}].scores"] = ["one score per box, for bbox projects"]
            elif not all(math.isfinite(s) and (0.0 <= s <= 1.0 or not value_checks) for s in scores):
                errors[f"predictions[{index}].scores"] = ["scores must be finite numbers in [0, 1]"]
        if proba is not None and (
            problem := _check_probabilities(proba, len(project.labels), values=value_checks)
        ):
            errors[f"predictions[{index}].proba"] = [problem]
        predictions.append((items[row["external_id"]][0], payload, scores, proba))
    if errors:
        raise ServiceError(f"{len(errors)} prediction(s) rejected; nothing was imported.", errors=errors)
    model_version_uploaded(project=project, name=model_version, owner_id=owner_id)
    _write_predictions(model_version, predictions)
    return len(predictions)


def _payloads_validated(
    project: Project, rows: list[dict[str, Any]], items: list[tuple[int, int, int]]
) -> tuple[list[Any], dict[int, dict[str, list[str]]]]:
    """The rows' payloads checked against their items' sizes: bbox payloads all at once."""
    if project.payload_kind == "bbox":
        return validate_box_payloads(
            [row["payload"] for row in rows],
            labels=project.labels,
            widths=[width for _, width, _ in items],
            heights=[height for _, _, height in items],
            max_boxes=project.max_boxes,
        )
    payloads: list[Any] = [None] * len(rows)
    errors: dict[int, dict[str, list[str]]] = {}
    for position, (row, (_, width, height)) in enumerate(zip(rows, items, strict=True)):
        try:
            payloads[position] = validate_payload(
                row["payload"],
                kind=project.payload_kind,
                labels=project.labels,
                width=width,
                height=height,
                max_boxes=project.max_boxes,
            )
        except PayloadError as exc:
            errors[position] = exc.errors
    return payloads, errors


def _write_predictions(model_version: str, predictions: list[tuple[int, Any, Any, Any]]) -> None:
    """Create or replace (by item and version) the (item id, payload, scores, proba) rows: on PostgreSQL
    COPY into a temporary table, then one upsert from it."""
    if not predictions:
        return
    if connection.vendor != "postgresql":
        Prediction.objects.bulk_create(
            [
                Prediction(
                    item_id=item_id, model_version=model_version, payload=payload, scores=scores, proba=proba
                )
                for item_id, payload, scores, proba in predictions
            ],
            batch_size=BULK_BATCH,
            update_conflicts=True,
            unique_fields=["item", "model_version"],
            update_fields=["payload", "scores", "proba"],
        )
        return
    table = Prediction._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS aqc_prediction_load (item_id bigint, model_version "
            "varchar(100), payload jsonb, scores jsonb, proba jsonb) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE aqc_prediction_load")
        with cursor.copy("COPY aqc_prediction_load FROM STDIN") as copy:
            dumps = json.dumps
            for item_id, payload, scores, proba in predictions:
                copy.write_row(
                    (
                        item_id,
                        model_version,
                        dumps(payload),
                        None if scores is None else dumps(scores),
                        None if proba is None else dumps(proba),
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} (item_id, model_version, payload, scores, proba, created_at) "
            "SELECT item_id, model_version, payload, scores, proba, %s FROM aqc_prediction_load "
            "ON CONFLICT (item_id, model_version) DO UPDATE SET payload = EXCLUDED.payload, "
            "scores = EXCLUDED.scores, proba = EXCLUDED.proba",
            [now],
        )
