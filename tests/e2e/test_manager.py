"""End to end in Chromium: a manager reads the scorecards and one annotator's benchmark drill-down."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from annotation_qc.benchmarks.models import BenchmarkTask
from annotation_qc.benchmarks.selectors import scorecards
from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.labeling.models import Task
from annotation_qc.labeling.services.imports import items_import, predictions_import
from annotation_qc.projects.services import member_add, project_create
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.e2e.helpers import HEIGHT, WIDTH, sign_in, stored_image, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOLD = {
    "boxes": [
        {"x": 100, "y": 100, "w": 120, "h": 100, "label": "car"},
        {"x": 380, "y": 220, "w": 100, "h": 100, "label": "person"},
    ]
}


def _pct(value: float) -> str:
    """As the page's formatPct: (value * 100).toFixed(0), exact ties rounded up."""
    return f"{Decimal(value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


@pytest.fixture
def scored_project() -> dict[str, Any]:
    """A pre-annotated bbox project whose annotator was served three benchmarks (a seeded mistake in each)
    and fixed two of them."""
    manager, annotator = user("boss"), user("ann")
    project = project_create(
        name="Street scenes",
        kind="bbox",
        labels=["car", "person"],
        settings={
            "overlap_fraction": 0.0,
            "benchmark_rate": 0.0,
            "calibration_benchmarks": 3,
            "calibration_window": 3,
        },
        creator=manager,
    )
    member_add(project=project, user=annotator, role="annotator")
    size = {"width": WIDTH, "height": HEIGHT}
    items_import(project=project, rows=[{"external_id": "s0", "image": stored_image("s0"), **size}])
    # Model predictions make the project pre-annotated, so benchmarks come with a seeded mistake.
    predictions_import(project=project, model_version="v1", rows=[{"external_id": "s0", "payload": GOLD}])
    gold_import(
        project=project,
        rows=[
            {"external_id": f"g{i}", "image": stored_image(f"g{i}"), **size, "payload": GOLD}
            for i in range(3)
        ],
        user=manager,
    )
    for answer in ("gold", "gold", "pre-annotation"):  # calibration: the first three tasks are benchmarks
        task = task_next(project=project, annotator_id=annotator.pk)
        assert task is not None
        assert task.kind == Task.Kind.BENCHMARK
        payload = GOLD if answer == "gold" else task.pre_annotation
        annotation_submit(task_id=task.pk, annotator_id=annotator.pk, payload=payload, client_time_ms=4000)
    assert sorted(BenchmarkTask.objects.values_list("fixed", flat=True)) == [False, True, True]
    return {"project": project, "annotator": annotator}


def test_manager_opens_scorecards_and_benchmark_drilldown(
    page: Any, live_server: Any, scored_project
) -> None:
    project, annotator = scored_project["project"], scored_project["annotator"]
    sign_in(page, live_server.url, "boss")
    page.get_by_test_id("open-scorecards").click()
    page.get_by_test_id("scorecards-page").wait_for()

    row = page.locator('[data-testid="scorecard-row"][data-username="ann"]')
    row.wait_for()
    assert row.get_by_test_id("benchmark-count").inner_text() == "2/3 fixed"
    accuracy = row.locator('svg[aria-label^="ann benchmark accuracy"]').get_attribute("aria-label")
    assert accuracy.startswith("ann benchmark accuracy: 67% (95% interval ")
    assert row.locator(".interval-bar").count() >= 1  # the interval is drawn
    assert (
        row.get_by_test_id("trend-plot")
        .get_attribute("aria-label")
        .startswith("ann accuracy over time: 3 points")
    )
    assert row.get_by_test_id("status-badge").inner_text() in {"calibrating", "ok", "flagged"}
    assert page.get_by_test_id("scorecards-note").count() == 0  # gold exists and benchmarks are on

    # Skill (benchmarks and peer evidence under the population prior): past calibration, a figure with its
    # interval, the one the API sends; the header explains it.
    (sent,) = [c["skill"] for c in scorecards(project=project) if c["username"] == "ann"]
    assert sent is not None
    skill = row.get_by_test_id("skill-cell")
    label = skill.locator("[data-testid=interval] svg").get_attribute("aria-label")
    estimate, low, high = (_pct(sent[key]) for key in ("estimate", "low", "high"))
    assert label == f"ann skill: {estimate} (95% interval {low} to {high})"
    assert skill.locator(".interval-bar").count() == 3
    assert skill.get_by_test_id("skill-evidence").inner_text() == "3 benchmarks, 0 answers on regular items"
    header = page.get_by_test_id("sort-skill").locator("xpath=..")
    assert "a wider bar means less evidence" in header.get_attribute("title")

    row.get_by_test_id("drilldown-link").click()
    drilldown = page.get_by_test_id("drilldown")
    drilldown.wait_for()
    assert drilldown.get_attribute("data-user-id") == str(annotator.pk)
    assert page.url.endswith(f"/projects/{project.pk}/annotators/{annotator.pk}/benchmarks")
    cards = page.get_by_test_id("benchmark-card")
    cards.nth(2).wait_for()
    assert cards.count() == 3
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.fixed)")) == ["false", "true", "true"]
    assert page.get_by_test_id("drilldown-summary").inner_text().startswith("2 of 3 benchmark tasks fixed.")

    for card in cards.all():
        kinds = card.get_by_test_id("overlay-box").evaluate_all("els => els.map(e => e.dataset.kind)")
        assert kinds.count("gold") == 2
        assert kinds.count("seeded") >= 1
        assert kinds.count("submitted") >= 1
    # The overlay's image is served: the drill-down shows the item itself under the boxes.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=overlay] img')].every(i => i.naturalWidth > 0)"
    )

    # The legend hides a layer.
    page.locator('[data-testid="legend-item"][data-kind="seeded"] input').uncheck()
    assert page.locator('[data-testid="overlay-box"][data-kind="seeded"]').count() == 0
    assert page.locator('[data-testid="overlay-box"][data-kind="gold"]').count() == 6
