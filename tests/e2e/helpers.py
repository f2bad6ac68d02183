"""Seeding and browser helpers shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from annotation_qc.accounts.models import User
from annotation_qc.demo.images import png_bytes

PASSWORD = "secret-pw"
WIDTH, HEIGHT = 640, 480


def stored_image(name: str) -> str:
    """A small PNG saved through the ``image`` field's storage: ``/api/v1/items/{id}/image/`` serves it."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "#d8dde3")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 220, 200), fill="#5b7db1")
    draw.ellipse((380, 220, 480, 320), fill="#b15b5b")
    return default_storage.save(f"items/{name}.png", ContentFile(png_bytes(image)))


def user(username: str) -> User:
    account = User.objects.create(username=username)
    account.set_password(PASSWORD)
    account.save()
    return account


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-username").wait_for()  # signed in: the session cookie is set


def screen_point(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the screen: stage origin + view offset + image * view scale."""
    stage = page.get_by_test_id("canvas-stage")
    page.wait_for_function(
        "el => Number(el.dataset.viewScale) > 0 && el.querySelector('canvas')", arg=stage.element_handle()
    )
    box = stage.bounding_box()
    scale = float(stage.get_attribute("data-view-scale"))
    ox, oy = float(stage.get_attribute("data-view-x")), float(stage.get_attribute("data-view-y"))
    return box["x"] + ox + x * scale, box["y"] + oy + y * scale


def drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A left-button drag between two image points, in small steps as a hand would."""
    (x1, y1), (x2, y2) = screen_point(page, *start), screen_point(page, *end)
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=5)
    page.mouse.move(x2, y2, steps=5)
    page.mouse.up()


def wait_for_next_task(page: Any, previous: str) -> str:
    """Waits until the workspace shows a task other than ``previous``; returns its id."""
    page.wait_for_function(
        "previous => { const w = document.querySelector('[data-testid=workspace]');"
        " return w && w.dataset.taskId !== previous; }",
        arg=previous,
    )
    return page.get_by_test_id("workspace").get_attribute("data-task-id")


def inside_viewport(page: Any, test_id: str) -> bool:
    box = page.get_by_test_id(test_id).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and (box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"])
    )


SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def shot(page: Any, name: str) -> None:
    """A screenshot kept for review (test-artifacts/screens/, not committed)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (its source injected into the page) on the whole page: its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


#: Every element a keyboard user must be able to reach, as the browser sees them.
FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), "
    "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"
)


def focus_walk(page: Any, limit: int = 400) -> list[dict[str, Any]]:
    """Tab from the top until the focus leaves the page; each stop with whether it shows a focus ring."""
    # The walk starts at the top of the page: the body focused (made focusable for the moment), which also
    # moves the browser's starting point of Tab there (it stays where a removed, focused control was).
    page.evaluate(
        """() => { document.activeElement?.blur(); window.scrollTo(0, 0); document.body.tabIndex = -1;
                   document.body.focus(); document.body.removeAttribute('tabindex'); }"""
    )
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


def keyboard_reaches_everything(page: Any, where: str, at_least: int = 16) -> None:
    stops = focus_walk(page)
    assert len(stops) >= at_least, (where, stops)  # the navigation and the page's own controls
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


def tab_to(page: Any, test_id: str, limit: int = 200) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.dataset?.testid ?? null") == test_id:
            return
    raise AssertionError(f"Tab never reached {test_id}")


def moved_on(page: Any, review_id: str | None, waiting: int) -> None:
    """Waits until the workspace shows another review, opened, and the queue, reloaded, holds ``waiting``
    (the server is done with both before the test reads the database)."""
    page.wait_for_function(
        """([id, n]) => { const panel = document.querySelector('[data-testid=review-panel]');
             return panel && panel.dataset.reviewId !== id
               && document.querySelectorAll('[data-testid=review-queue-row]').length === n; }""",
        arg=[review_id, waiting],
    )


def focus_lands_in(page: Any, test_id: str) -> None:
    """Waits until the keyboard focus is inside the element (a time-out fails the test)."""
    page.wait_for_function("id => !!document.activeElement?.closest(`[data-testid=${id}]`)", arg=test_id)


def reviewed_project(
    *,
    name: str,
    kind: str,
    labels: list[str],
    pre_annotation: dict[str, Any],
    first_answer: dict[str, Any],
    second_answer: dict[str, Any],
) -> dict[str, Any]:
    """Review on for every answer; three items each answered by two annotators ("ann": ``first_answer``,
    "ann2": ``second_answer``) over ``pre_annotation``, so each review shows the pre-annotation and another
    answer; a reviewer ("rev"). Returns the project and the first annotator."""
    from annotation_qc.labeling.models import Item
    from annotation_qc.labeling.services.imports import items_import, predictions_import
    from annotation_qc.projects.services import member_add, project_create
    from annotation_qc.review.models import Review, ReviewConfig
    from annotation_qc.workflow.dispatch_pipeline import task_next
    from annotation_qc.workflow.submit_pipeline import after_submit, annotation_submit

    manager, first, second, reviewer = user("boss"), user("ann"), user("ann2"), user("rev")
    project = project_create(
        name=name,
        kind=kind,
        labels=labels,
        settings={"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0},
        creator=manager,
    )
    for annotator in (first, second):
        member_add(project=project, user=annotator, role="annotator")
    member_add(project=project, user=reviewer, role="reviewer")
    ReviewConfig.objects.create(
        project=project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    size = {"width": WIDTH, "height": HEIGHT}
    names = [f"{name[0].lower()}{i}" for i in range(3)]
    items_import(project=project, rows=[{"external_id": n, "image": stored_image(n), **size} for n in names])
    rows = [{"external_id": n, "payload": pre_annotation} for n in names]
    predictions_import(project=project, model_version="v1", rows=rows)
    Item.objects.filter(project=project).update(required_annotations=2, open_slots=2)
    for annotator_id, payload in ((first.pk, first_answer), (second.pk, second_answer)):
        while (task := task_next(project=project, annotator_id=annotator_id)) is not None:
            annotation_submit(
                task_id=task.pk, annotator_id=annotator_id, payload=payload, client_time_ms=4000
            )
            after_submit(task_id=task.pk)
    assert Review.objects.filter(project=project, status=Review.Status.PENDING).count() == 6
    return {"project": project, "first": first}
