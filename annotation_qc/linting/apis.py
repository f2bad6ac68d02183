from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.auth import user_id
from annotation_qc.core.pagination import PagePagination, paginated_response
from annotation_qc.core.schema import OBJECT_LIST
from annotation_qc.core.serializers import QuerySerializer
from annotation_qc.core.throttles import AnnotatorLoopThrottle
from annotation_qc.labeling.apis import AnnotationInputSerializer, FindingSerializer
from annotation_qc.labeling.permissions import IsTaskAnnotator
from annotation_qc.linting import selectors
from annotation_qc.linting.services import lint_draft
from annotation_qc.projects.permissions import MANAGER, ProjectApi


class LintApi(APIView):
    """Live linting of a draft: the findings submit would give, with nothing stored."""

    throttle_classes = [AnnotatorLoopThrottle]
    permission_classes = [IsTaskAnnotator]

    class OutputSerializer(serializers.Serializer):
        findings = FindingSerializer(many=True)

    @extend_schema(request=AnnotationInputSerializer, responses=OutputSerializer)
    def post(self, request: Request, task_id: str) -> Response:
        data = AnnotationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        findings = lint_draft(
            task_id=task_id,
            annotator_id=user_id(request),
            payload=data.validated_data["payload"],
            time_spent_ms=data.validated_data.get("time_spent_ms"),
        )
        return Response({"findings": [f.to_dict() for f in findings]})


class FindingsApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    class FilterSerializer(QuerySerializer):
        code = serializers.CharField(required=False, max_length=40)
        annotator = serializers.CharField(required=False, max_length=150, help_text="User id or username.")

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        annotation_id = serializers.IntegerField()
        task_id = serializers.IntegerField(source="annotation.task_id")
        item_id = serializers.IntegerField()
        annotator_id = serializers.IntegerField()
        annotator = serializers.CharField(source="annotator.username")
        code = serializers.CharField()
        severity = serializers.CharField()
        message = serializers.CharField()
        boxes = serializers.ListField(child=serializers.IntegerField())
        created_at = serializers.DateTimeField()

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        findings = selectors.findings_list(
            project=self.project,
            code=filters.validated_data.get("code"),
            annotator=filters.validated_data.get("annotator"),
        )
        return paginated_response(
            request=request,
            view=self,
            queryset=findings,
            serializer_class=self.OutputSerializer,
            pagination=PagePagination,
        )


class FindingRatesApi(ProjectApi):
    """Per-annotator finding rates, overall and per rule."""

    allowed_roles = frozenset({MANAGER})

    @extend_schema(responses={200: OBJECT_LIST})
    def get(self, request: Request, project_id: int) -> Response:
        rates = selectors.finding_rates(project=self.project)
        return Response([{"user_id": annotator_id, **entry} for annotator_id, entry in sorted(rates.items())])


class AnnotationViewApi(ProjectApi):
    """One answer with its image and findings, for the findings list's "view" (managers)."""

    allowed_roles = frozenset({MANAGER})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int, annotation_id: int) -> Response:
        return Response(selectors.annotation_view(project_id=project_id, annotation_id=annotation_id))
