from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.auth import user_id
from annotation_qc.core.exceptions import Forbidden, ServiceError
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.core.throttles import JobStartThrottle
from annotation_qc.labeling.apis import AnnotationInputSerializer
from annotation_qc.labeling.permissions import IsTaskAnnotator
from annotation_qc.labeling.selectors import task_of_annotator
from annotation_qc.projects.permissions import ANNOTATOR, MANAGER, ML_ENGINEER, REVIEWER, ProjectApi
from annotation_qc.review import selectors
from annotation_qc.review.csv_renderer import RowsCsvRenderer
from annotation_qc.review.models import ReviewConfig
from annotation_qc.review.services import reviews
from annotation_qc.review.services.label_errors import label_errors_start

SUSPECT_COLUMNS = [
    "rank",
    "item_id",
    "external_id",
    "score",
    "kind",
    "given_label",
    "suggested_label",
    "model_confidence",
    "reason",
    "annotation_id",
    "annotator",
]


class LabelErrorsApi(ProjectApi):
    """Suspected label errors of the project, most suspicious first (``?format=csv`` for all of them);
    ``POST`` starts a detection job (poll it at ``/api/v1/jobs/{job_id}/``)."""

    throttle_classes = [JobStartThrottle]
    allowed_roles = frozenset({MANAGER, ML_ENGINEER})
    renderer_classes = [JSONRenderer, RowsCsvRenderer]

    class FilterSerializer(QuerySerializer):
        limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=100)
        offset = serializers.IntegerField(min_value=0, required=False, default=0)
        kind = serializers.CharField(required=False, max_length=20)

    class InputSerializer(StrictSerializer):
        model_version = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")

    @extend_schema(parameters=[FilterSerializer], responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        latest = selectors.label_error_latest_run(project=self.project)
        current = selectors.label_error_current_run(project=self.project)
        body: dict[str, object] = {
            "run": selectors.run_summary(current),
            "latest_run": selectors.run_summary(latest),
            "count": 0,
            "results": [],
        }
        if current is not None:
            suspects = selectors.label_error_suspects(run=current)
            if kind := filters.validated_data.get("kind"):
                suspects = suspects.filter(kind=kind)
            body["count"] = suspects.count()
            csv = request.accepted_renderer.format == "csv"
            if not csv:
                start = filters.validated_data["offset"]
                suspects = suspects[start : start + filters.validated_data["limit"]]
            body["results"] = [selectors.suspect_row(s) for s in suspects]
        response = Response(body)
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="label-errors-project-{project_id}.csv"'
        return response

    def get_renderer_context(self) -> dict[str, object]:
        context = super().get_renderer_context()
        context["csv_columns"] = SUSPECT_COLUMNS
        return context

    @extend_schema(request=InputSerializer, responses={202: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = label_errors_start(
            project=self.project,
            user_id=user_id(request),
            model_version=data.validated_data["model_version"],
        )
        run.refresh_from_db()
        body = {"job_id": run.job_id, "run_id": run.pk, "status": run.status, "message": run.message}
        return Response(body, status=status.HTTP_202_ACCEPTED)


# The review stage.

REVIEWERS = frozenset({MANAGER, REVIEWER})


class ReviewSettingsApi(ProjectApi):
    """The project's review settings (managers; reviewers may read them)."""

    allowed_roles = frozenset({MANAGER})
    allowed_roles_by_method = {"GET": REVIEWERS}

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(_config_body(reviews.review_config(self.project)))

    @extend_schema(request=dict, responses=dict)
    def patch(self, request: Request, project_id: int) -> Response:
        data = request.data
        if not isinstance(data, dict):
            raise ServiceError("Expected a JSON object.", errors={"non_field_errors": ["expected an object"]})
        unknown = sorted(set(data) - set(CONFIG_FIELDS))
        if unknown:
            raise ServiceError("Unknown settings.", errors={k: ["unknown setting"] for k in unknown})
        declared = self.InputSerializer().fields
        typed = self.InputSerializer(data={k: v for k, v in data.items() if k in declared}, partial=True)
        typed.is_valid(raise_exception=True)
        config = reviews.review_config_update(project=self.project, data=dict(data))
        return Response(_config_body(config))

    class InputSerializer(StrictSerializer):
        enabled = serializers.BooleanField()
        lint_warnings = serializers.BooleanField()
        suspects_top = serializers.IntegerField(min_value=0, max_value=100_000)


CONFIG_FIELDS = (
    "enabled",
    "base_rate",
    "max_rate",
    "calibration_rate",
    "lint_warnings",
    "agreement_below",
    "suspects_top",
    "order_by",
    "benchmark_rate",
)


def _config_body(config: ReviewConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in CONFIG_FIELDS}


class ReviewQueueApi(ProjectApi):
    """Reviews waiting for a reviewer (``?order=suspicion|agreement|model_confidence|age``)."""

    allowed_roles = REVIEWERS

    class FilterSerializer(QuerySerializer):
        order = serializers.CharField(required=False, max_length=40)
        limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=50)
        offset = serializers.IntegerField(min_value=0, required=False, default=0)

    @extend_schema(parameters=[FilterSerializer], responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        order = filters.validated_data.get("order") or reviews.review_config(self.project).order_by
        if order not in selectors.QUEUE_ORDER:
            raise ServiceError(
                "Unknown ordering key.",
                errors={"order": [f"must be one of {', '.join(selectors.QUEUE_ORDER)}"]},
            )
        queue = selectors.review_queue(project=self.project, reviewer_id=user_id(request), order=order)
        start = filters.validated_data["offset"]
        page = queue[start : start + filters.validated_data["limit"]]
        return Response(
            {"order": order, "count": queue.count(), "results": [selectors.review_row(r) for r in page]}
        )


class ReviewDetailApi(ProjectApi):
    allowed_roles = REVIEWERS

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int, review_id: int) -> Response:
        review = selectors.review_for_member(project=self.project, review_id=review_id)
        if review.annotator_id == user_id(request):
            raise Forbidden("You cannot review your own annotation.")
        return Response(selectors.review_detail(review=review))


class ReviewOpenApi(ProjectApi):
    """The reviewer opens a pending review: the workspace, and their working time starts (time in
    review runs from here to their action, not from when the review entered the queue)."""

    allowed_roles = REVIEWERS

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request, project_id: int, review_id: int) -> Response:
        review = reviews.review_open(review_id=review_id, project=self.project, reviewer_id=user_id(request))
        review = selectors.review_for_member(project=self.project, review_id=review.pk)
        return Response(selectors.review_detail(review=review))


class ReviewActionApi(ProjectApi):
    """``accept``, ``fix`` (``payload``) or ``reject`` (``comments``); 409 when another reviewer
    acted first."""

    allowed_roles = REVIEWERS
    action = ""

    class InputSerializer(StrictSerializer):
        payload = serializers.JSONField(required=False)
        comments = serializers.JSONField(required=False)
        round = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(request=InputSerializer, responses=dict)
    def post(self, request: Request, project_id: int, review_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.review_act(
            review_id=review_id,
            project=self.project,
            reviewer_id=user_id(request),
            action=self.action,
            payload=data.validated_data.get("payload"),
            comments=data.validated_data.get("comments"),
            expected_round=data.validated_data.get("round"),
        )
        review = selectors.review_for_member(project=self.project, review_id=review.pk)
        return Response(selectors.review_detail(review=review))


class ReviewDecideApi(ProjectApi):
    """Accept or reject with a verdict per box: ``objects`` ``[{"box": index, "verdict": "accepted" |
    "rejected", "comment"?: str}]`` (``box`` as in comments); ``decision`` (``accept`` | ``reject``)
    optional: any rejected box rejects the annotation (back to its annotator for rework, the rejected
    boxes marked), every box accepted accepts it; 409 when another reviewer acted first."""

    allowed_roles = REVIEWERS

    class InputSerializer(StrictSerializer):
        objects = serializers.JSONField()
        decision = serializers.ChoiceField(choices=["accept", "reject"], required=False)
        comments = serializers.JSONField(required=False)
        round = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(request=InputSerializer, responses=dict)
    def post(self, request: Request, project_id: int, review_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.review_decide(
            review_id=review_id,
            project=self.project,
            reviewer_id=user_id(request),
            objects=data.validated_data["objects"],
            decision=data.validated_data.get("decision"),
            comments=data.validated_data.get("comments"),
            expected_round=data.validated_data.get("round"),
        )
        review = selectors.review_for_member(project=self.project, review_id=review.pk)
        return Response(selectors.review_detail(review=review))


class MyReworkApi(ProjectApi):
    """The annotator's rejected annotations waiting for rework, as tasks with the comments."""

    allowed_roles = frozenset({ANNOTATOR})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        from annotation_qc.labeling.apis import task_body

        rows = [
            {"task": task_body(r.annotation.task), "rework": selectors.rework_body(review=r)}
            for r in selectors.rework_reviews(project=self.project, annotator_id=user_id(request))
            if r.annotation is not None
        ]
        return Response({"count": len(rows), "results": rows})


class TaskReworkApi(APIView):
    """``GET``: the rework of one of the annotator's tasks; ``POST``: the corrected answer (back to review).

    The task is found by the same lookup as the other task endpoints (the annotator's own tasks only,
    while they are an annotator of its project).
    """

    permission_classes = [IsTaskAnnotator]

    @extend_schema(responses=dict)
    def get(self, request: Request, task_id: str) -> Response:
        from annotation_qc.labeling.apis import task_body

        task = task_of_annotator(task_id=task_id, user=request.user)
        review = reviews.rework_of_task(task=task)
        return Response({"task": task_body(task), "rework": selectors.rework_body(review=review)})

    @extend_schema(request=AnnotationInputSerializer, responses=dict)
    def post(self, request: Request, task_id: str) -> Response:
        data = AnnotationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = task_of_annotator(task_id=task_id, user=request.user)
        review, findings = reviews.rework_submit(
            task=task,
            payload=data.validated_data["payload"],
            client_time_ms=data.validated_data.get("time_spent_ms"),
        )
        return Response(
            {"task_id": task_id, "status": review.status, "round": review.round, "findings": findings}
        )


class ReviewScorecardApi(ProjectApi):
    """Review outcomes per annotator, beside benchmark skill (``?format=csv``: flat columns)."""

    allowed_roles = frozenset({MANAGER})
    renderer_classes = [JSONRenderer, RowsCsvRenderer]

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        rows = selectors.review_scorecard(project=self.project)
        if request.accepted_renderer.format == "csv":
            response = Response([_flat(row) for row in rows])
            response["Content-Disposition"] = (
                f'attachment; filename="review-scorecard-project-{project_id}.csv"'
            )
            return response
        return Response({"results": rows})


def _flat(row: dict[str, object]) -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in row.items():
        if key == "trend":
            continue
        if isinstance(value, dict):
            for sub, inner in value.items():
                flat[f"{key}_{sub}"] = inner
        else:
            flat[key] = value
    return flat


class ReviewerScorecardApi(ProjectApi):
    """Reviewers checked: their reviews and the seeded errors of review benchmarks they caught."""

    allowed_roles = frozenset({MANAGER})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response({"results": selectors.reviewer_scorecard(project=self.project)})
