from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.core.auth import user_id
from annotation_qc.prioritization import selectors
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services.runs import prioritize_start
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi
from annotation_qc.projects.settings_rules import KNOWN_STRATEGIES


class PrioritizeApi(ProjectApi):
    """Start a prioritisation job; poll it at ``/api/v1/jobs/{job_id}/``."""

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class InputSerializer(serializers.Serializer):
        strategy = serializers.ChoiceField(choices=KNOWN_STRATEGIES, required=False)
        diversity_k = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)

    @extend_schema(request=InputSerializer, responses={202: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = prioritize_start(
            project=self.project,
            strategy=data.validated_data.get("strategy"),
            trigger=PriorityRun.Trigger.MANUAL,
            user_id=user_id(request),
            diversity_k=data.validated_data["diversity_k"],
        )
        run.refresh_from_db()
        body = {"job_id": run.job_id, "run_id": run.pk, "strategy": run.strategy, "status": run.status}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class QueueApi(ProjectApi):
    """The prioritised label queue, best first, with the strategy and model version that ordered it."""

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=100)
        cursor = serializers.CharField(required=False, max_length=200)

    @extend_schema(parameters=[FilterSerializer], responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return Response(
            selectors.queue_page(
                project=self.project,
                limit=filters.validated_data["limit"],
                cursor=filters.validated_data.get("cursor"),
            )
        )
