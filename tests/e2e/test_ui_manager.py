"""End to end in Chromium: managers set up and run projects in the UI, each result checked in the database."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.accounts.models import User
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.projects.models import Membership, Project
from annotation_qc.projects.services import member_add, project_create
from tests.e2e.helpers import HEIGHT, WIDTH, axe_violations, shot, sign_in, stored_image, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _project(manager: User) -> Project:
    project = project_create(
        name="Street",
        kind="bbox",
        labels=["car", "person"],
        settings={"benchmark_rate": 0.0},
        creator=manager,
    )
    rows = [
        {
            "external_id": f"s{i}",
            "image": stored_image(f"s{i}"),
            "width": WIDTH,
            "height": HEIGHT,
            "priority": i,
        }
        for i in range(30)
    ]
    items_import(project=project, rows=rows)
    return project


def test_manager_creates_a_project_with_labels_keys_instructions_and_settings(
    page: Any, live_server: Any
) -> None:
    user("boss")
    sign_in(page, live_server.url, "boss")
    page.get_by_test_id("project-new").click()
    page.get_by_test_id("project-form").wait_for()
    page.get_by_test_id("project-name").fill("Pets")
    page.get_by_test_id("project-kind-classification").check()
    names = page.get_by_test_id("label-row-name")
    names.nth(0).fill("cat")
    names.nth(1).fill("dog")
    keys = page.get_by_test_id("label-row-hotkey")
    keys.nth(0).fill("c")
    keys.nth(1).fill("c")
    page.get_by_test_id("project-instructions").fill("# Pets\n<script>window.__pwned=1</script>")
    page.get_by_test_id("project-setting-benchmark_rate").fill("0.1")
    page.get_by_test_id("project-create").click()
    # A hotkey used twice is named on its field, and nothing is created.
    error = page.get_by_test_id("label-row-hotkey-error")
    error.wait_for()
    assert "already the hotkey of cat" in error.inner_text()
    assert not Project.objects.filter(name="Pets").exists()
    shot(page, "manager-new-project-error")
    keys.nth(1).fill("d")
    page.get_by_test_id("instructions-preview-toggle").click()
    assert page.get_by_test_id("instructions-preview").locator("script").count() == 0
    page.get_by_test_id("project-create").click()
    page.get_by_test_id("setup-saved").wait_for()
    project = Project.objects.get(name="Pets")
    assert project.kind == "classification"
    assert project.labels == ["cat", "dog"]
    assert project.label_config["dog"]["hotkey"] == "d"
    assert project.benchmark_rate == pytest.approx(0.1)
    assert project.instructions.startswith("# Pets")
    assert Membership.objects.get(project=project).role == "manager"
    assert page.evaluate("() => window.__pwned === undefined")
    shot(page, "manager-setup-after-create")


def test_manager_retires_a_label_in_use_renames_an_unused_one_and_edits_instructions(
    page: Any, live_server: Any
) -> None:
    manager = user("boss")
    project = _project(manager)
    from annotation_qc.labeling.models import Annotation  # noqa: F401  (labels in use below)
    from annotation_qc.workflow.dispatch_pipeline import task_next
    from annotation_qc.workflow.submit_pipeline import annotation_submit

    annotator = user("ann")
    member_add(project=project, user=annotator, role="annotator")
    task = task_next(project=project, annotator_id=annotator.pk)
    assert task is not None
    box = {"x": 1, "y": 1, "w": 30, "h": 30, "label": "person"}
    annotation_submit(
        task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": [box]}, client_time_ms=5000
    )

    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/setup")
    page.get_by_test_id("setup-form").wait_for()
    person = page.locator('[data-testid="label-row"][data-label="person"]')
    person.get_by_test_id("label-row-retired").check()
    page.get_by_test_id("label-add").click()
    page.get_by_test_id("label-row-name").nth(2).fill("bike")
    page.get_by_test_id("setup-instructions").fill("Box every **bike** too.")
    page.get_by_test_id("setup-save").click()
    page.get_by_test_id("setup-saved").wait_for()
    project.refresh_from_db()
    assert project.labels == ["car", "person", "bike"]
    assert project.label_config["person"]["retired"] is True
    assert project.instructions == "Box every **bike** too."
    # Renaming a label that answers use is refused, naming why.
    page.locator('[data-testid="label-row"][data-label="car"]').get_by_test_id("label-row-rename").click()
    page.get_by_test_id("rename-to").fill("person")
    page.get_by_test_id("rename-save").click()
    assert "already a label" in page.get_by_test_id("rename-error").inner_text()
    shot(page, "manager-setup-rename-refused")
    assert axe_violations(page) == []


def test_manager_adds_changes_and_removes_members(page: Any, live_server: Any) -> None:
    manager = user("boss")
    project = _project(manager)
    user("olga")
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/members")
    page.get_by_test_id("members-page").wait_for()
    # Keyboard only: type the name, Tab to the role, choose with the keyboard, Enter adds.
    page.get_by_test_id("member-username").focus()
    page.keyboard.type("olga")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # annotator -> manager
    page.keyboard.press("ArrowUp")  # back to annotator
    page.get_by_test_id("member-username").press("Enter")
    row = page.locator('[data-testid="member-row"][data-username="olga"]')
    row.wait_for()
    assert Membership.objects.get(project=project, user__username="olga").role == "annotator"
    page.get_by_test_id("member-username").fill("olga")
    page.get_by_test_id("member-add").click()
    page.get_by_test_id("member-error-username").locator("li").wait_for()
    assert "already a member" in page.get_by_test_id("member-error-username").inner_text()
    row.get_by_test_id("member-role").select_option("ml_engineer")
    olga = "document.querySelector('[data-testid=member-row][data-username=olga]')"
    page.wait_for_function(f"() => {olga}?.dataset.role === 'ml_engineer'")
    assert Membership.objects.get(project=project, user__username="olga").role == "ml_engineer"
    assert axe_violations(page) == []
    shot(page, "manager-members")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("member-remove").click()
    row.wait_for(state="detached")
    assert not Membership.objects.filter(project=project, user__username="olga").exists()


def test_staff_create_an_account_whose_owner_sets_a_password_once(
    browser: Any, page: Any, live_server: Any
) -> None:
    admin = user("root")
    admin.is_staff = True
    admin.save()
    sign_in(page, live_server.url, "root")
    page.get_by_test_id("open-accounts").click()
    page.get_by_test_id("account-username").fill("newbie")
    page.get_by_test_id("account-create").click()
    link = page.get_by_test_id("account-link").locator("code").inner_text()
    assert "/set-password?uid=" in link
    assert not User.objects.get(username="newbie").has_usable_password()
    shot(page, "staff-account-created")
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    fresh = other.new_page()
    try:
        fresh.goto(link)
        fresh.get_by_test_id("set-password").fill("a-long-passphrase")
        fresh.get_by_test_id("set-password-again").fill("a-long-passphrase")
        fresh.get_by_test_id("set-password-submit").click()
        fresh.get_by_test_id("set-password-done").wait_for()
        assert axe_violations(fresh) == []
        assert User.objects.get(username="newbie").check_password("a-long-passphrase")
        fresh.goto(link)  # the link works once
        fresh.get_by_test_id("set-password").fill("another-passphrase")
        fresh.get_by_test_id("set-password-again").fill("another-passphrase")
        fresh.get_by_test_id("set-password-submit").click()
        assert "link" in fresh.get_by_test_id("set-password-error").inner_text()
    finally:
        other.close()


def test_manager_prioritises_follows_the_job_and_pages_the_queue(page: Any, live_server: Any) -> None:
    manager = user("boss")
    project = _project(manager)
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/dashboard")
    card = page.get_by_test_id("dashboard-prioritize")
    card.wait_for()
    page.get_by_test_id("prioritize-strategy").select_option("random")
    page.get_by_test_id("prioritize-start").click()
    job = "document.querySelector('[data-testid=prioritize-job]')"
    page.wait_for_function(f"() => ['succeeded', 'failed'].includes({job}?.dataset.status)")
    run = PriorityRun.objects.get(project=project)
    assert run.strategy == "random"
    assert page.get_by_test_id("prioritize-job").get_attribute("data-status") == run.job.status
    page.wait_for_function(
        "() => document.querySelector('[data-testid=full-queue]')?.dataset.strategy === 'random'"
    )
    first_page = page.get_by_test_id("full-queue-row").evaluate_all("rs => rs.map(r => r.dataset.itemId)")
    assert len(first_page) == 25
    page.get_by_test_id("full-queue-next").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=full-queue-row]').length === 5")
    second_page = page.get_by_test_id("full-queue-row").evaluate_all("rs => rs.map(r => r.dataset.itemId)")
    assert not set(first_page) & set(second_page)
    assert axe_violations(page) == []
    shot(page, "manager-prioritised")


@pytest.mark.parametrize("viewport", [(1280, 720), (1920, 1080)])
def test_charts_render_with_their_data_as_csv(page: Any, live_server: Any, viewport: tuple[int, int]) -> None:
    manager = user("boss")
    project = _project(manager)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/charts")
    page.get_by_test_id("charts-page").wait_for()
    queue = page.get_by_test_id("chart-queue-scores")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=chart-queue-scores]')?.dataset.rows > 0"
    )
    assert queue.locator("svg").count() > 0
    page.get_by_test_id("chart-queue-scores-table-toggle").click()
    counts = (
        page.get_by_test_id("chart-queue-scores-table").locator("tbody tr td:last-child").all_inner_texts()
    )
    assert sum(int(c) for c in counts) == 30
    csv = page.request.get(
        live_server.url + page.get_by_test_id("chart-queue-scores-csv").get_attribute("href")
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text().splitlines()[0] == "start,end,count"
    assert axe_violations(page) == []
    shot(page, f"manager-charts-{viewport[0]}x{viewport[1]}")


def test_manager_screens_have_no_serious_accessibility_violations(page: Any, live_server: Any) -> None:
    manager = user("boss")
    project = _project(manager)
    sign_in(page, live_server.url, "boss")
    for path in ("/", "/projects/new", f"/projects/{project.pk}/setup", f"/projects/{project.pk}/dashboard"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], path


def test_a_finding_links_to_the_answer_drawn_over_its_image(page: Any, live_server: Any) -> None:
    from annotation_qc.workflow.dispatch_pipeline import task_next
    from annotation_qc.workflow.submit_pipeline import annotation_submit

    manager = user("boss")
    project = _project(manager)
    annotator = user("ann")
    member_add(project=project, user=annotator, role="annotator")
    task = task_next(project=project, annotator_id=annotator.pk)
    assert task is not None
    big = {"x": 0, "y": 0, "w": WIDTH, "h": HEIGHT, "label": "car"}
    annotation, _ = annotation_submit(
        task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": [big]}, client_time_ms=9000
    )
    assert annotation.findings.exists()
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/findings")
    page.get_by_test_id("finding-open").first.click()
    view = page.get_by_test_id("annotation-page")
    view.wait_for()
    assert view.get_attribute("data-annotation-id") == str(annotation.pk)
    page.get_by_test_id("overlay-box").first.wait_for()
    assert page.get_by_test_id("overlay-box").count() == 1
    assert page.get_by_test_id("annotation-findings").locator("li").count() == annotation.findings.count()
    assert axe_violations(page) == []
    shot(page, "manager-finding-answer")


def _tab_to(page: Any, test_id: str, limit: int = 40) -> None:
    """Presses Tab until the element with this test id (the next one in order) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.dataset?.testid ?? null") == test_id:
            return
    raise AssertionError(f"Tab never reached {test_id}")


def test_a_project_is_created_and_set_up_with_the_keyboard_alone(page: Any, live_server: Any) -> None:
    user("boss")
    sign_in(page, live_server.url, "boss")
    _tab_to(page, "project-new")
    page.keyboard.press("Enter")
    page.get_by_test_id("project-form").wait_for()
    _tab_to(page, "project-name")
    page.keyboard.type("Keys")
    _tab_to(page, "project-kind-bbox")
    page.keyboard.press("ArrowDown")  # the radio group: classification
    _tab_to(page, "label-row-name")
    page.keyboard.type("yes")
    _tab_to(page, "label-row-hotkey")
    page.keyboard.type("y")
    _tab_to(page, "label-row-name")
    page.keyboard.type("no")
    page.keyboard.press("Enter")  # submits the form
    page.get_by_test_id("setup-form").wait_for()
    project = Project.objects.get(name="Keys")
    assert (project.kind, project.labels) == ("classification", ["yes", "no"])
    assert project.label_config["yes"]["hotkey"] == "y"
    # The set-up screen: retire "no" and save, by keyboard.
    _tab_to(page, "label-row-retired")
    _tab_to(page, "label-row-retired")
    page.keyboard.press("Space")
    _tab_to(page, "setup-save")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=setup-saved]')?.textContent === 'Saved.'"
    )
    project.refresh_from_db()
    assert project.label_config["no"]["retired"] is True
