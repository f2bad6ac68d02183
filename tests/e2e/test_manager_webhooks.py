"""End to end in Chromium: a manager edits a webhook under the production guard against internal URLs."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.alerts.models import Webhook
from annotation_qc.alerts.services.webhooks import webhook_create
from annotation_qc.projects.services import project_create
from tests.e2e.helpers import sign_in, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def production_guard(settings: Any) -> None:
    """Webhooks may not target internal addresses, as in production (the test settings allow them)."""
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}


def test_manager_edits_a_webhook(page: Any, live_server: Any, production_guard: None) -> None:
    manager = user("boss")
    project = project_create(name="Street scenes", kind="bbox", labels=["car"], settings={}, creator=manager)
    hook = webhook_create(
        project=project,
        url="https://hooks.example.com/old",
        name="Team channel",
        secret="s3cret",
        user_id=manager.pk,
    )
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/alerts")
    row = page.locator(f'[data-testid="webhook-row"][data-webhook-id="{hook.pk}"]')
    row.wait_for()
    assert row.get_attribute("data-has-secret") == "true"

    row.get_by_test_id("webhook-edit").click()
    form = page.locator('[data-testid="webhook-form"][data-mode="edit"]')
    form.wait_for()
    url = form.get_by_test_id("webhook-field-url")
    assert url.input_value() == "https://hooks.example.com/old"
    assert form.get_by_test_id("webhook-field-secret").input_value() == ""

    # The server refuses an internal address, named under the URL field; nothing is stored.
    url.fill("http://127.0.0.1/hook")
    form.get_by_test_id("webhook-save").click()
    error = form.get_by_test_id("webhook-error-url")
    error.wait_for()
    assert "127.0.0.1 is not a public address" in error.inner_text()
    assert url.get_attribute("aria-invalid") == "true"
    assert Webhook.objects.get(pk=hook.pk).url == "https://hooks.example.com/old"

    # A public URL, a new name and no secret: the row shows what the server stored.
    url.fill("https://hooks.example.com/new")
    form.get_by_test_id("webhook-field-name").fill("Ops")
    form.get_by_test_id("webhook-remove-secret").check()
    form.get_by_test_id("webhook-save").click()
    page.get_by_test_id("webhooks-saved").wait_for()
    page.wait_for_function("el => el.dataset.hasSecret === 'false'", arg=row.element_handle())
    assert "Ops" in row.inner_text()
    assert "https://hooks.example.com/new" in row.inner_text()
    assert row.get_by_test_id("webhook-secret").inner_text() == "unsigned"
    stored = Webhook.objects.get(pk=hook.pk)
    assert (stored.url, stored.name, stored.secret) == ("https://hooks.example.com/new", "Ops", "")
    assert stored.active
