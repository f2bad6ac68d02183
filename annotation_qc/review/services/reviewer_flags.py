"""Reviewers flagged on their review benchmarks, with the annotators' sequential tests.

Each scored review benchmark refreshes the reviewer's :class:`ReviewerQuality` (in the transaction
of the reviewer's action, its row locked). A change to ``flagged`` opens a ``reviewer_flagged``
alert and webhook when the project's ``flag_action`` is "alert"; with "stop" the flagged reviewer
gets an empty review queue and a 403 on any action, until the status clears.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from annotation_qc.projects.models import Project
from annotation_qc.review.models import Review, ReviewerQuality

#: Review benchmarks a reviewer needs before being called ``ok`` (a test may flag sooner).
REVIEWER_MIN_BENCHMARKS = 5


def reviewer_flag_decision(project: Project, caught: list[bool]) -> tuple[str, dict[str, Any]]:
    """The status and evidence from a reviewer's benchmark outcomes (caught or not, in time order):
    the project's flag rule (mixture SPRT and CUSUM) as for annotators; without one (threshold 0)
    only calibrating or ok."""
    from annotation_qc.benchmarks.services.scoring import project_flag_rule
    from annotation_qc.domain.flagging import flag_status, sequential_flag

    n, hits = len(caught), sum(caught)
    rule = project_flag_rule(project)
    if rule is None:
        status = "calibrating" if n < REVIEWER_MIN_BENCHMARKS else "ok"
        evidence: dict[str, Any] = {"n": n, "flagged": False, "reason": None}
    else:
        decision = sequential_flag(caught, rule)
        status = flag_status(decision, min_benchmarks=REVIEWER_MIN_BENCHMARKS)
        evidence = decision.to_dict()
    return status, {**evidence, "benchmarks": n, "caught": hits}


def reviewer_outcomes(*, project: Project, reviewer_id: int) -> list[bool]:
    return [
        bool(c)
        for c in Review.objects.filter(
            project=project, benchmark_reviewer_id=reviewer_id, benchmark_caught__isnull=False
        )
        .order_by("closed_at", "pk")
        .values_list("benchmark_caught", flat=True)
    ]


def reviewer_status_refresh(
    *, project: Project, reviewer_id: int, now: datetime | None = None
) -> ReviewerQuality:
    """Recompute a reviewer's status from their scored review benchmarks; alert on a change to flagged."""
    from annotation_qc.accounts.models import User
    from annotation_qc.alerts.services.flags import reviewer_flag_alert, reviewer_flag_resolve

    now = now or timezone.now()
    quality, _ = ReviewerQuality.objects.select_for_update().get_or_create(
        project=project, reviewer_id=reviewer_id
    )
    caught = reviewer_outcomes(project=project, reviewer_id=reviewer_id)
    status, evidence = reviewer_flag_decision(project, caught)
    if status != quality.status:
        if status == ReviewerQuality.Status.FLAGGED and project.flag_action == Project.FlagAction.ALERT:
            username = User.objects.filter(pk=reviewer_id).values_list("username", flat=True).first()
            reviewer_flag_alert(
                project_id=project.pk,
                reviewer_id=reviewer_id,
                username=username or str(reviewer_id),
                decision=evidence,
                now=now,
            )
        elif quality.status == ReviewerQuality.Status.FLAGGED:
            reviewer_flag_resolve(project_id=project.pk, reviewer_id=reviewer_id, now=now)
    quality.status, quality.benchmarks, quality.caught = status, evidence["benchmarks"], evidence["caught"]
    quality.flag = evidence
    quality.save(update_fields=["status", "benchmarks", "caught", "flag", "updated_at"])
    return quality


def reviewer_stopped(*, project: Project, reviewer_id: int) -> bool:
    """A flagged reviewer in a project whose ``flag_action`` is "stop"."""
    return (
        project.flag_action == Project.FlagAction.STOP
        and ReviewerQuality.objects.filter(
            project=project, reviewer_id=reviewer_id, status=ReviewerQuality.Status.FLAGGED
        ).exists()
    )
