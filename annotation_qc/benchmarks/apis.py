from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.benchmarks import selectors
from annotation_qc.benchmarks.csv_renderer import ScorecardCsvRenderer
from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.benchmarks.services.audit import benchmark_audit_run
from annotation_qc.benchmarks.services.gold import gold_import, gold_promote
from annotation_qc.core.auth import authenticated_user, user_id
from annotation_qc.core.exceptions import Forbidden
from annotation_qc.core.pagination import DefaultPagination, paginated_response
from annotation_qc.core.schema import OBJECT_LIST
from annotation_qc.core.serializers import StrictSerializer
from annotation_qc.datahealth.models import AuditEvent
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.labeling.apis import MAX_ITEMS_PER_REQUEST
from annotation_qc.projects.permissions import ANNOTATOR, MANAGER, ProjectApi


class GoldApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})
    pagination_class = DefaultPagination  # documents the page envelope and its query parameters

    class InputSerializer(StrictSerializer):
        class GoldItemSerializer(StrictSerializer):
            external_id = serializers.CharField(max_length=255)
            image_url = serializers.URLField(max_length=2000)
            width = serializers.IntegerField(min_value=1, max_value=100_000)
            height = serializers.IntegerField(min_value=1, max_value=100_000)
            metadata = serializers.DictField(required=False)
            payload = serializers.JSONField()

        items = serializers.ListField(
            child=GoldItemSerializer(), allow_empty=False, max_length=MAX_ITEMS_PER_REQUEST
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        item_id = serializers.IntegerField()
        external_id = serializers.CharField(source="item.external_id")
        payload = serializers.JSONField()
        origin = serializers.CharField(source="source")
        created_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        queryset = GoldAnnotation.objects.filter(project=self.project).select_related("item").order_by("pk")
        return paginated_response(
            request=request, view=self, queryset=queryset, serializer_class=self.OutputSerializer
        )

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gold = gold_import(
            project=self.project, rows=data.validated_data["items"], user=authenticated_user(request)
        )
        audit_record(
            project_id=self.project.pk,
            actor_id=user_id(request),
            action=AuditEvent.Action.GOLD,
            target="gold import",
            details={"created": len(gold)},
        )
        return Response({"created": len(gold)}, status=status.HTTP_201_CREATED)


class GoldPromoteApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})

    class InputSerializer(StrictSerializer):
        annotation_id = serializers.IntegerField()
        payload = serializers.JSONField(required=False, allow_null=True, default=None)

    @extend_schema(request=InputSerializer, responses={201: GoldApi.OutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gold = gold_promote(project=self.project, user=authenticated_user(request), **data.validated_data)
        audit_record(
            project_id=self.project.pk,
            actor_id=user_id(request),
            action=AuditEvent.Action.GOLD,
            target=f"gold {gold.pk}",
            details={"promoted_from_annotation": data.validated_data["annotation_id"]},
        )
        return Response(GoldApi.OutputSerializer(gold).data, status=status.HTTP_201_CREATED)


class ScorecardsApi(ProjectApi):
    """Per-annotator scorecards; ``?format=csv`` downloads the same columns."""

    allowed_roles = frozenset({MANAGER})
    renderer_classes = [JSONRenderer, ScorecardCsvRenderer]

    @extend_schema(responses={200: OBJECT_LIST})
    def get(self, request: Request, project_id: int) -> Response:
        response = Response(selectors.scorecards(project=self.project))
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="scorecards-project-{project_id}.csv"'
        return response


class AnnotatorBenchmarksApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})

    @extend_schema(responses={200: OBJECT_LIST})
    def get(self, request: Request, project_id: int, user_id: int) -> Response:
        return Response(selectors.annotator_benchmarks(project=self.project, annotator_id=user_id))


class OwnScoreApi(ProjectApi):
    """An annotator's own aggregate benchmark score, where the project allows it."""

    allowed_roles = frozenset({ANNOTATOR})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        if not self.project.show_own_score:
            raise Forbidden("This project does not show annotators their score.")
        body: dict[str, Any] = selectors.own_score(project=self.project, annotator_id=user_id(request))
        return Response(body)


class BenchmarkAuditApi(ProjectApi):
    """Can a client tell benchmarks from work? GET: the latest audit; POST: audit now (synchronous,
    over the latest 5,000 served tasks)."""

    allowed_roles = frozenset({MANAGER})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(selectors.audit_body(selectors.latest_audit(project=self.project)))

    @extend_schema(request=None, responses={201: dict})
    def post(self, request: Request, project_id: int) -> Response:
        audit = benchmark_audit_run(project=self.project)
        return Response(selectors.audit_body(audit), status=status.HTTP_201_CREATED)
