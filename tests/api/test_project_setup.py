"""Managers set up projects: labels with colours and hotkeys, retiring, renaming, instructions, members."""

from __future__ import annotations

import pytest

from annotation_qc.labeling.models import Annotation
from annotation_qc.projects.models import Membership, Project
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _create(world: World, **extra: object) -> object:
    body = {"name": "Digits", "kind": "classification", "labels": [str(d) for d in range(10)], **extra}
    return world.client("manager").post("/api/v1/projects/", body, format="json")


def test_create_with_label_colours_hotkeys_and_instructions(world: World) -> None:
    response = _create(
        world,
        label_config={"3": {"colour": "#AA0000", "hotkey": "x"}},
        instructions="# Rules\n<script>alert(1)</script>",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    details = {d["name"]: d for d in body["label_details"]}
    assert details["3"] == {"name": "3", "colour": "#aa0000", "hotkey": "x", "retired": False}
    # Single-digit labels keep their own digit as hotkey: "0" is 0, "9" is 9.
    assert details["0"]["hotkey"] == "0"
    assert details["9"]["hotkey"] == "9"
    # Stored as written: the client renders Markdown with raw HTML off.
    assert Project.objects.get(pk=body["id"]).instructions.endswith("<script>alert(1)</script>")


def test_word_labels_get_1_to_9_then_0() -> None:
    from annotation_qc.projects.label_rules import labels_effective

    labels = [f"l{i}" for i in range(11)]
    keys = [row["hotkey"] for row in labels_effective(labels=labels, config={})]
    assert keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", None]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"1": {"hotkey": "q"}, "2": {"hotkey": "q"}}, "label_config.2.hotkey"),
        ({"1": {"hotkey": "h"}}, "label_config.1.hotkey"),
        ({"1": {"colour": "red"}}, "label_config.1.colour"),
        ({"nope": {"hotkey": "q"}}, "label_config.nope"),
        ({"1": {"retired": "yes"}}, "label_config.1.retired"),
    ],
)
def test_bad_label_settings_are_400_naming_the_field(world: World, config: dict, field: str) -> None:
    response = _create(world, label_config=config)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Project.objects.filter(name="Digits").exists()


def test_retire_a_label_in_use_but_not_delete_it(world: World) -> None:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    annotation_submit(
        task_id=task.pk,
        annotator_id=task.annotator_id,
        payload={"boxes": [{"x": 1, "y": 1, "w": 3, "h": 3, "label": "bike"}]},
        client_time_ms=4000,
    )
    url = f"/api/v1/projects/{world.project.pk}/"
    manager = world.client("manager")
    removed = manager.patch(url, {"labels": ["car", "person"]}, format="json")
    assert removed.status_code == 400
    assert "labels" in removed.json()["errors"]
    retired = manager.patch(url, {"label_config": {"bike": {"retired": True}}}, format="json")
    assert retired.status_code == 200
    bike = next(d for d in retired.json()["label_details"] if d["name"] == "bike")
    assert bike["retired"] is True
    assert bike["hotkey"] is None
    assert "bike" in retired.json()["labels"]
    assert Annotation.objects.filter(project=world.project).count() == 1
    everything = manager.patch(
        url, {"label_config": {"car": {"retired": True}, "person": {"retired": True}}}, format="json"
    )
    assert everything.status_code == 400
    assert "label_config" in everything.json()["errors"]
    added = manager.patch(url, {"labels": ["car", "person", "bike", "bicycle"]}, format="json")
    assert added.json()["labels"] == ["car", "person", "bike", "bicycle"]
    # Renaming one in use: refused, naming "from".
    renamed = manager.post(f"{url}labels/rename/", {"from": "bike", "to": "cycle"}, format="json")
    assert renamed.status_code == 400
    assert "from" in renamed.json()["errors"]


def test_rename_label(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/labels/rename/"
    manager = world.client("manager")
    world.project.label_config = {"bike": {"hotkey": "b"}}
    world.project.save()
    taken = manager.post(url, {"from": "bike", "to": "car"}, format="json")
    assert taken.status_code == 400
    assert "to" in taken.json()["errors"]
    missing = manager.post(url, {"from": "boat", "to": "ship"}, format="json")
    assert "from" in missing.json()["errors"]
    blank = manager.post(url, {"from": "bike"}, format="json")
    assert blank.status_code == 400
    assert "to" in blank.json()["errors"]
    ok = manager.post(url, {"from": "bike", "to": "bicycle"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["labels"] == ["car", "person", "bicycle"]
    world.project.refresh_from_db()
    assert world.project.label_config == {"bicycle": {"hotkey": "b"}}


def test_members_added_once_roles_changed_and_searched(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/members/"
    manager = world.client("manager")
    UserFactory(username="olga")
    assert manager.post(url, {"username": "olga", "role": "annotator"}, format="json").status_code == 201
    twice = manager.post(url, {"username": "olga", "role": "manager"}, format="json")
    assert twice.status_code == 400
    assert "username" in twice.json()["errors"]
    unknown_role = manager.post(url, {"username": "outsider", "role": "boss"}, format="json")
    assert unknown_role.status_code == 400
    assert "role" in unknown_role.json()["errors"]
    nobody = manager.post(url, {"username": "ghost", "role": "annotator"}, format="json")
    assert "username" in nobody.json()["errors"]
    olga = Membership.objects.get(project=world.project, user__username="olga")
    changed = manager.patch(f"{url}{olga.user_id}/", {"role": "ml_engineer"}, format="json")
    assert changed.json()["role"] == "ml_engineer"
    bad = manager.patch(f"{url}{olga.user_id}/", {"role": "boss"}, format="json")
    assert "role" in bad.json()["errors"]
    found = manager.get(f"/api/v1/projects/{world.project.pk}/member-candidates/?q=O").json()["results"]
    assert [(r["username"], r["is_member"]) for r in found] == [("olga", True), ("outsider", False)]


def test_staff_account_with_one_time_set_password_link(world: World) -> None:
    from rest_framework.test import APIClient

    staff = APIClient()
    staff.force_authenticate(UserFactory(username="root", is_staff=True))
    created = staff.post("/api/v1/accounts/", {"username": "newbie", "email": "n@example.org"}, format="json")
    assert created.status_code == 201
    link = created.json()["set_password_url"]
    again = staff.post("/api/v1/accounts/", {"username": "NEWBIE"}, format="json")
    assert "username" in again.json()["errors"]
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(link).query)
    body = {"uid": query["uid"][0], "token": query["token"][0]}
    anon = APIClient()
    assert anon.post("/api/v1/auth/login/", {"username": "newbie", "password": "x"}).status_code == 400
    weak = anon.post("/api/v1/auth/set-password/", {**body, "password": "short"}, format="json")
    assert weak.status_code == 400
    assert "password" in weak.json()["errors"]
    ok = anon.post("/api/v1/auth/set-password/", {**body, "password": "a-long-passphrase"}, format="json")
    assert ok.status_code == 204
    reused = anon.post(
        "/api/v1/auth/set-password/", {**body, "password": "another-passphrase"}, format="json"
    )
    assert reused.status_code == 400
    assert "token" in reused.json()["errors"]
    login = anon.post("/api/v1/auth/login/", {"username": "newbie", "password": "a-long-passphrase"})
    assert login.status_code == 200


def test_hotkey_preferences_per_user(world: World) -> None:
    client = world.client("annotator")
    pid = str(world.project.pk)
    ok = client.patch("/api/v1/auth/me/preferences/", {"hotkeys": {pid: {"car": "Q"}}}, format="json")
    assert ok.json()["hotkeys"] == {pid: {"car": "q"}}
    assert client.get("/api/v1/auth/me/").json()["preferences"]["hotkeys"][pid] == {"car": "q"}
    twice = client.patch("/api/v1/auth/me/preferences/", {"hotkeys": {pid: {"bike": "q"}}}, format="json")
    assert twice.status_code == 400
    reserved = client.patch("/api/v1/auth/me/preferences/", {"hotkeys": {pid: {"bike": "s"}}}, format="json")
    assert f"hotkeys.{pid}.bike" in reserved.json()["errors"]
    cleared = client.patch("/api/v1/auth/me/preferences/", {"hotkeys": {pid: {"car": None}}}, format="json")
    assert cleared.json()["hotkeys"] == {pid: {}}


def test_prioritisation_started_while_one_runs_shows_the_running_job(world: World) -> None:
    from annotation_qc.core.jobs import job_create
    from annotation_qc.prioritization.models import PriorityRun

    job = job_create(kind="prioritize", project_id=world.project.pk, created_by_id=None, params={})
    run = PriorityRun.objects.create(project=world.project, job=job, strategy="random")
    url = f"/api/v1/projects/{world.project.pk}/prioritize/"
    response = world.client("manager").post(url, {"strategy": "margin"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["job_id"], body["run_id"]) == (job.pk, run.pk)
    assert PriorityRun.objects.filter(project=world.project).count() == 1
    PriorityRun.objects.filter(pk=run.pk).update(status=PriorityRun.Status.FAILED)
    again = world.client("manager").post(url, {"strategy": "random"}, format="json")
    assert again.status_code == 202
