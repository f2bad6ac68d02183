"""Webhooks: configuration, bad URLs, and delivery with retries against a local HTTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from annotation_qc.alerts.models import Alert, Webhook, WebhookDelivery
from annotation_qc.alerts.services.webhooks import SIGNATURE_HEADER, retry_countdown
from annotation_qc.alerts.tasks import WEBHOOK_MAX_RETRIES, alerts_check_all, webhook_deliver
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.webhook_helpers import Receiver, add_webhook, fire_alert, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_backoff(settings: Any) -> None:
    settings.ANNOTATION_QC = {
        **settings.ANNOTATION_QC,
        "WEBHOOK_BACKOFF_SECONDS": 0,
        "WEBHOOK_TIMEOUT_SECONDS": 2,
    }


# --- configuration ------------------------------------------------------------------------------


def test_create_list_update_and_delete_a_webhook_without_showing_the_secret(world: World) -> None:
    hook = add_webhook(
        world, url="https://hooks.slack.example/services/T0/B0/xyz", secret="s3cret", name="ops"
    )
    assert hook["has_secret"] is True
    assert "secret" not in hook
    client = world.client("manager")
    listed = client.get(url(world, "webhooks/")).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "s3cret" not in json.dumps(listed)
    detail = url(world, f"webhooks/{hook['id']}/")
    body = client.patch(detail, {"secret": "", "active": False}, format="json").json()
    assert body["has_secret"] is False
    assert body["active"] is False
    assert client.delete(detail).status_code == 204
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "bad_url",
    [
        "ftp://files.example/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "hooks.example/no-scheme",
        "http://",
        "",
    ],
)
def test_bad_webhook_urls_are_rejected_naming_the_field(world: World, bad_url: str) -> None:
    response = world.client("manager").post(url(world, "webhooks/"), {"url": bad_url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["errors"], response.json()
    assert not Webhook.objects.exists()


def test_a_bad_url_is_rejected_on_update_too(world: World) -> None:
    hook = add_webhook(world, url="https://hooks.example/a")
    response = world.client("manager").patch(
        url(world, f"webhooks/{hook['id']}/"), {"url": "ftp://hooks.example/a"}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert Webhook.objects.get().url == "https://hooks.example/a"


# --- delivery -----------------------------------------------------------------------------------


def test_delivery_retries_twice_then_succeeds_with_a_slack_body(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    """500, 500, 200: three attempts recorded, without sleeping through the back-off (default 10 s)."""
    receiver.statuses = [500, 500, 200]
    hook = add_webhook(world, url=receiver.url)
    started = time.monotonic()
    alert_id = fire_alert(world, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 5
    attempts = list(
        WebhookDelivery.objects.order_by("attempt").values_list("attempt", "status_code", "ok", "will_retry")
    )
    assert attempts == [(1, 500, False, True), (2, 500, False, True), (3, 200, True, False)]
    assert len(receiver.requests) == 3
    body = json.loads(receiver.requests[-1]["body"])
    assert isinstance(body["text"], str)
    assert "The queue ran dry" in body["text"]
    assert body["blocks"][0]["type"] == "section"
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert body["alert"]["id"] == alert_id
    assert body["alert"]["kind"] == "queue_dry"
    headers = receiver.requests[-1]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-AnnotationQC-Delivery"] == f"{alert_id}-{hook['id']}"  # the same on every attempt
    assert {r["headers"]["X-AnnotationQC-Delivery"] for r in receiver.requests} == {
        f"{alert_id}-{hook['id']}"
    }
    assert SIGNATURE_HEADER not in headers  # no secret, no signature
    deliveries = world.client("manager").get(url(world, f"webhooks/{hook['id']}/deliveries/")).json()
    assert [d["attempt"] for d in deliveries["results"]] == [3, 2, 1]
    assert deliveries["results"][1]["error"].startswith("HTTP 500")
    assert deliveries["results"][0]["response_excerpt"] == "ok"


def test_signed_delivery_carries_the_hmac_of_the_body(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    add_webhook(world, url=receiver.url, secret="s3cret")
    fire_alert(world, django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][SIGNATURE_HEADER] == expected


def test_escaping_keeps_slack_markup_out_of_names(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    world.project.name = "<!channel> & co"
    world.project.save()
    add_webhook(world, url=receiver.url)
    fire_alert(world, django_capture_on_commit_callbacks)
    body = json.loads(receiver.requests[0]["body"])
    assert "&lt;!channel&gt; &amp; co" in body["text"]
    assert "<!channel>" not in body["text"]
    assert body["alert"]["project"] == "<!channel> & co"  # the raw data stays raw


def test_every_active_webhook_gets_the_alert_and_inactive_ones_do_not(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    add_webhook(world, url=receiver.url)
    add_webhook(world, url=receiver.url + "?second")
    add_webhook(world, url=receiver.url + "?off", active=False)
    fire_alert(world, django_capture_on_commit_callbacks)
    assert sorted(r["path"] for r in receiver.requests) == ["/hook", "/hook?second"]


def test_a_persistent_failure_gives_up_after_five_retries(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any, fast_backoff: None
) -> None:
    receiver.statuses = [503]
    add_webhook(world, url=receiver.url)
    fire_alert(world, django_capture_on_commit_callbacks)  # does not raise in the request
    attempts = list(WebhookDelivery.objects.order_by("attempt").values_list("attempt", "will_retry"))
    assert attempts == [(i, i <= WEBHOOK_MAX_RETRIES) for i in range(1, WEBHOOK_MAX_RETRIES + 2)]
    assert len(receiver.requests) == 6


def test_a_client_error_is_not_retried(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.statuses = [404]
    add_webhook(world, url=receiver.url)
    fire_alert(world, django_capture_on_commit_callbacks)
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.status_code, delivery.ok, delivery.will_retry) == (404, False, False)


def test_timeouts_and_refused_connections_are_recorded_and_retried(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "WEBHOOK_TIMEOUT_SECONDS": 0.2}
    receiver.delays = [0.6, 0.0]  # answers too late the first time, at once the second
    slow = add_webhook(world, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        world.client("manager").post(url(world, "alert-rules/"), {"kind": "queue_dry"}, format="json")
        Item.objects.filter(project=world.project).update(open_slots=0)
        alert_id = world.client("manager").post(url(world, "alerts/check/")).json()["fired"][0]
    first, second = WebhookDelivery.objects.filter(webhook_id=slow["id"]).order_by("attempt")
    assert first.status_code is None
    assert "timed out" in first.error
    assert first.will_retry
    assert first.duration_ms < 600
    assert (second.attempt, second.status_code, second.ok) == (2, 200, True)
    # A closed port: refused at once, every attempt recorded.
    closed = Webhook.objects.create(project=world.project, url="http://127.0.0.1:9/hook")
    webhook_deliver.apply(args=(alert_id, closed.pk))
    refused = list(WebhookDelivery.objects.filter(webhook=closed).values_list("status_code", "error"))
    assert len(refused) == WEBHOOK_MAX_RETRIES + 1
    assert all(code is None and error for code, error in refused)


def test_nothing_is_sent_for_a_deleted_webhook_or_alert(world: World, receiver: Receiver) -> None:
    hook = Webhook.objects.create(project=world.project, url=receiver.url)
    alert = Alert.objects.create(
        project=world.project,
        kind="queue_dry",
        subject="project",
        message="m",
        fired_at="2024-01-01T00:00:00Z",
    )
    assert webhook_deliver.apply(args=(alert.pk, hook.pk + 1)).get() is None
    assert webhook_deliver.apply(args=(alert.pk + 1, hook.pk)).get() is None
    assert receiver.requests == []
    assert webhook_deliver.apply(args=(alert.pk, hook.pk)).get() is True


def test_backoff_is_exponential_and_capped(settings: Any) -> None:
    assert [retry_countdown(r) for r in range(5)] == [10, 20, 40, 80, 160]
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "WEBHOOK_BACKOFF_MAX_SECONDS": 30}
    assert [retry_countdown(r) for r in range(4)] == [10, 20, 30, 30]


def test_on_a_worker_a_failure_raises_retry_with_the_backoff_countdown(
    world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The non-eager branch: ``self.retry`` is raised with the exponential countdown."""
    receiver.statuses = [500]
    hook = Webhook.objects.create(project=world.project, url=receiver.url)
    alert = Alert.objects.create(
        project=world.project,
        kind="queue_dry",
        subject="project",
        message="m",
        fired_at="2024-01-01T00:00:00Z",
    )
    asked: dict[str, Any] = {}

    def fake_retry(**kwargs: Any) -> Retry:
        asked.update(kwargs)
        return Retry("retry", when=kwargs.get("countdown"))

    monkeypatch.setattr(webhook_deliver, "retry", fake_retry)
    webhook_deliver.push_request(retries=2, is_eager=False)
    try:
        with pytest.raises(Retry):
            webhook_deliver.run(alert.pk, hook.pk)
    finally:
        webhook_deliver.pop_request()
    assert asked == {"countdown": 40.0}
    assert WebhookDelivery.objects.get().attempt == 3


def test_beat_resends_deliveries_lost_while_the_broker_was_down(world: World, receiver: Receiver) -> None:
    now = timezone.now()
    hook = Webhook.objects.create(project=world.project, url=receiver.url)
    Webhook.objects.filter(pk=hook.pk).update(created_at=now - timedelta(hours=2))
    Webhook.objects.create(project=world.project, url=receiver.url + "?new")  # added after the alerts fired

    def alert(minutes_ago: float) -> Alert:
        return Alert.objects.create(
            project=world.project,
            kind="queue_dry",
            subject=f"project-{minutes_ago}",
            message="Dry.",
            fired_at=now - timedelta(minutes=minutes_ago),
        )

    lost = alert(30)
    alert(1)  # its task may still be waiting in the queue
    alert(3 * 24 * 60)  # too old to matter
    attempted = alert(40)
    WebhookDelivery.objects.create(
        alert=attempted, webhook=hook, attempt=1, ok=False, duration_ms=5, will_retry=True, attempted_at=now
    )
    alerts_check_all.apply()
    assert [json.loads(r["body"])["alert"]["id"] for r in receiver.requests] == [lost.pk]
    assert [r["path"] for r in receiver.requests] == ["/hook"]


def test_beat_resumes_a_retry_lost_with_its_worker_and_the_attempts_stay_bounded(
    world: World, receiver: Receiver, fast_backoff: None
) -> None:
    """A worker killed while it held a delivery's retry (a countdown message): the record promises a
    retry that never comes. Beat sends the next attempt, never more than the last allowed one."""
    now = timezone.now()
    receiver.statuses = [503]
    hook = Webhook.objects.create(project=world.project, url=receiver.url)
    Webhook.objects.filter(pk=hook.pk).update(created_at=now - timedelta(hours=2))
    alert = Alert.objects.create(
        project=world.project,
        kind="queue_dry",
        subject="p",
        message="Dry.",
        fired_at=now - timedelta(hours=1),
    )
    for attempt in (1, 2):
        WebhookDelivery.objects.create(
            alert=alert,
            webhook=hook,
            attempt=attempt,
            ok=False,
            status_code=503,
            duration_ms=5,
            will_retry=True,
            attempted_at=now - timedelta(minutes=50 - attempt),
        )
    recent = Alert.objects.create(
        project=world.project,
        kind="queue_dry",
        subject="q",
        message="Dry.",
        fired_at=now - timedelta(hours=1),
    )
    WebhookDelivery.objects.create(  # its retry is still due within the back-off: left alone
        alert=recent, webhook=hook, attempt=1, ok=False, duration_ms=5, will_retry=True, attempted_at=now
    )
    alerts_check_all.apply()
    attempts = list(
        WebhookDelivery.objects.filter(alert=alert).order_by("attempt").values_list("attempt", "will_retry")
    )
    assert attempts == [(i, i <= WEBHOOK_MAX_RETRIES) for i in range(1, WEBHOOK_MAX_RETRIES + 2)]
    assert WebhookDelivery.objects.filter(alert=recent).count() == 1
    assert len(receiver.requests) == WEBHOOK_MAX_RETRIES + 1 - 2
    alerts_check_all.apply()  # nothing more: the last attempt promised no retry
    assert WebhookDelivery.objects.filter(alert=alert).count() == WEBHOOK_MAX_RETRIES + 1
