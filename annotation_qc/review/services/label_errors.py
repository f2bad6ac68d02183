"""Label-error detection over a project's accepted items: read, call the domain, store suspects.

An item's accepted label is its consensus where it has one, else its single regular annotation
(gold items and benchmark answers never count). Classification uses out-of-fold probabilities:
the uploaded ``proba`` of a model version (a model that did not train on these labels): the one
named for the run, else the registered version marked current, else the mean of the registered
committee members; without any, 5-fold cross-validation of the prioritisation committee on the
items' features. Items with several annotators are also scored with the annotators and the model
together. Boxes are scored against a model version's predicted boxes and their per-box scores:
the named version, else the registered current one, else the newest registered upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from annotation_qc.core import jobs
from annotation_qc.core.models import Job
from annotation_qc.domain.label_errors import (
    BoxScoringConfig,
    LabelErrorInputError,
    crowd_consensus,
    describe,
    describe_box,
    find_label_issues,
    out_of_fold_proba,
    score_image,
)
from annotation_qc.labeling.models import Annotation, Item, ModelVersion, Prediction
from annotation_qc.projects.models import Project
from annotation_qc.review.models import LabelErrorRun, LabelErrorSuspect

#: Findings per box suspect kept in its details.
MAX_DETAILS = 20


@dataclass(frozen=True)
class Accepted:
    item_id: int
    payload: dict[str, Any]
    annotation_id: int | None


def accepted_items(project: Project) -> list[Accepted]:
    """Every accepted item of the project (consensus, else the single regular annotation), by id."""
    from annotation_qc.agreement.models import Consensus

    chosen: dict[int, Accepted] = {
        item_id: Accepted(item_id, payload, None)
        for item_id, payload in Consensus.objects.filter(project=project, item__is_gold=False).values_list(
            "item_id", "payload"
        )
    }
    singles = (
        Annotation.objects.filter(project=project, is_benchmark=False, item__is_gold=False)
        .values("item_id")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .values("item_id")
    )
    for pk, item_id, payload in Annotation.objects.filter(
        project=project, is_benchmark=False, item_id__in=singles
    ).values_list("pk", "item_id", "payload"):
        chosen.setdefault(item_id, Accepted(item_id, payload, pk))
    return [chosen[item_id] for item_id in sorted(chosen)]


def label_errors_start(*, project: Project, user_id: int | None, model_version: str = "") -> LabelErrorRun:
    """Create the run and its job; the detection runs on a worker once the transaction commits."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.review.tasks import label_errors_detect

    with transaction.atomic():
        job = jobs.job_create(
            kind="label_errors",
            project_id=project.pk,
            created_by_id=user_id,
            params={"model_version": model_version},
        )
        run = LabelErrorRun.objects.create(
            project=project,
            job=job,
            source="model" if model_version else "committee",
            model_version=model_version,
        )

        def unavailable() -> None:
            label_errors_fail(run_id=run.pk, message=BROKER_DOWN)

        enqueue_on_commit(
            label_errors_detect, run.pk, on_unavailable=unavailable, options=jobs.task_options("label_errors")
        )
    return run


def label_errors_retry(job: Job) -> None:
    """The watchdog's retry of a detection whose worker died (its suspects and its end commit together,
    so the dead attempt left none)."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.review.tasks import label_errors_detect as detect_task

    run_id = LabelErrorRun.objects.values_list("pk", flat=True).get(job_id=job.pk)
    enqueue_on_commit(
        detect_task,
        run_id,
        on_unavailable=lambda: label_errors_fail(run_id=run_id, message=BROKER_DOWN),
        options=jobs.task_options("label_errors"),
    )


def label_errors_give_up(job: Job, message: str) -> None:
    run_id = LabelErrorRun.objects.values_list("pk", flat=True).get(job_id=job.pk)
    label_errors_fail(run_id=run_id, message=message)


def label_errors_fail(*, run_id: int, message: str) -> None:
    run = LabelErrorRun.objects.get(pk=run_id)
    LabelErrorRun.objects.filter(pk=run_id).update(
        status=LabelErrorRun.Status.FAILED, message=message, finished_at=timezone.now()
    )
    if run.job_id:
        jobs.job_fail(job_id=run.job_id, message=message)


def label_errors_detect(*, run_id: int) -> LabelErrorRun:
    """Score every accepted item; a run that cannot be scored fails with the reason, never crashes.

    Safe to run twice: a finished or failed run is left alone, and one another live worker runs
    (its job claimed, see ``core.jobs``) is left to it.
    """
    run = LabelErrorRun.objects.select_related("project").get(pk=run_id)
    if run.status in (LabelErrorRun.Status.SUCCEEDED, LabelErrorRun.Status.FAILED):
        return run
    if not run.job_id:
        return _detect(run)
    with jobs.job_running(job_id=run.job_id) as mine:
        return _detect(run) if mine else run


def _detect(run: LabelErrorRun) -> LabelErrorRun:
    run_id = run.pk
    project = run.project
    accepted = accepted_items(project)
    LabelErrorRun.objects.filter(pk=run_id).update(status=LabelErrorRun.Status.RUNNING)
    if run.job_id:
        jobs.job_start(job_id=run.job_id, total=len(accepted))
    try:
        if project.kind == Project.Kind.CLASSIFICATION:
            suspects, n_items, result = _classification_suspects(project, run, accepted)
        else:
            suspects, n_items, result = _box_suspects(project, run, accepted)
    except LabelErrorInputError as exc:
        label_errors_fail(run_id=run_id, message=str(exc))
        run.refresh_from_db()
        return run
    suspects.sort(key=lambda s: (-s.score, s.item_id))
    for rank, suspect in enumerate(suspects, start=1):
        suspect.rank = rank
    with transaction.atomic():
        LabelErrorSuspect.objects.bulk_create(suspects, batch_size=1000)
        LabelErrorRun.objects.filter(pk=run_id).update(
            status=LabelErrorRun.Status.SUCCEEDED,
            n_items=n_items,
            n_suspects=len(suspects),
            result=result,
            finished_at=timezone.now(),
        )
        if run.job_id:
            jobs.job_advance(job_id=run.job_id, by=len(accepted))
            jobs.job_finish(
                job_id=run.job_id,
                result={"run_id": run_id, "items": n_items, "suspects": len(suspects)},
            )
    from annotation_qc.review.services.reviews import reviews_sweep

    reviews_sweep(project=project)  # the top suspects enter review where the project asks for it
    run.refresh_from_db()
    return run


def _classification_suspects(
    project: Project, run: LabelErrorRun, accepted: list[Accepted]
) -> tuple[list[LabelErrorSuspect], int, dict[str, Any]]:
    labels = list(project.labels)
    codes = {name: code for code, name in enumerate(labels)}
    rows = [a for a in accepted if a.payload.get("label") in codes]
    versions, note = _classification_versions(project, run)
    if versions:
        item_ids = [a.item_id for a in rows]
        per_version: list[dict[int, Any]] = []
        for name in versions:
            per_version.append(
                dict(
                    Prediction.objects.filter(
                        item__project=project, model_version=name, proba__isnull=False, item_id__in=item_ids
                    ).values_list("item_id", "proba")
                )
            )
        n_labels = len(labels)
        rows = [a for a in rows if all(len(v.get(a.item_id) or []) == n_labels for v in per_version)]
        if not rows:
            raise LabelErrorInputError(
                f"no accepted item has class probabilities from model version {', '.join(versions)!r}"
            )
        # One model's own probabilities, or the registered committee's mean (none trained on these labels).
        proba = np.mean(
            [np.asarray([by_item[a.item_id] for a in rows], dtype=np.float64) for by_item in per_version],
            axis=0,
        )
        given = np.asarray([codes[a.payload["label"]] for a in rows], dtype=np.int64)
    else:
        features_by_item = dict(
            Item.objects.filter(pk__in=[a.item_id for a in rows], features__isnull=False).values_list(
                "pk", "features"
            )
        )
        rows = [a for a in rows if a.item_id in features_by_item]
        if not rows:
            raise LabelErrorInputError(
                "no accepted item has features: import features, or upload model probabilities "
                "and name their model_version"
            )
        dim = project.feature_dim or 0
        blob = b"".join(bytes(features_by_item[a.item_id] or b"") for a in rows)
        features = np.frombuffer(blob, dtype="<f4").reshape(len(rows), dim)
        given = np.asarray([codes[a.payload["label"]] for a in rows], dtype=np.int64)
        # A fixed seed: the folds depend on the data alone, not on a database id.
        proba = out_of_fold_proba(features, given, n_classes=len(labels), seed=0)
    result = find_label_issues(given, proba)
    suspects = []
    flagged_items: set[int] = set()
    for index in result.ranked_issues().tolist():
        accepted_row = rows[index]
        predicted = labels[int(result.predicted[index])]
        flagged_items.add(accepted_row.item_id)
        suspects.append(
            LabelErrorSuspect(
                run=run,
                project=project,
                item_id=accepted_row.item_id,
                annotation_id=accepted_row.annotation_id,
                rank=0,
                score=float(1.0 - result.quality[index]),
                kind=LabelErrorSuspect.Kind.CLASSIFICATION,
                given_label=accepted_row.payload["label"],
                suggested_label=predicted,
                model_confidence=float(result.predicted_proba[index]),
                reason=describe(
                    accepted_row.payload["label"], predicted, float(result.predicted_proba[index])
                ),
            )
        )
    summary: dict[str, Any] = {
        "noise_rate": round(result.noise_rate, 4),
        "flagged": int(result.is_issue.sum()),
    }
    if note:
        summary["note"] = note
    crowd, annotators = _crowd_suspects(project, run, rows, proba, codes, flagged_items)
    suspects.extend(crowd)
    summary["annotators"] = annotators
    return suspects, len(rows), summary


def _classification_versions(project: Project, run: LabelErrorRun) -> tuple[list[str], str]:
    """The model versions whose uploaded probabilities score the labels, and a note on the choice.

    A version named for the run; else the registered version marked current, when it uploaded class
    probabilities; else the versions marked as committee members that did (their mean); else none:
    the prioritisation committee's out-of-fold probabilities on the items' features. The run records
    the choice (``source``, ``model_version``).
    """
    from annotation_qc.prioritization.services.data import committee_versions, single_version

    if run.model_version:
        return [run.model_version], ""
    note = ""
    current = ModelVersion.objects.filter(project=project, is_current=True).first()
    if current is not None:
        found, reason = single_version(project=project, field="proba")
        if found is not None:
            LabelErrorRun.objects.filter(pk=run.pk).update(source="model", model_version=found)
            return [found], ""
        note = reason.split(": the queue")[0]
    members, _ = committee_versions(project=project, field="proba", strategy="label-error detection")
    if members:
        joined = ",".join(members)[:100]
        LabelErrorRun.objects.filter(pk=run.pk).update(source="committee_models", model_version=joined)
        return members, note
    return [], note


def _crowd_suspects(
    project: Project,
    run: LabelErrorRun,
    rows: list[Accepted],
    proba: np.ndarray[Any, Any],
    codes: dict[str, int],
    already: set[int],
) -> tuple[list[LabelErrorSuspect], list[dict[str, Any]]]:
    """Items with several annotators: consensus of the annotators and the model together."""
    position = {a.item_id: index for index, a in enumerate(rows)}
    answers = [
        (item_id, annotator_id, payload.get("label"))
        for item_id, annotator_id, payload in Annotation.objects.filter(
            project=project, is_benchmark=False, item_id__in=list(position)
        )
        .order_by("item_id", "annotator_id")
        .values_list("item_id", "annotator_id", "payload")
        if payload.get("label") in codes
    ]
    counts: dict[int, int] = {}
    for item_id, _, _ in answers:
        counts[item_id] = counts.get(item_id, 0) + 1
    answers = [a for a in answers if counts[a[0]] >= 2]
    if not answers:
        return [], []
    item_ids = sorted({a[0] for a in answers})
    item_index = {item_id: i for i, item_id in enumerate(item_ids)}
    annotator_ids, annotator_columns = np.unique([a[1] for a in answers], return_inverse=True)
    matrix = np.full((len(item_ids), len(annotator_ids)), -1, dtype=np.int64)
    matrix[[item_index[a[0]] for a in answers], annotator_columns] = [codes[a[2]] for a in answers]
    crowd = crowd_consensus(matrix, proba[[position[i] for i in item_ids]], n_classes=len(project.labels))
    labels = list(project.labels)
    suspects = []
    for i, item_id in enumerate(item_ids):
        accepted = rows[position[item_id]]
        given = codes[accepted.payload["label"]]
        consensus = int(crowd.consensus[i])
        if consensus == given or item_id in already:
            continue
        confidence = float(crowd.posterior[i, consensus])
        suspects.append(
            LabelErrorSuspect(
                run=run,
                project=project,
                item_id=item_id,
                annotation_id=None,
                rank=0,
                score=float(1.0 - crowd.posterior[i, given]),
                kind=LabelErrorSuspect.Kind.CROWD,
                given_label=labels[given],
                suggested_label=labels[consensus],
                model_confidence=confidence,
                reason=(
                    f"consensus {labels[given]}, annotators and model together "
                    f"{confidence:.2f} {labels[consensus]}"
                ),
            )
        )
    annotators = [
        {
            "user_id": int(user_id),
            "quality": _round(crowd.annotator_quality[j]),
            "agreement": _round(crowd.annotator_agreement[j]),
        }
        for j, user_id in enumerate(annotator_ids.tolist())
    ]
    return suspects, annotators


def _round(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _box_suspects(
    project: Project, run: LabelErrorRun, accepted: list[Accepted]
) -> tuple[list[LabelErrorSuspect], int, dict[str, Any]]:
    labels = list(project.labels)
    codes = {name: code for code, name in enumerate(labels)}
    version = run.model_version
    predictions = Prediction.objects.filter(item__project=project, scores__isnull=False)
    if not version:
        from annotation_qc.prioritization.services.data import single_version

        # The registered version marked current, else the newest registered upload with box scores.
        found, reason = single_version(project=project, field="scores")
        if found is None:
            raise LabelErrorInputError(
                reason.split(": the queue")[0]
                if reason
                else "no model predictions with box scores: upload predictions with per-box scores first"
            )
        version = found
        LabelErrorRun.objects.filter(pk=run.pk).update(model_version=version, source="model")
    predicted = {
        item_id: (payload, scores)
        for item_id, payload, scores in predictions.filter(
            model_version=version, item_id__in=[a.item_id for a in accepted]
        ).values_list("item_id", "payload", "scores")
    }
    if not predicted:
        raise LabelErrorInputError(f"no accepted item has predictions with box scores from {version!r}")
    config = BoxScoringConfig()
    suspects = []
    scored = 0
    for row in accepted:
        if row.item_id not in predicted:
            continue
        payload, scores = predicted[row.item_id]
        given_boxes = [b for b in row.payload.get("boxes", []) if b.get("label") in codes]
        model_boxes = [
            (b, s)
            for b, s in zip(payload.get("boxes", []), scores or [], strict=False)
            if b.get("label") in codes
        ]
        scored += 1
        image = score_image(
            np.asarray([[b["x"], b["y"], b["w"], b["h"]] for b in given_boxes], dtype=np.float64).reshape(
                -1, 4
            ),
            [codes[b["label"]] for b in given_boxes],
            np.asarray([[b["x"], b["y"], b["w"], b["h"]] for b, _ in model_boxes], dtype=np.float64).reshape(
                -1, 4
            ),
            [codes[b["label"]] for b, _ in model_boxes],
            [float(s) for _, s in model_boxes],
            config=config,
        )
        flagged = image.flagged(config)
        if not flagged:
            continue
        top = flagged[0]
        reason = describe_box(top, labels)
        if len(flagged) > 1:
            reason += f" (+{len(flagged) - 1} more)"
        suspects.append(
            LabelErrorSuspect(
                run=run,
                project=project,
                item_id=row.item_id,
                annotation_id=row.annotation_id,
                rank=0,
                score=image.score,
                kind=top.kind.value,
                given_label=labels[top.label] if top.given_index is not None else "",
                suggested_label=labels[top.predicted_label] if top.predicted_label is not None else "",
                model_confidence=top.predicted_score,
                reason=reason[:500],
                details=[
                    {
                        "kind": f.kind.value,
                        "score": round(f.score, 4),
                        "box": f.given_index,
                        "predicted_box": (
                            model_boxes[f.predicted_index][0] if f.predicted_index is not None else None
                        ),
                        "reason": describe_box(f, labels),
                    }
                    for f in flagged[:MAX_DETAILS]
                ],
            )
        )
    return suspects, scored, {"model_version": version}


def _box_array(boxes: list[dict[str, Any]]) -> np.ndarray[Any, Any]:
    return np.asarray([[b["x"], b["y"], b["w"], b["h"]] for b in boxes], dtype=np.float64).reshape(-1, 4)


def label_errors_due_projects() -> list[int]:
    """Beat: start a detection for each project whose labeling is done (no open item left) and that
    has accepted labels newer than its last run; returns the project ids started."""
    from django.db.models import Exists, OuterRef, Subquery

    last_run = (
        LabelErrorRun.objects.filter(project=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    )
    newest_label = (
        Annotation.objects.filter(project=OuterRef("pk"), is_benchmark=False)
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    open_items = Item.objects.filter(project=OuterRef("pk"), open_slots__gt=0, is_gold=False)
    candidates = (
        Project.objects.annotate(last_run=Subquery(last_run), newest=Subquery(newest_label))
        .filter(newest__isnull=False)
        .exclude(Exists(open_items))
        .values_list("pk", "last_run", "newest")
    )
    started = []
    for project_id, last, newest in candidates:
        if last is None or newest > last:
            label_errors_start(project=Project.objects.get(pk=project_id), user_id=None)
            started.append(project_id)
    return started
