"""Schemathesis against the OpenAPI schema: no 5xx, and every answer is one the schema documents.

Every operation of ``/api/schema/`` is called through the WSGI app (no server) with requests that
fit the schema and requests that do not, as an annotator, an ML engineer and a manager of a seeded
project, with the path's ids pointing at that project's real objects so the calls reach past the
404s. Each response must not be a server error, must have a documented status code and content
type, and its body must match the documented schema. The run is bounded (examples per operation,
derandomised so CI is repeatable); ``AQC_FUZZ_EXAMPLES=200`` makes a deeper local run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err, Ok

from annotation_qc.accounts.services import api_token_create
from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.core.jobs import job_create
from annotation_qc.labeling.services.imports import items_import, predictions_import
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("AQC_FUZZ_EXAMPLES", "6"))
#: Only the operations whose path contains this (a quicker local run while fixing one endpoint).
ONLY = os.environ.get("AQC_FUZZ_ONLY", "")
BOX = {"x": 4, "y": 4, "w": 20, "h": 10, "label": "car"}


@dataclass
class Seeded:
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The WSGI app, with the per-request connection closing off (the test's transaction stays)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db: Any) -> Seeded:
    """A bbox project with items (features, predictions), gold, a submitted and an open task, a job."""
    project = ProjectFactory.create(
        labels=["car", "person"], benchmark_rate=0.0, overlap=2, overlap_fraction=0.5
    )
    manager, annotator, engineer = (
        UserFactory.create(username="fuzz-manager"),
        UserFactory.create(username="fuzz-annotator"),
        UserFactory.create(username="fuzz-engineer"),
    )
    MembershipFactory.create(project=project, user=manager, role="manager")
    MembershipFactory.create(project=project, user=annotator, role="annotator")
    MembershipFactory.create(project=project, user=engineer, role="ml_engineer")
    rows = [
        {
            "external_id": f"f{i}",
            "image_url": f"https://img.example/f{i}.png",
            "width": 64,
            "height": 48,
            "features": [float(i), float(i % 3), 1.0],
            "priority": float(i),
        }
        for i in range(12)
    ]
    items = items_import(project=project, rows=rows)
    predictions_import(
        project=project,
        model_version="m1",
        rows=[{"external_id": f"f{i}", "payload": {"boxes": [BOX]}, "scores": [0.6]} for i in range(12)],
    )
    gold_import(
        project=project,
        rows=[
            {
                "external_id": "g1",
                "image_url": "https://img.example/g1.png",
                "width": 64,
                "height": 48,
                "payload": {"boxes": [BOX]},
            }
        ],
        user=manager,
    )
    done = task_next(project=project, annotator_id=annotator.pk)
    assert done is not None
    annotation_submit(
        task_id=done.pk, annotator_id=annotator.pk, payload={"boxes": [BOX]}, client_time_ms=900
    )
    open_task = task_next(project=project, annotator_id=annotator.pk)
    assert open_task is not None
    job = job_create(kind="prioritize", project_id=project.pk, created_by_id=manager.pk, params={})
    people = (("manager", manager), ("annotator", annotator), ("ml_engineer", engineer))
    tokens = {role: api_token_create(user=user, name="fuzz")[1] for role, user in people}
    # A spare token of each caller for DELETE /auth/tokens/{token_id}/ (revoking the one in use would
    # turn the rest of the run into 401s).
    spare = {role: api_token_create(user=user, name="spare")[0].pk for role, user in people}
    ids = {
        "project_id": project.pk,
        "item_id": items[0].pk,
        "task_id": open_task.pk,
        "job_id": job.pk,
        "user_id": annotator.pk,
        **{f"token_id.{role}": pk for role, pk in spare.items()},
    }
    return Seeded(ids=ids, tokens=tokens)


def _path_ids(operation: Any, seeded: Seeded, role: str) -> dict[str, int]:
    names = [parameter.name for parameter in operation.path_parameters]
    return {name: seeded.ids.get(f"{name}.{role}", seeded.ids.get(name, 0)) for name in names}


def _fuzz(
    operation: Any, mode: GenerationMode, path_ids: dict[str, int], headers: dict[str, str]
) -> list[Any]:
    """Call the operation with up to EXAMPLES generated requests; the (case, response) pairs."""
    seen: list[Any] = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_ids))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        seen.append((case, case.call(headers=headers)))

    try:
        call()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to make invalid (no body, no parameters).
        assert mode == GenerationMode.NEGATIVE, f"no valid request for {operation.label}"
    return seen


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _problems(case: schemathesis.Case, response: Any) -> list[str]:
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        return [
            f"{type(f).__name__}: {f.title}: {str(getattr(f, 'message', ''))[:400]}" for f in group.exceptions
        ]
    except AssertionError as exc:
        return [str(exc)[:300]]
    return []


def test_every_answer_is_documented_and_none_is_a_server_error(seeded: Seeded, wsgi_app: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    loaded = list(schema.get_all_operations())
    assert not [result.err() for result in loaded if isinstance(result, Err)]
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    assert len(operations) >= 30, "the schema lost operations"
    operations = [operation for operation in operations if ONLY in operation.path]
    failures: list[str] = []
    calls = 0
    started = time.monotonic()

    # The annotator and the ML engineer run first: the manager's run may remove them from the project.
    for role in ("annotator", "ml_engineer", "manager"):
        headers = {"Authorization": f"Token {seeded.tokens[role]}"}
        for operation in operations:
            path_ids = _path_ids(operation, seeded, role)
            # With the path fixed, only a query or a body is left to make invalid.
            modes = [GenerationMode.POSITIVE]
            if len(operation.query) or len(operation.body):
                modes.append(GenerationMode.NEGATIVE)
            for mode in modes:
                for case, response in _fuzz(operation, mode, path_ids, headers):
                    calls += 1
                    problems = _problems(case, response)
                    if problems:
                        failures.append(
                            f"{role}: {case.method} {case.formatted_path} -> {response.status_code}: "
                            f"{'; '.join(problems)}\n"
                            f"  query={case.query!r} body={str(case.body)[:200]}\n  {response.text[:300]}"
                        )

    elapsed = time.monotonic() - started
    assert operations
    assert calls >= len(operations) * EXAMPLES // 2, f"only {calls} calls in {elapsed:.1f} s"
    assert not failures, f"{len(failures)} failures in {calls} calls:\n" + "\n".join(failures[:40])
