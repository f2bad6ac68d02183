from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from annotation_qc.alerts.services import checks, webhooks
from annotation_qc.core.queue import send_task
from annotation_qc.projects.models import Project

#: Retries after the first attempt (so at most six attempts per alert and webhook).
WEBHOOK_MAX_RETRIES = 5


@shared_task(name="alerts.check_all")
def alerts_check_all() -> int:
    """Beat: check every project that has an enabled rule, one task per project; resend lost deliveries
    (never attempted, or a promised retry that never came: its worker died)."""
    now = timezone.now()
    for alert_id, webhook_id in webhooks.missed_deliveries(now=now):
        send_task(webhook_deliver, alert_id, webhook_id)
    for alert_id, webhook_id, attempt in webhooks.stalled_deliveries(now=now):
        send_task(webhook_deliver, alert_id, webhook_id, attempt)
    project_ids = checks.projects_to_check()
    for project_id in project_ids:
        send_task(alerts_check_project, project_id)
    return len(project_ids)


@shared_task(name="alerts.check_project", acks_late=True)
def alerts_check_project(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id).first()
    if project is not None:
        checks.alerts_check(project=project)


@shared_task(
    bind=True,
    name="alerts.webhook_deliver",
    max_retries=WEBHOOK_MAX_RETRIES,
    acks_late=True,
    ignore_result=True,
)
def webhook_deliver(self: Any, alert_id: int, webhook_id: int, first_attempt: int = 1) -> Any:
    """Post one alert to one webhook, retrying failures with exponential back-off.

    On a worker a retry is re-sent with a countdown (see ``webhooks.retry_countdown``). When the
    task runs eagerly (``task_always_eager``), raising ``self.retry()`` would not retry: with
    ``task_eager_propagates`` the ``Retry`` exception escapes to whoever sent the task after the
    first attempt. Returning the ``Retry`` (``throw=False``) instead makes ``Task.apply`` run the
    next attempt at once, inline, ignoring the countdown: every attempt still happens and is
    recorded, and nothing sleeps.

    Safe to run twice: a receiver tells a repeat by the delivery header (the alert and the webhook).
    A worker killed mid-post leaves no record and the beat sends it again (``missed_deliveries``);
    one killed while holding a retry leaves a record promising it (``stalled_deliveries``).
    """
    retries = self.request.retries + first_attempt - 1  # a stalled delivery resumes at its next attempt
    outcome = webhooks.webhook_attempt(
        alert_id=alert_id, webhook_id=webhook_id, attempt=retries + 1, last=retries >= self.max_retries
    )
    if outcome is None or not outcome.will_retry:
        return None if outcome is None else outcome.ok
    countdown = webhooks.retry_countdown(retries)
    if self.request.is_eager:
        return self.retry(countdown=countdown, throw=False)
    raise self.retry(countdown=countdown)
