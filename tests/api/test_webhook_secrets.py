"""Webhook signing secrets are stored sealed, survive a SECRET_KEY rotation, and fail safe without a key."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import io
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from annotation_qc.alerts.models import Webhook, WebhookDelivery
from annotation_qc.alerts.services.webhooks import SIGNATURE_HEADER
from annotation_qc.core import sealed
from tests.api.conftest import World
from tests.api.webhook_helpers import Receiver, add_webhook, fire_alert

pytestmark = pytest.mark.django_db

SECRET = "hush-hush-0123"


def signed_with(request: dict[str, Any], secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return bool(request["headers"][SIGNATURE_HEADER] == expected)


def test_the_secret_is_stored_sealed_and_still_signs(
    world: World,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    created = add_webhook(world, url=receiver.url, secret=SECRET)
    assert created["has_secret"] is True
    assert SECRET not in str(created)
    stored = Webhook.objects.get().secret
    assert stored.startswith(sealed.PREFIX)
    assert SECRET not in stored
    fire_alert(world, django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    assert signed_with(request, SECRET)


def test_a_key_rotation_keeps_the_secret_through_the_fallback_and_reseal(
    world: World,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SECRET_KEY = "old-key-" + "x" * 40
    add_webhook(world, url=receiver.url, secret=SECRET)
    under_old = Webhook.objects.get().secret
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key-" + "y" * 40, ["old-key-" + "x" * 40]
    out = io.StringIO()
    call_command("reseal_secrets", stdout=out)
    assert out.getvalue().startswith("1 webhook secret(s) resealed")
    under_new = Webhook.objects.get().secret
    assert under_new != under_old
    settings.SECRET_KEY_FALLBACKS = []  # the old key is gone: the resealed secret still opens
    assert sealed.unseal(under_new) == SECRET
    with pytest.raises(sealed.SealBroken):
        sealed.unseal(under_old)
    fire_alert(world, django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    assert signed_with(request, SECRET)


def test_without_the_key_nothing_is_sent_and_nothing_retried(
    world: World,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    add_webhook(world, url=receiver.url, secret=SECRET)
    settings.SECRET_KEY = "a-different-key-" + "z" * 40
    fire_alert(world, django_capture_on_commit_callbacks)
    assert receiver.requests == []  # never sent unsigned
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.ok, delivery.will_retry) == (False, False)
    assert delivery.error.startswith("SealBroken:")


def test_the_migration_seals_secrets_stored_in_clear(world: World) -> None:
    migration = importlib.import_module("annotation_qc.alerts.migrations.0002_webhook_secret_sealed")
    legacy = Webhook.objects.create(project=world.project, url="https://hooks.example/a", secret="plain")
    unsigned = Webhook.objects.create(project=world.project, url="https://hooks.example/b", secret="")
    assert sealed.unseal("plain") == "plain"  # read as it is until sealed
    migration.seal_stored(django_apps, None)
    legacy.refresh_from_db()
    unsigned.refresh_from_db()
    assert legacy.secret.startswith(sealed.PREFIX)
    assert sealed.unseal(legacy.secret) == "plain"
    assert unsigned.secret == ""
    migration.unseal_stored(django_apps, None)
    legacy.refresh_from_db()
    assert legacy.secret == "plain"
