"""Alert rules and alerts through the API: configuration, each rule on planted and clean data, episodes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from annotation_qc.agreement.models import AgreementSnapshot
from annotation_qc.alerts.models import Alert, AlertRule
from annotation_qc.alerts.services.checks import alerts_check
from annotation_qc.alerts.tasks import alerts_check_all
from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.domain.alert_params import RULE_KINDS, default_params
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.linting.models import LintFinding
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, ProjectFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(world: World, path: str = "") -> str:
    return f"/api/v1/projects/{world.project.pk}/{path}"


def add_rule(world: World, kind: str, **params: Any) -> dict:
    response = world.client("manager").post(
        url(world, "alert-rules/"), {"kind": kind, "params": params}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def check(world: World) -> dict:
    response = world.client("manager").post(url(world, "alerts/check/"))
    assert response.status_code == 200, response.json()
    return response.json()


def alerts(world: World, status: str = "all") -> list[dict]:
    response = world.client("manager").get(url(world, "alerts/"), {"status": status})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def plant_annotations(
    world: World,
    payloads: list[dict],
    *,
    annotator: Any = None,
    submitted_at: Any = None,
    is_benchmark: bool = False,
) -> list[Annotation]:
    """Submitted annotations (oldest first, a second apart, ending at ``submitted_at``) on new items."""
    annotator = annotator or world.users["annotator"]
    end = submitted_at or timezone.now() - timedelta(minutes=1)
    items = ItemFactory.create_batch(len(payloads), project=world.project, open_slots=0)
    annotations = []
    for i, (item, payload) in enumerate(zip(items, payloads, strict=True)):
        at = end - timedelta(seconds=len(payloads) - i)
        task = Task.objects.create(
            project=world.project,
            item=item,
            annotator=annotator,
            status=Task.Status.SUBMITTED,
            served_at=at,
            lease_expires_at=at + timedelta(minutes=30),
            finished_at=at,
        )
        annotations.append(
            Annotation.objects.create(
                task=task,
                project=world.project,
                item=item,
                annotator=annotator,
                payload=payload,
                server_time_ms=3000,
                is_benchmark=is_benchmark,
                submitted_at=at,
            )
        )
    return annotations


def flag(annotations: list[Annotation]) -> None:
    LintFinding.objects.bulk_create(
        LintFinding(
            annotation=a,
            project_id=a.project_id,
            annotator_id=a.annotator_id,
            item_id=a.item_id,
            code="oversized_box",
            severity="warning",
            message="Box 1 covers most of the image.",
            boxes=[0],
            created_at=a.submitted_at,
        )
        for a in annotations
    )


BOX = {"x": 10, "y": 10, "w": 40, "h": 30}


def boxes(*labels: str) -> dict:
    return {"boxes": [{**BOX, "label": label} for label in labels]}


# --- rules --------------------------------------------------------------------------------------


def test_model_kinds_follow_the_domain() -> None:
    assert tuple(AlertRule.Kind.values) == RULE_KINDS


def test_create_rule_with_defaults_list_and_describe_kinds(world: World) -> None:
    rule = add_rule(world, "agreement_below")
    assert rule["params"] == default_params("agreement_below")
    assert rule["severity"] == "warning"
    assert rule["enabled"] is True
    assert rule["open_alerts"] == 0
    listed = world.client("manager").get(url(world, "alert-rules/")).json()
    assert [r["id"] for r in listed] == [rule["id"]]
    kinds = world.client("manager").get(url(world, "alert-rules/kinds/")).json()
    assert [k["kind"] for k in kinds] == list(RULE_KINDS)
    assert kinds[0]["params"]["threshold"]["default"] == 0.7


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "agreement_below", "params": {"threshold": 2}}, "params.threshold"),
        ({"kind": "agreement_below", "params": {"min_items": "many"}}, "params.min_items"),
        ({"kind": "agreement_below", "params": {"colour": "red"}}, "params.colour"),
        ({"kind": "queue_dry", "params": {"max_open_slots": -1}}, "params.max_open_slots"),
        ({"kind": "label_distribution_shift", "params": {"p_value": 0}}, "params.p_value"),
        ({"kind": "lint_error_rate_above", "params": {"scope": "team"}}, "params.scope"),
        ({"kind": "speed_below"}, "kind"),
        ({"kind": "queue_dry", "params": [1]}, "params"),
        ({"kind": "queue_dry", "severity": "panic"}, "severity"),
        ({"params": {}}, "kind"),
    ],
)
def test_bad_rule_input_is_a_400_naming_the_field(world: World, body: dict, field: str) -> None:
    response = world.client("manager").post(url(world, "alert-rules/"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not AlertRule.objects.exists()


def test_patch_merges_params_and_refuses_a_new_kind(world: World) -> None:
    rule = add_rule(world, "agreement_below", threshold=0.5)
    client = world.client("manager")
    rule_url = url(world, f"alert-rules/{rule['id']}/")
    body = client.patch(rule_url, {"params": {"min_items": 5}, "severity": "critical"}, format="json").json()
    assert body["params"] == {"threshold": 0.5, "statistic": "point", "min_items": 5}
    assert body["severity"] == "critical"
    response = client.patch(rule_url, {"params": {"threshold": -3}}, format="json")
    assert response.status_code == 400
    assert "params.threshold" in response.json()["errors"]
    response = client.patch(rule_url, {"kind": "queue_dry"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]
    assert client.get(url(world, "alert-rules/999999/")).status_code == 404


def test_rules_of_another_project_are_not_found(world: World) -> None:
    other = AlertRule.objects.create(project=ProjectFactory(), kind="queue_dry", params={})
    client = world.client("manager")
    assert client.get(url(world, f"alert-rules/{other.pk}/")).status_code == 404
    assert client.delete(url(world, f"alert-rules/{other.pk}/")).status_code == 404
    assert AlertRule.objects.filter(pk=other.pk).exists()


# --- each rule on planted and clean data --------------------------------------------------------


def test_accuracy_rule_fires_for_a_weak_member_only(world: World) -> None:
    add_rule(world, "annotator_accuracy_below", threshold=0.7)
    weak, good = world.users["annotator"], UserFactory(username="good")
    MembershipFactory(project=world.project, user=good, role="annotator")
    AnnotatorQuality.objects.create(project=world.project, annotator=weak, benchmarks=20, fixed=4)
    AnnotatorQuality.objects.create(project=world.project, annotator=good, benchmarks=20, fixed=19)
    # Not a member any more: no alert about them.
    AnnotatorQuality.objects.create(project=world.project, annotator=world.users["outsider"], benchmarks=20)
    summary = check(world)
    assert len(summary["fired"]) == 1
    (alert,) = alerts(world)
    assert alert["kind"] == alert["code"] == "annotator_accuracy_below"
    assert alert["subject"] == f"annotator:{weak.pk}"
    assert alert["message"].startswith("annotator: benchmark accuracy 20% over 20 benchmarks")
    assert alert["data"]["high"] < 0.7
    assert alert["created_at"] == alert["fired_at"]


def test_accuracy_rule_quiet_on_clean_data(world: World) -> None:
    add_rule(world, "annotator_accuracy_below")
    AnnotatorQuality.objects.create(
        project=world.project, annotator=world.users["annotator"], benchmarks=20, fixed=18
    )
    assert check(world)["fired"] == []


def plant_tasks(world: World, annotator: Any, kind: str, served: int, skipped: int) -> None:
    for i in range(served):
        TaskFactory(
            item=ItemFactory(project=world.project),
            annotator=annotator,
            kind=kind,
            status="skipped" if i < skipped else "submitted",
        )


def test_selective_skipping_rule_fires_for_who_skips_benchmarks_only(world: World) -> None:
    add_rule(world, "selective_skipping")
    dodger, fair = world.users["annotator"], UserFactory(username="fair")
    MembershipFactory(project=world.project, user=fair, role="annotator")
    plant_tasks(world, dodger, "benchmark", served=8, skipped=6)
    plant_tasks(world, dodger, "regular", served=60, skipped=2)
    plant_tasks(world, fair, "benchmark", served=8, skipped=1)  # skips alike
    plant_tasks(world, fair, "regular", served=60, skipped=8)
    (alert_id,) = check(world)["fired"]
    alert = Alert.objects.get(pk=alert_id)
    assert alert.subject == f"annotator:{dodger.pk}"
    assert alert.data["benchmarks_skipped"] == 6
    assert alert.data["work_skipped"] == 2
    assert alert.data["p_value"] < 0.01
    assert "skips benchmarks selectively" in alert.message


def test_selective_skipping_rule_quiet_below_the_minimum(world: World) -> None:
    add_rule(world, "selective_skipping", min_benchmarks=10)
    plant_tasks(world, world.users["annotator"], "benchmark", served=8, skipped=8)
    plant_tasks(world, world.users["annotator"], "regular", served=60, skipped=0)
    assert check(world)["fired"] == []


def test_agreement_rule_fires_on_a_low_latest_report_and_resolves_on_a_good_one(world: World) -> None:
    add_rule(world, "agreement_below", threshold=0.667, min_items=20)
    now = timezone.now()
    AgreementSnapshot.objects.create(
        project=world.project, computed_at=now - timedelta(days=1), alpha=0.9, n_items=40, report={}
    )
    assert check(world)["fired"] == []  # clean
    AgreementSnapshot.objects.create(
        project=world.project, computed_at=now, alpha=0.41, n_items=40, report={}
    )
    (alert_id,) = check(world)["fired"]
    alert = Alert.objects.get(pk=alert_id)
    assert "0.410 over 40 items" in alert.message
    assert alert.data["snapshot_id"] == AgreementSnapshot.objects.latest("computed_at").pk
    AgreementSnapshot.objects.create(
        project=world.project, computed_at=now + timedelta(minutes=5), alpha=0.8, n_items=40, report={}
    )
    assert check(world)["resolved"] == 1


def test_lint_rule_counts_flagged_submissions_in_the_window(world: World) -> None:
    add_rule(world, "lint_error_rate_above", threshold=0.2, min_submissions=10, window_hours=24)
    recent = plant_annotations(world, [boxes("car")] * 20)
    flag(recent[:3])  # 15%: clean
    old = plant_annotations(world, [boxes("car")] * 20, submitted_at=timezone.now() - timedelta(days=3))
    flag(old)  # outside the window
    assert check(world)["fired"] == []
    flag(recent[3:6])  # 6 of 20 = 30%
    (alert_id,) = check(world)["fired"]
    alert = Alert.objects.get(pk=alert_id)
    assert alert.subject == "project"
    assert alert.data["submissions"] == 20
    assert alert.data["flagged"] == 6
    assert "6 of 20 submissions in the last 24 h (30%)" in alert.message


def test_lint_rule_per_annotator_from_real_submissions(world: World) -> None:
    """End to end: the linter's stored warnings on real submissions feed the rule."""
    add_rule(world, "lint_error_rate_above", threshold=0.5, min_submissions=2, scope="annotator")
    annotator = world.users["annotator"]
    huge = {"x": 10, "y": 10, "w": 600, "h": 450, "label": "car"}  # oversized_box warning
    for _ in range(3):
        task = task_next(project=world.project, annotator_id=annotator.pk)
        assert task is not None
        annotation_submit(
            task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": [huge]}, client_time_ms=9000
        )
    assert LintFinding.objects.filter(annotator=annotator).exists()
    (alert_id,) = check(world)["fired"]
    alert = Alert.objects.get(pk=alert_id)
    assert alert.subject == f"annotator:{annotator.pk}"
    assert alert.message.startswith("annotator: 3 of 3 submissions")


def test_label_shift_rule_fires_on_a_changed_mix_and_ignores_benchmarks(world: World) -> None:
    add_rule(world, "label_distribution_shift", window_annotations=10, min_per_window=20)
    before = plant_annotations(
        world, [boxes("car", "car", "person")] * 10, submitted_at=timezone.now() - timedelta(hours=2)
    )
    assert before
    plant_annotations(
        world, [boxes("car", "car", "person")] * 10, submitted_at=timezone.now() - timedelta(hours=1)
    )
    # Benchmark answers never count, however different.
    plant_annotations(world, [boxes("bike", "bike", "bike")] * 10, is_benchmark=True)
    assert check(world)["fired"] == []  # same mix: clean
    plant_annotations(world, [boxes("person", "person", "bike")] * 10)
    (alert_id,) = check(world)["fired"]
    alert = Alert.objects.get(pk=alert_id)
    assert alert.data["recent_counts"] == {"car": 0, "person": 20, "bike": 10}
    assert alert.data["previous_counts"] == {"car": 20, "person": 10, "bike": 0}
    assert alert.data["p_value"] < 0.001
    assert "The label mix of the last 10 annotations" in alert.message


def test_label_shift_rule_waits_for_two_full_windows(world: World) -> None:
    add_rule(world, "label_distribution_shift", window_annotations=10, min_per_window=5)
    plant_annotations(world, [boxes("car")] * 5 + [boxes("person")] * 10)
    assert check(world)["fired"] == []


def test_queue_dry_rule_fires_when_no_slots_are_left_for_annotators(world: World) -> None:
    add_rule(world, "queue_dry")
    assert check(world)["fired"] == []  # 3 items with open slots
    Item.objects.filter(project=world.project).update(open_slots=0)
    ItemFactory(project=world.project, is_gold=True, open_slots=1)  # gold items are not the queue
    (alert_id,) = check(world)["fired"]
    assert Alert.objects.get(pk=alert_id).message.startswith("The queue ran dry")


# --- episodes -----------------------------------------------------------------------------------


def test_an_alert_fires_once_per_episode_and_resolves_when_the_condition_clears(world: World) -> None:
    add_rule(world, "queue_dry")
    Item.objects.filter(project=world.project).update(open_slots=0)
    first = check(world)
    assert len(first["fired"]) == 1
    assert first["open"] == 1
    again = check(world)  # still dry: no second alert
    assert again["fired"] == []
    assert again["open"] == 1
    assert Alert.objects.count() == 1
    Item.objects.filter(project=world.project).update(open_slots=1)
    cleared = check(world)
    assert cleared["resolved"] == 1
    assert cleared["open"] == 0
    Item.objects.filter(project=world.project).update(open_slots=0)
    assert len(check(world)["fired"]) == 1  # a new episode
    listed = alerts(world)
    assert [a["status"] for a in listed] == ["open", "resolved"]  # open first
    assert [a["status"] for a in alerts(world, "open")] == ["open"]
    assert [a["status"] for a in alerts(world, "resolved")] == ["resolved"]
    for alert in listed:
        assert {"kind", "code", "message", "created_at", "severity"} <= set(alert)
    response = world.client("manager").get(url(world, "alerts/"), {"status": "closed"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_per_annotator_episodes_are_separate(world: World) -> None:
    add_rule(world, "annotator_accuracy_below", statistic="point")
    second = UserFactory(username="second")
    MembershipFactory(project=world.project, user=second, role="annotator")
    weak = AnnotatorQuality.objects.create(
        project=world.project, annotator=world.users["annotator"], benchmarks=20, fixed=5
    )
    assert len(check(world)["fired"]) == 1
    AnnotatorQuality.objects.create(project=world.project, annotator=second, benchmarks=20, fixed=5)
    assert len(check(world)["fired"]) == 1  # only the second one is new
    weak.fixed = 19
    weak.save()
    summary = check(world)
    assert summary["resolved"] == 1
    assert Alert.objects.get(resolved_at__isnull=True).subject == f"annotator:{second.pk}"


def test_disabling_or_deleting_a_rule_resolves_its_open_alerts(world: World) -> None:
    rule = add_rule(world, "queue_dry")
    Item.objects.filter(project=world.project).update(open_slots=0)
    check(world)
    client = world.client("manager")
    rule_url = url(world, f"alert-rules/{rule['id']}/")
    assert client.get(rule_url).json()["open_alerts"] == 1
    assert client.patch(rule_url, {"enabled": False}, format="json").json()["open_alerts"] == 0
    assert check(world)["rules"] == 0
    client.patch(rule_url, {"enabled": True}, format="json")
    assert len(check(world)["fired"]) == 1
    assert client.delete(rule_url).status_code == 204
    assert Alert.objects.count() == 2
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    assert {a["rule_id"] for a in alerts(world)} == {None}  # history stays, with its kind
    assert {a["kind"] for a in alerts(world)} == {"queue_dry"}


def test_a_broken_rule_is_reported_and_does_not_stop_the_others(world: World) -> None:
    broken = AlertRule.objects.create(
        project=world.project, kind="agreement_below", params={"threshold": "x"}
    )
    add_rule(world, "queue_dry")
    Item.objects.filter(project=world.project).update(open_slots=0)
    summary = check(world)
    assert len(summary["fired"]) == 1
    assert str(broken.pk) in summary["failed"]
    assert "threshold" in summary["failed"][str(broken.pk)]


def test_acknowledge_keeps_the_first_acknowledgement(world: World) -> None:
    add_rule(world, "queue_dry")
    Item.objects.filter(project=world.project).update(open_slots=0)
    (alert_id,) = check(world)["fired"]
    ack_url = url(world, f"alerts/{alert_id}/acknowledge/")
    body = world.client("manager").post(ack_url).json()
    assert body["acknowledged_by"] == "manager"
    assert body["status"] == "open"  # acknowledged, but the queue is still dry
    second_manager = UserFactory(username="boss")
    MembershipFactory(project=world.project, user=second_manager, role="manager")
    world.users["boss"] = second_manager
    again = world.client("boss").post(ack_url).json()
    assert again["acknowledged_by"] == "manager"
    assert again["acknowledged_at"] == body["acknowledged_at"]
    other = Alert.objects.create(
        project=ProjectFactory(), kind="queue_dry", subject="project", message="m", fired_at=timezone.now()
    )
    assert world.client("manager").post(url(world, f"alerts/{other.pk}/acknowledge/")).status_code == 404


# --- beat ---------------------------------------------------------------------------------------


def test_beat_checks_every_project_with_an_enabled_rule(world: World) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["alerts-check"] == {"task": "alerts.check_all", "schedule": 300.0}
    add_rule(world, "queue_dry")
    Item.objects.filter(project=world.project).update(open_slots=0)
    quiet = ProjectFactory()
    AlertRule.objects.create(project=quiet, kind="queue_dry", params={}, enabled=False)
    assert alerts_check_all.apply().get() == 1
    assert Alert.objects.filter(project=world.project, resolved_at__isnull=True).count() == 1
    assert not Alert.objects.filter(project=quiet).exists()
    assert alerts_check(project=world.project).fired == []  # the beat's episode is the same episode
