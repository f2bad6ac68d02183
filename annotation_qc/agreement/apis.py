from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.agreement import selectors
from annotation_qc.agreement.services.consensus import item_resolve
from annotation_qc.agreement.services.reports import agreement_report_start
from annotation_qc.core.auth import authenticated_user, user_id
from annotation_qc.core.schema import OBJECT_LIST
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.core.throttles import JobStartThrottle
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi


class AgreementApi(ProjectApi):
    """The latest agreement report (alpha with interval, per label, pairwise, per annotator) and trend."""

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(selectors.agreement_overview(project=self.project))


class AgreementComputeApi(ProjectApi):
    throttle_classes = [JobStartThrottle]
    allowed_roles = frozenset({MANAGER})

    @extend_schema(request=None, responses={202: dict})
    def post(self, request: Request, project_id: int) -> Response:
        job_id = agreement_report_start(project=self.project, user_id=user_id(request))
        return Response({"job_id": job_id}, status=status.HTTP_202_ACCEPTED)


class LowAgreementItemsApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})

    class FilterSerializer(QuerySerializer):
        max_alpha = serializers.FloatField(min_value=-1.0, max_value=1.0, required=False, default=0.667)
        limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=100)

    @extend_schema(parameters=[FilterSerializer], responses={200: OBJECT_LIST})
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return Response(
            selectors.low_agreement_items(
                project=self.project,
                max_score=filters.validated_data["max_alpha"],
                limit=filters.validated_data["limit"],
            )
        )


class ResolveItemApi(ProjectApi):
    """Settle an item: choose one annotator's answer (``annotation_id``) or send an edited ``payload``."""

    allowed_roles = frozenset({MANAGER})

    class InputSerializer(StrictSerializer):
        annotation_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        payload = serializers.JSONField(required=False, allow_null=True, default=None)
        make_gold = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs: dict[str, object]) -> dict[str, object]:
            if (attrs["annotation_id"] is None) == (attrs["payload"] is None):
                raise serializers.ValidationError({"payload": "give exactly one of annotation_id or payload"})
            return attrs

    @extend_schema(request=InputSerializer, responses={200: dict})
    def post(self, request: Request, project_id: int, item_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consensus = item_resolve(
            project=self.project, item_id=item_id, user=authenticated_user(request), **data.validated_data
        )
        return Response(
            {
                "item_id": item_id,
                "payload": consensus.payload,
                "method": consensus.method,
                "gold": data.validated_data["make_gold"],
            }
        )
