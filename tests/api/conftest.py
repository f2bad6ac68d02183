from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation_qc.accounts.models import User
from annotation_qc.projects.models import Membership, Project
from tests.api.benchmark_helpers import bench_world  # noqa: F401  (the gold-and-predictions project fixture)
from tests.api.webhook_helpers import receiver  # noqa: F401  (the webhook receiver fixture, for every API test)
from tests.factories import ItemFactory, MembershipFactory, ProjectFactory, UserFactory

ROLES = ("annotator", "manager", "ml_engineer", "outsider", "anonymous")


@dataclass
class World:
    project: Project
    users: dict[str, User] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.force_authenticate(self.users[role])
        return client


@pytest.fixture
def world(db: Any) -> World:
    project = ProjectFactory(labels=["car", "person", "bike"])
    users = {role: UserFactory(username=role) for role in ("annotator", "manager", "ml_engineer", "outsider")}
    for role in ("annotator", "manager", "ml_engineer"):
        MembershipFactory(project=project, user=users[role], role=role)
    ItemFactory.create_batch(3, project=project)
    # The outsider belongs to another project, so they are a real user with rights elsewhere.
    other = ProjectFactory()
    MembershipFactory(project=other, user=users["outsider"], role=Membership.Role.MANAGER)
    return World(project=project, users=users)


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    """Uploaded and stored files go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    """Runs on-commit callbacks (the enqueued jobs) when its block ends: ``with capture(execute=True):``."""
    return django_capture_on_commit_callbacks


def run_jobs() -> Any:
    """Runs the jobs enqueued on commit (scoring after a submit, preparing the next task) at block end."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
