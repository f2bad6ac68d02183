from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.core.auth import user_id
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi
from annotation_qc.review import selectors
from annotation_qc.review.csv_renderer import RowsCsvRenderer
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

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})
    renderer_classes = [JSONRenderer, RowsCsvRenderer]

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=100)
        offset = serializers.IntegerField(min_value=0, required=False, default=0)
        kind = serializers.CharField(required=False, max_length=20)

    class InputSerializer(serializers.Serializer):
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
