"""The benchmark audit on simulated projects: quiet when benchmarks look like work, loud on a planted tell."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from annotation_qc.alerts.models import Alert
from annotation_qc.benchmarks.models import BenchmarkAudit
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


#: The planted tell: benchmark boxes on whole pixels, as a gold set is often written, against the model's
#: 0.01 px (key order or extra keys would not do: every pre-annotation is served in one canonical form).
def model_boxes(rng: np.random.Generator, *, integral: bool = False) -> dict:
    digits = 0 if integral else 2
    boxes = []
    for _ in range(int(rng.integers(1, 5))):
        boxes.append(
            {
                "x": float(round(float(rng.uniform(0, 500)), digits)),
                "y": float(round(float(rng.uniform(0, 400)), digits)),
                "w": float(round(float(rng.uniform(20, 120)), digits)),
                "h": float(round(float(rng.uniform(20, 120)), digits)),
                "label": str(rng.choice(["car", "person", "bike"])),
            }
        )
    return {"boxes": boxes}


def simulate_served(world: World, *, tell: bool, annotators: int = 4, per_annotator: int = 60) -> None:
    """Tasks served in sequence to a few annotators, 10% of them benchmarks chosen at random.

    Items are created in serving order (so ids carry no block), pre-annotations are drawn from one
    model-like distribution; with ``tell`` the benchmarks' boxes sit on whole pixels.
    """
    rng = np.random.default_rng(7)
    Item.objects.filter(project=world.project).delete()
    users = [world.users["annotator"]]
    for i in range(annotators - 1):
        user = UserFactory(username=f"sim-{i}")
        MembershipFactory(project=world.project, user=user, role="annotator")
        users.append(user)
    start = timezone.now() - timedelta(days=1)
    for step in range(per_annotator):
        for n, user in enumerate(users):
            benchmark = bool(rng.random() < 0.1)
            item = ItemFactory(project=world.project, is_gold=benchmark)
            served = start + timedelta(seconds=60 * step + n + float(rng.uniform(0, 30)))
            TaskFactory(
                item=item,
                annotator=user,
                kind="benchmark" if benchmark else "regular",
                pre_annotation=model_boxes(rng, integral=tell and benchmark),
                status="submitted",
                served_at=served,
                finished_at=served + timedelta(seconds=20),
            )


def test_alike_tasks_audit_near_one_half(world: World) -> None:
    # 600 tasks (about 60 benchmarks): with 24 benchmarks the null AUC's spread (sd ~0.06) alone
    # crossed 0.6 now and then; at 60 it is ~0.04, so only a real tell reaches 0.6.
    simulate_served(world, tell=False, per_annotator=150)
    response = world.client("manager").post(f"/api/v1/projects/{world.project.pk}/benchmark-audit/")
    assert response.status_code == 201
    audit = response.json()["audit"]
    assert audit["n_tasks"] == 600
    assert audit["n_benchmarks"] >= 40
    assert audit["auc"] <= 0.6
    assert audit["low"] <= audit["auc"] <= audit["high"]
    latest = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/benchmark-audit/").json()
    assert latest["audit"]["id"] == audit["id"]


def test_a_planted_tell_is_detected_and_named(world: World) -> None:
    simulate_served(world, tell=True)
    out = StringIO()
    call_command("benchmark_audit", "--project", str(world.project.pk), stdout=out)
    audit = BenchmarkAudit.objects.get()
    assert audit.auc >= 0.9
    top = audit.result["features"][0]
    assert top["name"] in {"integer_share", "max_decimals", "pre_annotation_bytes"}
    assert top["auc"] >= 0.95
    assert "ROC AUC" in out.getvalue()
    assert top["name"] in out.getvalue()


def test_audit_rule_fires_on_a_tell_and_runs_a_stale_audit(world: World) -> None:
    simulate_served(world, tell=True)
    client = world.client("manager")
    rule = client.post(
        f"/api/v1/projects/{world.project.pk}/alert-rules/",
        {"kind": "benchmark_audit_auc_above", "params": {"threshold": 0.6}},
        format="json",
    )
    assert rule.status_code == 201, rule.json()
    assert not BenchmarkAudit.objects.exists()
    summary = client.post(f"/api/v1/projects/{world.project.pk}/alerts/check/").json()
    (alert_id,) = summary["fired"]
    alert = Alert.objects.get(pk=alert_id)
    assert alert.kind == "benchmark_audit_auc_above"
    assert "Benchmarks can be told from work" in alert.message
    assert alert.data["audit_id"] == BenchmarkAudit.objects.get().pk
    # A fresh audit is reused by the next check (no second run within refresh_hours).
    client.post(f"/api/v1/projects/{world.project.pk}/alerts/check/")
    assert BenchmarkAudit.objects.count() == 1


def test_audit_rule_quiet_when_alike(world: World) -> None:
    simulate_served(world, tell=False)
    world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/alert-rules/",
        {"kind": "benchmark_audit_auc_above"},
        format="json",
    )
    assert (
        world.client("manager").post(f"/api/v1/projects/{world.project.pk}/alerts/check/").json()["fired"]
        == []
    )


def test_no_verdict_without_enough_benchmarks(world: World) -> None:
    body = world.client("manager").post(f"/api/v1/projects/{world.project.pk}/benchmark-audit/").json()
    assert body["audit"]["auc"] is None
    assert "at least 5 benchmarks" in body["audit"]["reason"]
    empty: Any = world.client("manager").get(f"/api/v1/projects/{world.project.pk + 999}/benchmark-audit/")
    assert empty.status_code == 404
