"""Builds the demo: users for every role, a digits classification project and a shapes bbox project."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction

from annotation_qc.accounts.models import User
from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.demo.images import SHAPE_LABELS, digit_images, noisy_prediction, shape_scene
from annotation_qc.exchange.services.images import image_store
from annotation_qc.labeling.services.imports import items_import, predictions_import
from annotation_qc.projects.models import Membership, Project
from annotation_qc.projects.services import member_add, project_create

DEMO_USERS = {
    "admin": ("demo-admin", None),
    "manager": ("demo-manager", Membership.Role.MANAGER),
    "annotator1": ("demo-annotator", Membership.Role.ANNOTATOR),
    "annotator2": ("demo-annotator", Membership.Role.ANNOTATOR),
    "annotator3": ("demo-annotator", Membership.Role.ANNOTATOR),
    "mlteam": ("demo-mlteam", Membership.Role.ML_ENGINEER),
}
#: Gold items (known answers, served as seeded-error benchmarks), named like every other item.
GOLD_DIGITS = 30
GOLD_SCENES = 25
DIGITS_PROJECT = "Demo: handwritten digits"
SHAPES_PROJECT = "Demo: shapes"


@dataclass(frozen=True)
class DemoSummary:
    logins: dict[str, str]
    projects: dict[str, int]


def _users() -> dict[str, User]:
    users = {}
    for username, (password, _) in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = user.is_superuser = username == "admin"
        user.save()
        users[username] = user
    return users


def _store(name: str, content: bytes) -> str:
    """Stored like any imported image: under an opaque key (``name`` is only for the reader)."""
    return image_store(content=content)


def _add_members(project: Project, users: dict[str, User]) -> None:
    for username, (_, role) in DEMO_USERS.items():
        if role is not None and role != Membership.Role.MANAGER:
            member_add(project=project, user=users[username], role=role)


def _digits(users: dict[str, User], count: int) -> Project:
    project = project_create(
        name=DIGITS_PROJECT,
        kind=Project.Kind.CLASSIFICATION,
        labels=[str(d) for d in range(10)],
        settings={"overlap": 2, "overlap_fraction": 0.2, "benchmark_rate": 0.1},
        creator=users["manager"],
    )
    _add_members(project, users)
    pngs, features, _ = digit_images(count)
    rows = [
        {
            "external_id": f"digit-{i:04d}",
            "image": _store(f"demo/digits/{i:04d}.png", png),
            "width": 96,
            "height": 96,
            "features": features[i].tolist(),
            "metadata": {"source": "sklearn digits"},
        }
        for i, png in enumerate(pngs)
    ]
    items_import(project=project, rows=rows)
    gold_pngs, _, gold_labels = digit_images(count + GOLD_DIGITS)
    gold_import(
        project=project,
        rows=[
            {
                "external_id": f"digit-{i:04d}",
                "image": _store(f"demo/digits/{i:04d}.png", gold_pngs[i]),
                "width": 96,
                "height": 96,
                "payload": {"label": str(gold_labels[i])},
            }
            for i in range(count, count + GOLD_DIGITS)
        ],
        user=users["manager"],
    )
    return project


def _shapes(users: dict[str, User], count: int, seed: int) -> Project:
    rng = np.random.default_rng(seed)
    project = project_create(
        name=SHAPES_PROJECT,
        kind=Project.Kind.BBOX,
        labels=SHAPE_LABELS,
        settings={"overlap": 2, "overlap_fraction": 0.2, "benchmark_rate": 0.1},
        creator=users["manager"],
    )
    _add_members(project, users)
    rows, predictions = [], []
    for i in range(count):
        scene = shape_scene(rng)
        eid = f"scene-{i:04d}"
        rows.append(
            {
                "external_id": eid,
                "image": _store(f"demo/shapes/{i:04d}.png", scene.png),
                "width": scene.width,
                "height": scene.height,
                "metadata": {"true_boxes": len(scene.boxes)},
            }
        )
        boxes, scores = noisy_prediction(scene.boxes, rng, width=scene.width, height=scene.height)
        predictions.append({"external_id": eid, "payload": {"boxes": boxes}, "scores": scores})
    items_import(project=project, rows=rows)
    predictions_import(project=project, model_version="shapes-detector-v1", rows=predictions)
    gold_rows = []
    for i in range(count, count + GOLD_SCENES):
        scene = shape_scene(rng)
        gold_rows.append(
            {
                "external_id": f"scene-{i:04d}",
                "image": _store(f"demo/shapes/{i:04d}.png", scene.png),
                "width": scene.width,
                "height": scene.height,
                "payload": {"boxes": scene.boxes},
            }
        )
    gold_import(project=project, rows=gold_rows, user=users["manager"])
    return project


@transaction.atomic
def demo_load(*, digits: int = 200, scenes: int = 80, seed: int = 7) -> DemoSummary:
    """Create (or re-create) the demo users and projects."""
    Project.objects.filter(name__in=[DIGITS_PROJECT, SHAPES_PROJECT]).delete()
    users = _users()
    projects = {p.name: p.pk for p in (_digits(users, digits), _shapes(users, scenes, seed))}
    return DemoSummary(logins={u: p for u, (p, _) in DEMO_USERS.items()}, projects=projects)
