"""End to end in Chromium: the Alerts, Data, Review, Scorecards and Findings pages, with content on each,
pass axe-core (no serious or critical violation) and work from the keyboard alone: every control is
reached by Tab in order, shows where the focus is, and the page's main action runs from the keyboard."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.agreement.services.reports import agreement_report_compute
from annotation_qc.alerts.models import Alert
from annotation_qc.labeling.models import Item, Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.services import member_add
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import after_submit, annotation_submit
from tests.e2e.helpers import HEIGHT, WIDTH, axe_violations, shot, sign_in, stored_image, user
from tests.e2e.test_manager import scored_project  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Every element a keyboard user must be able to reach, as the browser sees them.
FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), "
    "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"
)


@pytest.fixture
def busy_project(scored_project: dict[str, Any]) -> Any:  # noqa: F811
    """Scored benchmarks, answers with lint findings, a low-agreement item and an open alert."""
    project = scored_project["project"]
    project.overlap = 2
    project.save()
    second = user("ann2")
    member_add(project=project, user=second, role="annotator")
    size = {"width": WIDTH, "height": HEIGHT}
    items_import(
        project=project,
        rows=[{"external_id": f"d{i}", "image": stored_image(f"d{i}"), **size} for i in range(2)],
    )
    Item.objects.filter(project=project, external_id__startswith="d").update(
        required_annotations=2, open_slots=2
    )
    huge = {"x": 0, "y": 0, "w": WIDTH, "h": HEIGHT, "label": "car"}
    answers = {
        scored_project["annotator"].pk: {"boxes": [huge]},
        second.pk: {"boxes": [{"x": 300, "y": 40, "w": 60, "h": 60, "label": "person"}]},
    }
    for annotator_id, payload in answers.items():
        while (task := task_next(project=project, annotator_id=annotator_id)) is not None:
            if task.kind != Task.Kind.REGULAR:
                continue
            annotation_submit(
                task_id=task.pk, annotator_id=annotator_id, payload=payload, client_time_ms=4000
            )
            after_submit(task_id=task.pk)
    agreement_report_compute(project_id=project.pk)
    Alert.objects.create(
        project=project,
        kind="annotator_flagged",
        severity="warning",
        subject=f"annotator:{second.pk}",
        message="ann2's benchmark accuracy fell under the threshold",
        fired_at=timezone.now(),
    )
    return project


def _focus_walk(page: Any, limit: int = 400) -> list[dict[str, Any]]:
    """Tab from the top until the focus leaves the page; each stop with whether it shows a focus ring."""
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus()
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el || el === document.body) return null;
              const style = getComputedStyle(el);
              const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                || (style.boxShadow && style.boxShadow !== 'none');
              if (!el.dataset.walk) el.dataset.walk = String(Math.random());
              return {key: el.dataset.walk, tag: el.tagName, testid: el.dataset.testid ?? null,
                      text: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40),
                      ring};
            }"""
        )
        if stop is None or (stops and stop["key"] == stops[0]["key"]):
            break
        stops.append(stop)
    return stops


def _keyboard_reaches_everything(page: Any, where: str) -> None:
    stops = _focus_walk(page)
    assert len(stops) > 15, (where, stops)  # the navigation and the page's own controls
    reached = {s["key"] for s in stops}
    missed = page.evaluate(
        """([selector, reached]) => [...document.querySelectorAll(selector)]
            .filter(el => el.offsetParent !== null && !el.closest('[inert]'))
            .filter(el => !reached.includes(el.dataset.walk ?? ''))
            .map(el => el.outerHTML.slice(0, 120))""",
        [FOCUSABLE, sorted(reached)],
    )
    assert missed == [], (where, missed)
    no_ring = [s for s in stops if not s["ring"]]
    assert no_ring == [], (where, no_ring)


def _tab_to(page: Any, test_id: str, limit: int = 200) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.dataset?.testid ?? null") == test_id:
            return
    raise AssertionError(f"Tab never reached {test_id}")


def _open(page: Any, base: str, project_id: int, tab: str) -> None:
    page.goto(f"{base}/projects/{project_id}/{tab}")
    page.get_by_test_id(f"{tab}-page").wait_for()
    page.wait_for_load_state("networkidle")


def test_list_pages_pass_axe_and_work_from_the_keyboard(
    page: Any, live_server: Any, busy_project: Any
) -> None:
    project = busy_project
    sign_in(page, live_server.url, "boss")

    # Alerts: acknowledge the open alert with the keyboard.
    _open(page, live_server.url, project.pk, "alerts")
    page.get_by_test_id("alert-row").first.wait_for()
    assert axe_violations(page) == [], "alerts"
    _keyboard_reaches_everything(page, "alerts")
    page.locator("body").focus()
    _tab_to(page, "alert-row-acknowledge")
    page.keyboard.press("Enter")
    page.get_by_test_id("alert-acknowledged").first.wait_for()
    assert Alert.objects.get(project=project).acknowledged_at is not None
    assert axe_violations(page) == [], "alerts after acknowledging"
    shot(page, "keyboard-alerts")

    # Data: start an export with the keyboard.
    _open(page, live_server.url, project.pk, "data")
    assert axe_violations(page) == [], "data"
    _keyboard_reaches_everything(page, "data")
    page.locator("body").focus()
    _tab_to(page, "export-start")
    page.keyboard.press("Enter")
    page.get_by_test_id("export-row").first.wait_for()
    assert axe_violations(page) == [], "data after export"
    shot(page, "keyboard-data")

    # Review: the low-agreement item is resolved with the keyboard.
    _open(page, live_server.url, project.pk, "review")
    page.get_by_test_id("review-item").first.wait_for()
    assert axe_violations(page) == [], "review"
    _keyboard_reaches_everything(page, "review")
    page.locator("body").focus()
    _tab_to(page, "resolve-button")
    page.keyboard.press("Enter")
    page.get_by_test_id("review-resolved").first.wait_for()
    assert axe_violations(page) == [], "review after resolving"
    shot(page, "keyboard-review")

    # Scorecards: sort, then open the annotator's drill-down with the keyboard.
    _open(page, live_server.url, project.pk, "scorecards")
    page.get_by_test_id("scorecard-row").first.wait_for()
    assert axe_violations(page) == [], "scorecards"
    _keyboard_reaches_everything(page, "scorecards")
    page.locator("body").focus()
    _tab_to(page, "drilldown-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/benchmarks")
    shot(page, "keyboard-scorecards")

    # Findings: open the first finding's answer with the keyboard.
    _open(page, live_server.url, project.pk, "findings")
    page.get_by_test_id("finding-row").first.wait_for()
    assert axe_violations(page) == [], "findings"
    _keyboard_reaches_everything(page, "findings")
    page.locator("body").focus()
    _tab_to(page, "finding-open")
    page.keyboard.press("Enter")
    page.get_by_test_id("annotation-page").wait_for()
    shot(page, "keyboard-findings")

    # The check itself fails on a control that hides where the focus is.
    _open(page, live_server.url, project.pk, "findings")
    page.get_by_test_id("finding-row").first.wait_for()
    page.add_style_tag(
        content="[data-testid=finding-open]:focus { outline: none !important; box-shadow: none !important }"
    )
    with pytest.raises(AssertionError, match="finding-open"):
        _keyboard_reaches_everything(page, "findings without a focus ring")


def test_the_other_manager_screens_pass_axe_and_tab_reaches_every_control(
    page: Any, live_server: Any, busy_project: Any
) -> None:
    sign_in(page, live_server.url, "boss")
    for tab in ("dashboard", "charts", "suspects", "setup", "members", "settings"):
        page.goto(f"{live_server.url}/projects/{busy_project.pk}/{tab}")
        page.get_by_test_id(f"nav-{tab}").wait_for()
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], tab
        _keyboard_reaches_everything(page, tab)
