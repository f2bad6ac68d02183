"""Webhooks: configuration, the Slack-compatible message of an alert, and one signed delivery attempt.

Every attempt is recorded as a :class:`WebhookDelivery`. The retry schedule lives in the Celery
task (``alerts.webhook_deliver``); this module says whether an attempt is worth retrying: network
errors, timeouts, 5xx, 408 and 429 are; other answers (a 404 of a deleted Slack hook) are not.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotation_qc.alerts.models import Alert, Webhook, WebhookDelivery
from annotation_qc.core import outbound, sealed
from annotation_qc.core.exceptions import NotFound, ServiceError
from annotation_qc.projects.models import Project

SIGNATURE_HEADER = "X-AnnotationQC-Signature-256"
EVENT_HEADER = "X-AnnotationQC-Event"
DELIVERY_HEADER = "X-AnnotationQC-Delivery"
USER_AGENT = "annotation-qc-webhooks/1"
EXCERPT_BYTES = 500
RETRYABLE_STATUS = frozenset({408, 429})
BLOCKED_PREFIX = f"{outbound.BlockedAddress.__name__}:"
UNSEALABLE_PREFIX = f"{sealed.SealBroken.__name__}:"
#: Alerts older than this without any delivery attempt were never sent (the broker was down): resend.
MISSED_AFTER = timedelta(minutes=10)
MISSED_UNTIL = timedelta(hours=24)


def _setting(name: str, default: float) -> float:
    return float(settings.ANNOTATION_QC.get(name, default))


def delivery_timeout() -> float:
    """Seconds one attempt may take (``ANNOTATION_QC["WEBHOOK_TIMEOUT_SECONDS"]``, default 5)."""
    return _setting("WEBHOOK_TIMEOUT_SECONDS", 5.0)


def retry_countdown(retries: int) -> float:
    """Exponential back-off before retry ``retries + 1``: base, 2 x base, 4 x base, ... capped.

    The base is ``ANNOTATION_QC["WEBHOOK_BACKOFF_SECONDS"]`` (default 10 s, so 10, 20, 40, 80 and
    160 s for the five retries); the cap ``ANNOTATION_QC["WEBHOOK_BACKOFF_MAX_SECONDS"]`` (600 s).
    """
    base = _setting("WEBHOOK_BACKOFF_SECONDS", 10.0)
    return float(min(_setting("WEBHOOK_BACKOFF_MAX_SECONDS", 600.0), base * 2**retries))


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def url_check(url: str) -> str:
    """Only http(s) URLs with a public host; anything else is a 400 naming ``url``."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ServiceError(
            "Webhook URLs must use http or https.", errors={"url": ["must be an http:// or https:// URL"]}
        )
    if not parts.hostname:
        raise ServiceError("The webhook URL has no host.", errors={"url": ["must name a host"]})
    problem = outbound.literal_host_problem(url)
    if problem is not None:
        raise ServiceError(
            "Webhooks may not target internal addresses.", errors={"url": [f"{problem}: use a public URL"]}
        )
    return url


def webhook_get(*, project: Project, webhook_id: int) -> Webhook:
    webhook = Webhook.objects.filter(project=project, pk=webhook_id).first()
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


def webhook_create(
    *, project: Project, url: str, name: str = "", secret: str = "", active: bool = True, user_id: int | None
) -> Webhook:
    """Create a webhook; its signing secret is stored sealed (see annotation_qc/core/sealed.py)."""
    return Webhook.objects.create(
        project=project,
        url=url_check(url),
        name=name,
        secret=sealed.seal(secret),
        active=active,
        created_by_id=user_id,
    )


@transaction.atomic
def webhook_update(*, webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    """Apply ``changes`` (``url``, ``name``, ``secret`` (empty: unsigned), ``active``)."""
    if "url" in changes:
        webhook.url = url_check(changes["url"])
    for name in ("name", "active"):
        if name in changes:
            setattr(webhook, name, changes[name])
    if "secret" in changes:
        webhook.secret = sealed.seal(changes["secret"])
    webhook.save()
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


def webhook_secrets_reseal() -> int:
    """Re-encrypt every stored signing secret under the current SECRET_KEY (after a key rotation, while
    the old key is still in SECRET_KEY_FALLBACKS); returns how many were rewritten."""
    changed = []
    with transaction.atomic():
        for webhook in Webhook.objects.select_for_update().exclude(secret=""):
            webhook.secret = sealed.reseal(webhook.secret)
            changed.append(webhook)
        Webhook.objects.bulk_update(changed, ["secret"])
    return len(changed)


# ---------------------------------------------------------------------------------------------
# The message
# ---------------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_message(alert: Alert, project: Project) -> dict[str, Any]:
    """A Slack-compatible body (``text`` and ``blocks``) with the alert itself under ``alert``."""
    title = alert.kind.replace("_", " ")
    fired_at = alert.fired_at.isoformat()
    return {
        "text": _mrkdwn(f"[{alert.severity}] {project.name}: {alert.message}"),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{_mrkdwn(title)}* ({alert.severity}) in *{_mrkdwn(project.name)}*\n"
                    f"{_mrkdwn(alert.message)}",
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _mrkdwn(f"alert {alert.pk} · {alert.subject} · fired {fired_at}"),
                    }
                ],
            },
        ],
        "alert": {
            "id": alert.pk,
            "project_id": project.pk,
            "project": project.name,
            "rule_id": alert.rule_id,
            "kind": alert.kind,
            "severity": alert.severity,
            "subject": alert.subject,
            "message": alert.message,
            "data": alert.data,
            "fired_at": fired_at,
        },
    }


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``: what :data:`SIGNATURE_HEADER` carries."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------


#: A webhook that answers with a redirect has failed; following it could leave the checked URL. Every
#: connection must reach a public address (see annotation_qc/core/outbound.py).
_OPENER = outbound.build_opener(follow_redirects=False)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str, str]:
    """POST ``body``: (status code or None, error, start of the response body)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, "", response.read(EXCERPT_BYTES).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(EXCERPT_BYTES).decode("utf-8", "replace") if exc.fp is not None else ""
        return exc.code, f"HTTP {exc.code} {exc.reason}"[:500], excerpt
    except (
        urllib.error.URLError,
        http.client.HTTPException,
        OSError,
        ValueError,
    ) as exc:  # ValueError: bad IDNA
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return None, f"{type(reason).__name__}: {reason}"[:500], ""


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    status_code: int | None
    error: str
    will_retry: bool


def webhook_attempt(*, alert_id: int, webhook_id: int, attempt: int, last: bool) -> AttemptOutcome | None:
    """Post an alert to a webhook once and record the attempt; ``None`` when either is gone (or inactive).

    ``last`` says no retry follows whatever happens, so the record says so.
    """
    alert = Alert.objects.select_related("project").filter(pk=alert_id).first()
    webhook = Webhook.objects.filter(pk=webhook_id, active=True).first()
    if alert is None or webhook is None:
        return None
    body = json.dumps(alert_message(alert, alert.project), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: "alert.fired",
        DELIVERY_HEADER: f"{alert.pk}-{webhook.pk}",
    }
    started = time.monotonic()
    try:
        secret = sealed.unseal(webhook.secret)
    except sealed.SealBroken as exc:  # sent unsigned it would be refused, or worse, trusted: not sent
        status_code, error, excerpt = None, f"{UNSEALABLE_PREFIX} {exc}", ""
    else:
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        status_code, error, excerpt = _post(webhook.url, body, headers, delivery_timeout())
    duration_ms = round((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    # The same address, or the same undecryptable secret, next time: retrying cannot help.
    retryable = not ok and not error.startswith((BLOCKED_PREFIX, UNSEALABLE_PREFIX))
    retryable = retryable and (status_code is None or status_code >= 500 or status_code in RETRYABLE_STATUS)
    if not ok and not error:
        error = f"HTTP {status_code}"
    outcome = AttemptOutcome(ok=ok, status_code=status_code, error=error, will_retry=retryable and not last)
    WebhookDelivery.objects.create(
        alert=alert,
        webhook=webhook,
        attempt=attempt,
        ok=ok,
        status_code=status_code,
        error=error,
        response_excerpt=excerpt,
        duration_ms=duration_ms,
        will_retry=outcome.will_retry,
        attempted_at=timezone.now(),
    )
    return outcome


def missed_deliveries(*, now: datetime) -> list[tuple[int, int]]:
    """(alert, webhook) pairs never attempted: alerts fired 10 minutes to 24 hours ago, active webhooks
    that existed when the alert fired, no delivery row. Their task was lost (broker down when it was
    sent); the beat sends them again. Receivers can tell a repeat by the delivery header."""
    pairs = set(
        Alert.objects.filter(
            fired_at__gte=now - MISSED_UNTIL,
            fired_at__lte=now - MISSED_AFTER,
            project__webhooks__active=True,
            project__webhooks__created_at__lte=F("fired_at"),
        ).values_list("pk", "project__webhooks__pk")
    )
    if not pairs:
        return []
    attempted = set(
        WebhookDelivery.objects.filter(alert_id__in={alert_id for alert_id, _ in pairs}).values_list(
            "alert_id", "webhook_id"
        )
    )
    return sorted(pairs - attempted)


def stalled_deliveries(*, now: datetime) -> list[tuple[int, int, int]]:
    """(alert, webhook, next attempt) whose last attempt promised a retry that never came: the worker
    holding the retry (a message with a countdown) died, or the retry was lost with the broker. Found
    once the longest back-off plus ``MISSED_AFTER`` has passed since that attempt; the beat sends the
    next attempt, so the attempts stay bounded (the last one is still number ``max retries + 1``)."""
    quiet_since = now - MISSED_AFTER - timedelta(seconds=_setting("WEBHOOK_BACKOFF_MAX_SECONDS", 600.0))
    latest: dict[tuple[int, int], tuple[int, bool, datetime]] = {}
    for alert_id, webhook_id, attempt, will_retry, at in (
        WebhookDelivery.objects.filter(attempted_at__gte=now - MISSED_UNTIL, webhook__active=True)
        .order_by("attempted_at", "pk")
        .values_list("alert_id", "webhook_id", "attempt", "will_retry", "attempted_at")
    ):
        latest[(alert_id, webhook_id)] = (attempt, will_retry, at)
    return sorted(
        (alert_id, webhook_id, attempt + 1)
        for (alert_id, webhook_id), (attempt, will_retry, at) in latest.items()
        if will_retry and at < quiet_since
    )
