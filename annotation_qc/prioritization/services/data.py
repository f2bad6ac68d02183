"""Reading what prioritisation needs: features, training labels and predictions, in chunks."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count
from numpy.typing import NDArray

from annotation_qc.labeling.models import Annotation, Item, ModelVersion, Prediction
from annotation_qc.projects.models import Project


def _features_matrix(
    rows: list[tuple[int, bytes | memoryview | None]], dim: int
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Ids and the float32 feature matrix of rows read with ``features__isnull=False``."""
    ids = np.fromiter((pk for pk, _ in rows), dtype=np.int64, count=len(rows))
    blob = b"".join(bytes(raw) for _, raw in rows if raw is not None)
    return ids, np.frombuffer(blob, dtype="<f4").reshape(len(rows), dim)


def unlabeled_features(
    *, project: Project, lo: int, hi: int, only: NDArray[np.int64] | None = None
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Features of the queue's open items with ids in [lo, hi) (and in ``only`` if given), by id."""
    items = Item.objects.filter(
        project=project, pk__gte=lo, pk__lt=hi, open_slots__gt=0, features__isnull=False
    )
    if only is not None:
        items = items.filter(pk__in=only.tolist())
    rows = list(items.order_by("pk").values_list("pk", "features"))
    return _features_matrix(rows, project.feature_dim or 0)


def training_set(*, project: Project) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Features and label codes of labeled items.

    The label is the item's consensus where it has one (double-labeled items), else its single
    regular annotation; items with several annotations and no consensus yet wait for it.
    Benchmark answers never count.
    """
    from annotation_qc.agreement.models import Consensus

    codes = {label: code for code, label in enumerate(project.labels)}
    chosen = {
        item_id: codes[payload["label"]]
        for item_id, payload in Consensus.objects.filter(project=project).values_list("item_id", "payload")
    }
    singles = (
        Annotation.objects.filter(project=project, is_benchmark=False)
        .values("item_id")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .values("item_id")
    )
    for item_id, payload in Annotation.objects.filter(
        project=project, is_benchmark=False, item_id__in=singles
    ).values_list("item_id", "payload"):
        chosen.setdefault(item_id, codes[payload["label"]])
    if not chosen:
        return np.zeros((0, project.feature_dim or 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
    rows = list(
        Item.objects.filter(pk__in=list(chosen), features__isnull=False)
        .order_by("pk")
        .values_list("pk", "features")
    )
    ids, features = _features_matrix(rows, project.feature_dim or 0)
    return features, np.array([chosen[i] for i in ids.tolist()], dtype=np.int64)


def item_id_ranges(*, project: Project, chunk: int | None = None) -> list[tuple[int, int]]:
    """Id ranges of about ``chunk`` open items each (default: the ``PRIORITY_CHUNK_ITEMS`` setting),
    for the chunk workers; computed in the database."""
    chunk = chunk or settings.ANNOTATION_QC["PRIORITY_CHUNK_ITEMS"]
    table = Item._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS position
                FROM {table} WHERE project_id = %s AND open_slots > 0
            ) AS numbered WHERE position %% %s = 0 ORDER BY id
            """,
            [project.pk, chunk],
        )
        starts = [row[0] for row in cursor.fetchall()]
        if not starts:
            return []
        cursor.execute(f"SELECT MAX(id) FROM {table} WHERE project_id = %s AND open_slots > 0", [project.pk])
        last = cursor.fetchone()[0]
    ends = [*starts[1:], last + 1]
    return list(zip(starts, ends, strict=True))


#: What each prediction field holds, for the reasons a run records.
FIELD_NAMES = {"proba": "class probabilities", "scores": "box scores", "payload": "predictions"}


def _has_predictions(project: Project, name: str, field: str) -> bool:
    return Prediction.objects.filter(
        item__project=project, model_version=name, **{f"{field}__isnull": False}
    ).exists()


def single_version(*, project: Project, field: str) -> tuple[str | None, str]:
    """The version single-model strategies use: the one marked current, else the newest by upload
    time that uploaded ``field``. Returns (name, "") or (None, the reason there is none)."""
    what = FIELD_NAMES[field]
    current = ModelVersion.objects.filter(project=project, is_current=True).first()
    if current is not None:
        if _has_predictions(project, current.name, field):
            return current.name, ""
        return None, (
            f"model version '{current.name}' is marked current but has no {what} uploaded: "
            "the queue stays in import order"
        )
    uploaded = ModelVersion.objects.filter(project=project, uploaded_at__isnull=False).order_by(
        "-uploaded_at", "-pk"
    )
    for name in uploaded.values_list("name", flat=True):
        if _has_predictions(project, name, field):
            return name, ""
    return None, ""


def committee_versions(*, project: Project, field: str, strategy: str) -> tuple[list[str], str]:
    """The versions marked as committee members that uploaded ``field`` (oldest upload first), and
    a reason when fewer than 2 qualify (the run then keeps import order) or some were left out."""
    what = FIELD_NAMES[field]
    members = list(
        ModelVersion.objects.filter(project=project, in_committee=True)
        .order_by("uploaded_at", "pk")
        .values_list("name", flat=True)
    )
    usable = [name for name in members if _has_predictions(project, name, field)]
    missing = [name for name in members if name not in usable]
    without = f" ({', '.join(missing)} without {what})" if missing else ""
    if len(usable) < 2:
        return [], (
            f"{strategy} needs at least 2 model versions marked as committee members with {what}; "
            f"{len(members)} marked{without}, {len(usable)} usable: the queue stays in import order"
        )
    note = f"committee members without {what} left out: {', '.join(missing)}" if missing else ""
    return usable, note


def predictions_in_range(
    *, project: Project, lo: int, hi: int, versions: list[str], field: str
) -> tuple[NDArray[np.int64], dict[str, dict[int, Any]]]:
    """For open items in [lo, hi): their ids and, per model version, item id -> (payload, field)."""
    ids = np.fromiter(
        Item.objects.filter(project=project, pk__gte=lo, pk__lt=hi, open_slots__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True),
        dtype=np.int64,
    )
    per_version: dict[str, dict[int, Any]] = {v: {} for v in versions}
    rows = Prediction.objects.filter(
        item__project=project, item_id__gte=lo, item_id__lt=hi, model_version__in=versions
    ).values_list("model_version", "item_id", "payload", field)
    for version, item_id, payload, values in rows:
        per_version[version][item_id] = (payload, values)
    return ids, per_version
