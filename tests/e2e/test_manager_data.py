"""End to end in Chromium: a manager exports and imports data, and sets up an alert rule."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.services import member_add, project_create
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.e2e.helpers import HEIGHT, WIDTH, sign_in, stored_image, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: A COCO file whose rows are wrong in three ways: a width that is not a number, a box outside its
#: image and an annotation of an image that does not exist.
MALFORMED_COCO = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 640, "height": 480},
        {"id": 2, "file_name": "b.png", "width": "wide", "height": 480},
    ],
    "categories": [{"id": 1, "name": "car"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 40]},
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [600, 10, 80, 40]},
        {"id": 3, "image_id": 9, "category_id": 1, "bbox": [10, 10, 5, 5]},
    ],
}


@pytest.fixture
def data_project() -> Any:
    """A bbox project whose one annotator labeled each of its three items once (one answer is final)."""
    manager, annotator = user("boss"), user("ann")
    project = project_create(
        name="Street scenes",
        kind="bbox",
        labels=["car", "person"],
        settings={"overlap": 1, "overlap_fraction": 0.0, "benchmark_rate": 0.0},
        creator=manager,
    )
    member_add(project=project, user=annotator, role="annotator")
    size = {"width": WIDTH, "height": HEIGHT}
    items_import(
        project=project,
        rows=[{"external_id": f"s{i}", "image": stored_image(f"s{i}"), **size} for i in range(3)],
    )
    for _ in range(3):
        task = task_next(project=project, annotator_id=annotator.pk)
        assert task is not None
        box = {"x": 100, "y": 100, "w": 120, "h": 100, "label": "car"}
        annotation_submit(
            task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": [box]}, client_time_ms=4000
        )
    return project


def open_tab(page: Any, tab: str) -> None:
    page.get_by_test_id(f"nav-{tab}").click()
    page.get_by_test_id(f"{tab}-page").wait_for()


def test_manager_exports_imports_and_sets_an_alert_rule(page: Any, live_server: Any, data_project) -> None:
    project = data_project
    sign_in(page, live_server.url, "boss")
    page.get_by_test_id("open-dashboard").click()
    page.get_by_test_id("dashboard").wait_for()
    open_tab(page, "data")
    assert page.url.endswith(f"/projects/{project.pk}/data")
    page.get_by_test_id("exports-empty").wait_for()

    # Export: JSON Lines, then download it and check its sha256 against the one shown.
    page.get_by_test_id("export-format").select_option("jsonl")
    page.get_by_test_id("export-start").click()
    page.locator('[data-testid="export-job"][data-status="succeeded"]').wait_for()
    row = page.locator('[data-testid="export-row"][data-status="ready"][data-format="jsonl"]')
    row.wait_for()
    sha = row.get_by_test_id("export-sha")
    shown = sha.get_attribute("title")
    assert len(shown) == 64
    assert sha.inner_text() == shown[:12]
    href = row.get_by_test_id("export-download").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.ok
    content = response.body()
    assert hashlib.sha256(content).hexdigest() == shown
    assert response.headers["etag"] == f'"{shown}"'
    lines = [json.loads(line) for line in content.decode().splitlines()]
    assert [line["external_id"] for line in lines] == ["s0", "s1", "s2"]
    assert all(line["annotation"]["boxes"][0]["label"] == "car" for line in lines)
    assert row.get_by_test_id("export-items").inner_text() == "3"
    # The finished export opens its manifest, which names the same content.
    manifest = page.get_by_test_id("export-manifest")
    assert manifest.get_by_test_id("manifest-sha256").inner_text() == shown
    assert manifest.get_by_test_id("manifest-items").inner_text() == "3"

    # Import: a malformed COCO file is rejected, each bad row named.
    page.get_by_test_id("import-format").select_option("coco")
    page.get_by_test_id("import-as").select_option("items")
    page.get_by_test_id("import-file").set_input_files(
        {"name": "broken.json", "mimeType": "application/json", "buffer": json.dumps(MALFORMED_COCO).encode()}
    )
    page.get_by_test_id("import-start").click()
    page.locator('[data-testid="import-job"][data-status="failed"]').wait_for()
    report = page.locator('[data-testid="import-report"][data-status="rejected"]')
    report.wait_for()
    rows = report.get_by_test_id("import-rejected-row")
    where = rows.evaluate_all("els => els.map(e => e.dataset.row)")
    named = dict(zip(where, rows.all_inner_texts(), strict=True))
    assert set(named) == {"images[1]", "annotations[1]", "annotations[2]"}
    assert "width" in named["images[1]"]
    assert "outside its image" in named["annotations[1]"]
    assert "image_id 9" in named["annotations[2]"]
    assert report.get_by_test_id("import-rejected-total").inner_text() == "3"
    import_row = page.get_by_test_id("import-row").first
    assert import_row.get_attribute("data-status") == "rejected"
    assert project.items.count() == 3  # nothing was imported

    # Alerts: a queue_dry rule, listed; checking it fires while the queue holds few open slots.
    open_tab(page, "alerts")
    page.get_by_test_id("rules-empty").wait_for()
    page.get_by_test_id("rule-new").click()
    form = page.get_by_test_id("rule-form")
    form.get_by_test_id("rule-field-kind").select_option("queue_dry")
    assert form.get_by_test_id("rule-param-max_open_slots").input_value() == "0"
    assert "Default 0" in form.get_by_test_id("rule-param-hint-max_open_slots").inner_text()
    form.get_by_test_id("rule-field-name").fill("Queue running low")
    form.get_by_test_id("rule-param-max_open_slots").fill("100")
    form.get_by_test_id("rule-save").click()
    rule = page.locator('[data-testid="rule-row"][data-kind="queue_dry"]')
    rule.wait_for()
    assert "Queue running low" in rule.inner_text()
    assert rule.get_attribute("data-enabled") == "true"
    assert rule.get_by_test_id("rule-params").inner_text() == "max open slots 100 · min annotators 1"

    page.get_by_test_id("alerts-check").click()
    result = page.get_by_test_id("alerts-check-result")
    result.wait_for()
    assert result.get_attribute("data-fired") == "1"
    page.locator('[data-testid="alert-row"][data-kind="queue_dry"][data-status="open"]').wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=rule-row] [data-testid=rule-open-alerts]')"
        "?.textContent === '1'"
    )


def test_ml_engineer_reaches_data_but_not_the_managers_screens(
    page: Any, live_server: Any, data_project
) -> None:
    project = data_project
    member_add(project=project, user=user("mlteam"), role="ml_engineer")
    sign_in(page, live_server.url, "mlteam")

    # The project card links to what the role may open: the dashboard and the Data page.
    card = page.get_by_test_id("project-card")
    card.get_by_test_id("open-data").wait_for()
    assert card.get_by_test_id("open-dashboard").is_visible()
    assert card.get_by_test_id("open-scorecards").count() == 0
    card.get_by_test_id("open-data").click()
    page.get_by_test_id("data-page").wait_for()
    tabs = page.locator("nav.tabs a").evaluate_all("els => els.map(e => e.dataset.testid)")
    assert tabs == ["nav-dashboard", "nav-charts", "nav-suspects", "nav-data"]
    targets = page.get_by_test_id("import-as").locator("option").evaluate_all("els => els.map(e => e.value)")
    assert targets == ["items", "predictions"]  # gold is for managers

    # The back end lets ML engineers export.
    page.get_by_test_id("exports-empty").wait_for()
    page.get_by_test_id("export-format").select_option("csv")
    page.get_by_test_id("export-start").click()
    page.locator('[data-testid="export-job"][data-status="succeeded"]').wait_for()
    page.locator('[data-testid="export-row"][data-status="ready"][data-format="csv"]').wait_for()

    # The dashboard opens without the managers' parts; the alerts page does not open at all.
    page.get_by_test_id("nav-dashboard").click()
    page.get_by_test_id("progress-items").wait_for()
    assert page.get_by_test_id("dashboard-alerts").count() == 0
    assert page.get_by_test_id("agreement-compute").count() == 0
    page.goto(f"{live_server.url}/projects/{project.pk}/alerts")
    assert "Managers only" in page.get_by_test_id("not-allowed").inner_text()
