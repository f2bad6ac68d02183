"""Sequential flags through the API: skips count as misses, a flag raises an alert and a webhook by itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotation_qc.alerts.models import Alert, WebhookDelivery
from annotation_qc.benchmarks.models import AnnotatorQuality, AnnotatorStatusChange, BenchmarkTask
from annotation_qc.labeling.models import Task
from annotation_qc.workflow.submit_pipeline import after_skip
from tests.api.benchmark_helpers import serve_and_submit
from tests.api.conftest import World
from tests.api.webhook_helpers import Receiver, add_webhook

pytestmark = pytest.mark.django_db


def next_task(world: World, role: str = "annotator") -> dict[str, Any]:
    response = world.client(role).post(f"/api/v1/projects/{world.project.pk}/next-task/")
    assert response.status_code == 200, response.content
    return response.json()


def skip(world: World, task: dict[str, Any], role: str = "annotator") -> None:
    response = world.client(role).post(
        f"/api/v1/tasks/{task['id']}/skip/", {"reason": "unclear"}, format="json"
    )
    assert response.status_code == 200, response.json()
    after_skip(task_id=Task.objects.get(public_id=task["id"]).pk)  # scoring, as the worker runs it


def test_flag_raises_an_alert_and_a_webhook_without_any_rule(
    bench_world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    bench_world.project.benchmark_rate = 0.5
    bench_world.project.save()
    add_webhook(bench_world, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            serve_and_submit(bench_world, answer="pre")
            if AnnotatorQuality.objects.filter(status="flagged").exists():
                break
    quality = AnnotatorQuality.objects.get(annotator=bench_world.users["annotator"])
    assert quality.status == "flagged"
    assert quality.benchmarks <= 8
    alert = Alert.objects.get(kind="annotator_flagged")
    assert alert.rule is None
    assert alert.subject == f"annotator:{bench_world.users['annotator'].pk}"
    assert alert.data["reason"] == "overall"
    assert WebhookDelivery.objects.filter(alert=alert, ok=True).count() == 1
    body = json.loads(receiver.requests[-1]["body"])
    assert body["alert"]["kind"] == "annotator_flagged"
    # Still flagged on the next benchmark: no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            serve_and_submit(bench_world, answer="pre")
    assert Alert.objects.filter(kind="annotator_flagged").count() == 1
    listed = bench_world.client("manager").get(f"/api/v1/projects/{bench_world.project.pk}/alerts/").json()
    assert any(a["kind"] == "annotator_flagged" for a in listed["results"])


def test_no_alert_when_the_flag_action_is_stop(bench_world: World) -> None:
    bench_world.project.flag_action = "stop"
    bench_world.project.benchmark_rate = 0.5
    bench_world.project.save()
    for _ in range(20):
        if AnnotatorQuality.objects.filter(status="flagged").exists():
            break
        serve_and_submit(bench_world, answer="pre")
    assert AnnotatorQuality.objects.get().status == "flagged"
    assert not Alert.objects.exists()


def test_good_annotator_is_not_flagged_and_has_no_alert(bench_world: World) -> None:
    bench_world.project.benchmark_rate = 0.5
    bench_world.project.save()
    for _ in range(16):
        serve_and_submit(bench_world, answer="gold")
    assert AnnotatorQuality.objects.get().status == "ok"
    assert not Alert.objects.exists()
    assert not AnnotatorStatusChange.objects.filter(status="flagged").exists()


def test_skipped_benchmarks_count_as_misses_and_flag(bench_world: World) -> None:
    """Skipping every benchmark (answering work) no longer leaves an annotator calibrating."""
    bench_world.project.benchmark_rate = 0.5
    bench_world.project.save()
    for _ in range(30):
        task = next_task(bench_world)
        if Task.objects.get(public_id=task["id"]).kind == "benchmark":
            skip(bench_world, task)
        else:
            client = bench_world.client("annotator")
            url = f"/api/v1/tasks/{task['id']}/submit/"
            client.post(url, {"payload": task["pre_annotation"]}, format="json")
    assert Task.objects.filter(kind="regular", status="submitted").count() >= 8
    skipped = BenchmarkTask.objects.filter(skipped=True)
    assert skipped.count() >= 6
    assert set(skipped.values_list("fixed", flat=True)) == {False}
    assert AnnotatorQuality.objects.get().status == "flagged"
    row = next(
        r
        for r in bench_world.client("manager")
        .get(f"/api/v1/projects/{bench_world.project.pk}/annotators/")
        .json()
        if r["username"] == "annotator"
    )
    assert row["benchmarks"]["n"] == skipped.count()
    assert row["benchmarks"]["correct"] == 0
    assert row["benchmarks_skipped"] == skipped.count()
    assert row["skipping"]["benchmarks_skipped"] == skipped.count()
    assert row["skipping"]["work_skipped"] == 0
    assert row["skipping"]["p_value"] < 0.01
    assert row["skipping"]["selective"] is True
    drill = (
        bench_world.client("manager")
        .get(
            f"/api/v1/projects/{bench_world.project.pk}/annotators/{bench_world.users['annotator'].pk}/benchmarks/"
        )
        .json()
    )
    assert {r["skipped"] for r in drill} == {True}
    assert all(r["submitted"] is None for r in drill)


def test_skipping_work_scores_nothing(bench_world: World) -> None:
    bench_world.project.calibration_benchmarks = 0
    bench_world.project.save()
    task = next_task(bench_world)
    assert Task.objects.get(public_id=task["id"]).kind == "regular"
    skip(bench_world, task)
    assert not BenchmarkTask.objects.exists()
    assert AnnotatorQuality.objects.get().benchmarks == 0


def test_scorecard_peer_column_ranks_the_rubber_stamper_below_who_fixes(world: World) -> None:
    """Three annotators share items with a mislabelled pre-annotation: two fix it, one changes nothing."""
    from annotation_qc.labeling.models import Annotation
    from tests.factories import ItemFactory, MembershipFactory, TaskFactory, UserFactory

    pre = {"boxes": [{"x": 10.0, "y": 10.0, "w": 50.0, "h": 40.0, "label": "car"}]}
    fixed = {"boxes": [{**pre["boxes"][0], "label": "person"}]}
    users = [world.users["annotator"], UserFactory(username="fixer"), UserFactory(username="stamper")]
    for user in users[1:]:
        MembershipFactory(project=world.project, user=user, role="annotator")
    answers = {users[0].pk: fixed, users[1].pk: fixed, users[2].pk: pre}
    for _ in range(6):
        item = ItemFactory(project=world.project)
        for user in users:
            task = TaskFactory(item=item, annotator=user, pre_annotation=pre, status="submitted")
            Annotation.objects.create(
                task=task,
                project=world.project,
                item=item,
                annotator=user,
                payload=answers[user.pk],
                server_time_ms=1000,
                submitted_at=task.served_at,
            )
    rows = {
        r["username"]: r
        for r in world.client("manager").get(f"/api/v1/projects/{world.project.pk}/annotators/").json()
    }
    assert rows["stamper"]["peer"]["kept_share"] == 1.0
    assert rows["fixer"]["peer"]["kept_share"] == 0.0
    assert rows["stamper"]["peer"]["score"] < 0.3 < 0.7 < rows["fixer"]["peer"]["score"]
    assert rows["annotator"]["peer"]["items"] == 6
    csv_text = (
        world.client("manager")
        .get(f"/api/v1/projects/{world.project.pk}/annotators/?format=csv")
        .content.decode()
    )
    assert "peer_score" in csv_text.splitlines()[0]


def test_skip_record_runs_the_same_statements_for_work_and_benchmarks(bench_world: World) -> None:
    """The skip path must not tell benchmarks apart by the work it does (statement counts, not timing).

    A change of status (calibrating -> ok, ok -> flagged) writes its record, and only a benchmark can
    change it: those calls are left out (they are rare, and the same on submit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from annotation_qc.benchmarks.services.scoring import benchmark_skip_record

    counts: dict[str, set[int]] = {"benchmark": set(), "regular": set()}
    for n in range(10):
        task = Task.objects.get(public_id=next_task(bench_world)["id"])
        ids = {"task_id": task.pk, "project_id": task.project_id, "annotator_id": task.annotator_id}
        if n == 0:  # the first call creates the quality row
            benchmark_skip_record(**ids, now=timezone.now())
        changes = AnnotatorStatusChange.objects.count()
        with CaptureQueriesContext(connection) as queries:
            benchmark_skip_record(**ids, now=timezone.now())
        if AnnotatorStatusChange.objects.count() == changes:
            counts[task.kind].add(len(queries))
        skip(bench_world, {"id": task.public_id})
    assert counts["benchmark"]
    assert counts["regular"]
    assert counts["benchmark"] == counts["regular"], counts
    assert len(counts["benchmark"]) == 1


def test_peer_evidence_turns_an_undecided_annotator_flagged(world: World) -> None:
    """Benchmarks alone leave the annotator ok; keeping wrong pre-annotations that two skilled partners
    fixed on shared work flags it (and the flag raises its alert), through ``annotator_status_refresh``."""
    from datetime import timedelta

    from django.utils import timezone

    from annotation_qc.benchmarks.models import GoldAnnotation
    from annotation_qc.benchmarks.services.scoring import annotator_status_refresh
    from annotation_qc.labeling.models import Annotation
    from tests.factories import ItemFactory, MembershipFactory, TaskFactory, UserFactory

    project, subject = world.project, world.users["annotator"]
    now = timezone.now()
    box = {"x": 10.0, "y": 10.0, "w": 50.0, "h": 40.0, "label": "car"}
    gold_item = ItemFactory(project=project, is_gold=True)
    gold = GoldAnnotation.objects.create(project=project, item=gold_item, payload={"boxes": [box]})
    for number, fixed in enumerate([True, False] * 4):  # 4 of 8: undecided at threshold 0.6
        BenchmarkTask.objects.create(
            project=project,
            annotator=subject,
            gold=gold,
            gold_payload=gold.payload,
            error_kind="relabel",
            fixed=fixed,
            scored_at=now - timedelta(minutes=60 - number),
        )
    before = annotator_status_refresh(project=project, annotator_id=subject.pk, now=now)
    assert before.status == "ok"
    assert before.flag["peer_rows"] == 0

    partners = [UserFactory(username="partner-1"), UserFactory(username="partner-2")]
    for partner in partners:
        MembershipFactory(project=project, user=partner, role="annotator")
        AnnotatorQuality.objects.create(
            project=project, annotator=partner, status="ok", benchmarks=30, fixed=28
        )
    pre = {"boxes": [box]}
    fixed_payload = {"boxes": [{**box, "label": "person"}]}
    for number in range(15):
        item = ItemFactory(project=project)
        for user, payload in ((subject, pre), (partners[0], fixed_payload), (partners[1], fixed_payload)):
            task = TaskFactory(item=item, annotator=user, pre_annotation=pre, status="submitted")
            Annotation.objects.create(
                task=task,
                project=project,
                item=item,
                annotator=user,
                payload=payload,
                server_time_ms=1000,
                submitted_at=now - timedelta(minutes=30 - number),
            )
    after = annotator_status_refresh(project=project, annotator_id=subject.pk, now=now)
    assert after.status == "flagged"
    assert after.flag["peer_rows"] == 15
    assert after.flag["peer_shared_rows"] == 15
    assert after.flag["benchmarks"] == 8
    assert after.flag["n"] == 8
    assert after.flag["overall_log_lr"] > after.flag["overall_boundary"]
    # The project's model was fitted on the shared items: every pre-annotation there was wrong.
    assert after.flag["peer_model"]["wrong_rate"] > 0.5
    assert (
        Alert.objects.filter(project=project, kind="annotator_flagged", resolved_at__isnull=True).count() == 1
    )
    # The partners who fixed the same items are not flagged by the same evidence.
    partner = annotator_status_refresh(project=project, annotator_id=partners[0].pk, now=now)
    assert partner.status != "flagged"
    rows = {
        r["username"]: r
        for r in world.client("manager").get(f"/api/v1/projects/{project.pk}/annotators/").json()
    }
    assert rows["annotator"]["skill"]["estimate"] < 0.5 < rows["partner-1"]["skill"]["estimate"]
    assert rows["annotator"]["skill"]["peer_rows"] == 15
