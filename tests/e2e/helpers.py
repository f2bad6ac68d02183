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
