"""Sign-in, tokens and the item image endpoint, with their permissions."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from annotation_qc.accounts.models import ApiToken
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_login_me_logout_cycle(world: World) -> None:
    client = APIClient()
    assert client.get("/api/v1/auth/me/").status_code == 401
    bad = client.post("/api/v1/auth/login/", {"username": "annotator", "password": "nope"}, format="json")
    assert bad.status_code == 400
    assert "password" in bad.json()["errors"]
    ok = client.post("/api/v1/auth/login/", {"username": "annotator", "password": "pw"}, format="json")
    assert ok.status_code == 200
    me = client.get("/api/v1/auth/me/").json()
    assert me["username"] == "annotator"
    assert me["memberships"] == [
        {
            "project_id": world.project.pk,
            "project_name": world.project.name,
            "project_kind": "bbox",
            "role": "annotator",
        }
    ]
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_csrf_endpoint_sets_cookie() -> None:
    response = APIClient().get("/api/v1/auth/csrf/")
    assert response.status_code == 204
    assert "csrftoken" in response.cookies


def test_token_lifecycle_and_hashing(world: World) -> None:
    client = APIClient()
    created = client.post(
        "/api/v1/auth/token/", {"username": "ml_engineer", "password": "pw", "name": "ci"}, format="json"
    )
    assert created.status_code == 201
    raw = created.json()["token"]
    stored = ApiToken.objects.get(pk=created.json()["id"])
    assert raw not in (stored.digest, stored.prefix + stored.digest)
    assert stored.prefix == raw[:8]
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/auth/me/").json()["username"] == "ml_engineer"
    other = world.client("manager")
    assert other.delete(f"/api/v1/auth/tokens/{stored.pk}/").status_code == 404  # not theirs
    assert client.delete(f"/api/v1/auth/tokens/{stored.pk}/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401
    credentials = {"username": "ml_engineer", "password": "x"}
    wrong = APIClient().post("/api/v1/auth/token/", credentials, format="json")
    assert wrong.status_code == 400


@pytest.mark.parametrize(
    ("role", "expected"),
    [("annotator", 200), ("manager", 200), ("ml_engineer", 200), ("outsider", 404), ("anonymous", 401)],
)
def test_item_image_permissions(world: World, settings, tmp_path, role: str, expected: int) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = ItemFactory(
        project=world.project,
        image=default_storage.save("items/x.png", ContentFile(PNG)),
        image_url="",
        priority=10.0,
    )
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task.item_id == item.pk
    response = world.client(role).get(f"/api/v1/images/{item.image_token}/")
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PNG
        # Nothing but the bytes differs between items: no file name, date or tag.
        assert "Content-Disposition" not in response
        assert "Last-Modified" not in response
        assert response["Content-Type"] == "image/png"
    # The integer route is for managers and ML engineers only: annotators know items by token.
    by_pk = world.client(role).get(f"/api/v1/items/{item.pk}/image/")
    assert by_pk.status_code == (404 if role == "annotator" else expected)


def test_annotator_cannot_fetch_images_of_items_not_served_to_them(world: World, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = ItemFactory(
        project=world.project,
        image=default_storage.save("items/y.png", ContentFile(PNG)),
        image_url="",
        priority=-10.0,
    )
    assert world.client("annotator").get(f"/api/v1/images/{item.image_token}/").status_code == 404
    assert world.client("annotator").get(f"/api/v1/items/{item.pk}/image/").status_code == 404


def test_schema_and_docs_are_public_and_unknown_api_paths_are_json_404() -> None:
    client = APIClient()
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    missing = client.get("/api/v1/nothing-here/")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("No API endpoint")
