"""The outbound-request guard: webhooks and image fetches cannot reach internal addresses."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest

from annotation_qc.alerts.models import Webhook, WebhookDelivery
from annotation_qc.core import outbound
from tests.api.conftest import World
from tests.api.webhook_helpers import Receiver, add_webhook, fire_alert, url


@pytest.fixture
def guarded(settings: Any) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("not-an-address", False),
    ],
)
def test_only_globally_routable_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert outbound.is_public_address(address) is public


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:8000/x",
        "http://127.0.0.1/x",
        "http://10.0.0.5/x",
        "http://[::1]:9000/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://redis.internal/x",
    ],
)
def test_internal_literal_hosts_are_named(guarded: None, target: str) -> None:
    problem = outbound.literal_host_problem(target)
    assert problem is not None
    assert "public" in problem or "internal" in problem


def test_public_names_and_allowed_private_pass_the_input_check(settings: Any) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}
    assert outbound.literal_host_problem("https://hooks.slack.com/services/T/B/X") is None
    assert outbound.literal_host_problem("http://93.184.216.34/x") is None
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": True}
    assert outbound.literal_host_problem("http://127.0.0.1/x") is None


@pytest.mark.django_db
def test_a_name_resolving_to_loopback_is_refused_on_connect_before_any_byte(
    receiver: Receiver,
    settings: Any,
) -> None:
    target = receiver.url.replace("127.0.0.1", "localhost")
    opener = outbound.build_opener(follow_redirects=True)
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}
    with pytest.raises(urllib.error.URLError) as raised:
        opener.open(target, data=b"{}", timeout=2)
    assert isinstance(raised.value.reason, outbound.BlockedAddress)
    assert "not a public address" in str(raised.value.reason)
    assert receiver.requests == []
    # The same opener reads the setting per connection: allowed again, the request arrives.
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": True}
    with opener.open(target, data=b"{}", timeout=2) as response:
        assert response.status == 200
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_webhook_to_an_internal_address_is_a_400_naming_url(world: World, guarded: None) -> None:
    response = world.client("manager").post(
        url(world, "webhooks/"), {"url": "http://169.254.169.254/latest/"}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert not Webhook.objects.exists()
    webhook = add_webhook(world, url="https://hooks.example.com/ok")
    response = world.client("manager").patch(
        url(world, f"webhooks/{webhook['id']}/"), {"url": "http://127.0.0.1:6379/"}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert Webhook.objects.get().url == "https://hooks.example.com/ok"


@pytest.mark.django_db
def test_a_delivery_blocked_by_the_guard_is_recorded_and_not_retried(
    world: World,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Configured while private addresses were allowed (or a public name re-pointed at one since).
    add_webhook(world, url=receiver.url.replace("127.0.0.1", "localhost"))
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}
    fire_alert(world, django_capture_on_commit_callbacks)
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.ok, delivery.status_code, delivery.will_retry) == (False, None, False)
    assert delivery.error.startswith("BlockedAddress:")
    assert receiver.requests == []
