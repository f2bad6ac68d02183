"""Alerts raised by the benchmark flag itself (project ``flag_action`` "alert"), without a rule.

When an annotator's status turns ``flagged`` an alert of kind ``annotator_flagged`` opens for
``annotator:<id>`` and goes to the project's active webhooks once the transaction commits; it is
resolved when the status leaves ``flagged``. One open alert per annotator: the caller holds the
annotator's quality row lock, which serialises these calls. Reviewers flagged on their review
benchmarks get the same, as ``reviewer_flagged`` for ``reviewer:<id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from annotation_qc.alerts.models import Alert, AlertRule, Webhook
from annotation_qc.core.queue import enqueue_on_commit
from annotation_qc.domain.alerts import annotator_subject, reviewer_subject

FLAG_KIND = "annotator_flagged"
REVIEWER_FLAG_KIND = "reviewer_flagged"
REASONS = {
    "overall": "the sequential test over all their benchmarks",
    "recent": "the recent-window (CUSUM) test: their accuracy dropped",
}


def _flag_alert_open(
    *, project_id: int, kind: str, subject: str, message: str, data: dict[str, Any], now: datetime
) -> Alert | None:
    """Open a flag alert for ``subject`` (None when one is already open); sent to the project's
    active webhooks once the transaction commits."""
    from annotation_qc.alerts.tasks import webhook_deliver

    if Alert.objects.filter(
        project_id=project_id, kind=kind, subject=subject, resolved_at__isnull=True
    ).exists():
        return None
    alert = Alert.objects.create(
        rule=None,
        project_id=project_id,
        kind=kind,
        severity=AlertRule.Severity.CRITICAL,
        subject=subject,
        message=message[:1000],
        data=data,
        fired_at=now,
    )
    for webhook_id in Webhook.objects.filter(project_id=project_id, active=True).values_list("pk", flat=True):
        enqueue_on_commit(webhook_deliver, alert.pk, webhook_id)
    return alert


def _flag_alert_resolve(*, project_id: int, kind: str, subject: str, now: datetime) -> int:
    return Alert.objects.filter(
        project_id=project_id, kind=kind, subject=subject, resolved_at__isnull=True
    ).update(resolved_at=now)


def annotator_flag_alert(
    *, project_id: int, annotator_id: int, username: str, decision: dict[str, Any], now: datetime
) -> Alert | None:
    """Open the flag alert of an annotator (None when one is already open)."""
    n, correct = decision.get("benchmarks", 0), decision.get("fixed", 0)
    why = REASONS.get(str(decision.get("reason")), "the sequential test")
    return _flag_alert_open(
        project_id=project_id,
        kind=FLAG_KIND,
        subject=annotator_subject(annotator_id),
        message=(
            f"{username} was flagged by {why}: {correct} of {n} benchmarks fixed; the evidence says "
            f"their fix rate is below the project's threshold {decision.get('threshold', 0):.0%} "
            f"(false-flag rate at most {decision.get('alpha', 0):.0%} for a rate of "
            f"{decision.get('p_good', 0):.0%} or more)."
        ),
        data={"annotator_id": annotator_id, "username": username, **decision},
        now=now,
    )


def annotator_flag_resolve(*, project_id: int, annotator_id: int, now: datetime) -> int:
    """Resolve the open flag alert of an annotator (the status left ``flagged``)."""
    return _flag_alert_resolve(
        project_id=project_id, kind=FLAG_KIND, subject=annotator_subject(annotator_id), now=now
    )


def reviewer_flag_alert(
    *, project_id: int, reviewer_id: int, username: str, decision: dict[str, Any], now: datetime
) -> Alert | None:
    """Open the flag alert of a reviewer who misses the seeded errors of review benchmarks (None when
    one is already open)."""
    n, caught = decision.get("benchmarks", 0), decision.get("caught", 0)
    why = REASONS.get(str(decision.get("reason")), "the sequential test")
    return _flag_alert_open(
        project_id=project_id,
        kind=REVIEWER_FLAG_KIND,
        subject=reviewer_subject(reviewer_id),
        message=(
            f"Reviewer {username} was flagged by {why}: caught the seeded error in {caught} of {n} "
            f"review benchmarks; the evidence says their catch rate is below the project's threshold "
            f"{decision.get('threshold', 0):.0%}. Their accepted reviews may let errors through."
        ),
        data={"reviewer_id": reviewer_id, "username": username, **decision},
        now=now,
    )


def reviewer_flag_resolve(*, project_id: int, reviewer_id: int, now: datetime) -> int:
    """Resolve the open flag alert of a reviewer (the status left ``flagged``)."""
    return _flag_alert_resolve(
        project_id=project_id, kind=REVIEWER_FLAG_KIND, subject=reviewer_subject(reviewer_id), now=now
    )
