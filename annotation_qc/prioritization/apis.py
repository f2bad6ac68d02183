from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.core.auth import user_id
from annotation_qc.core.exceptions import NotFound
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.core.throttles import JobStartThrottle
from annotation_qc.labeling.models import ModelVersion
from annotation_qc.labeling.services import model_versions
from annotation_qc.prioritization import selectors
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services.runs import prioritize_start
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi
from annotation_qc.projects.settings_rules import KNOWN_STRATEGIES


class PrioritizeApi(ProjectApi):
    """Start a prioritisation job; poll it at ``/api/v1/jobs/{job_id}/``. 409 (with the running
    job's ``job_id``) while another run of the project is pending or running."""

    throttle_classes = [JobStartThrottle]
    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class InputSerializer(StrictSerializer):
        strategy = serializers.ChoiceField(choices=KNOWN_STRATEGIES, required=False)
        diversity_k = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)

    @extend_schema(request=InputSerializer, responses={202: dict, 409: dict})
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

    class FilterSerializer(QuerySerializer):
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


class ModelVersionOutput(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None, read_only=True, allow_null=True)
    current = serializers.BooleanField(source="is_current")
    committee = serializers.BooleanField(source="in_committee")

    class Meta:
        model = ModelVersion
        fields = ["id", "name", "description", "owner", "current", "committee", "created_at", "uploaded_at"]


class ModelVersionListApi(ProjectApi):
    """Registered model versions (newest upload first); ML engineers and managers register them.

    Uncertainty sampling uses the version marked ``current`` (else the newest by upload time);
    query by committee uses the versions marked ``committee`` (at least 2).
    """

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=100)
        description = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
        current = serializers.BooleanField(required=False, default=False)
        committee = serializers.BooleanField(required=False, default=False)

    @extend_schema(responses=ModelVersionOutput(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        versions = selectors.model_version_list(project=self.project)
        return Response(ModelVersionOutput(versions, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ModelVersionOutput})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = model_versions.model_version_register(
            project=self.project,
            name=data.validated_data["name"],
            owner_id=user_id(request),
            description=data.validated_data["description"],
            is_current=data.validated_data["current"],
            in_committee=data.validated_data["committee"],
        )
        return Response(ModelVersionOutput(version).data, status=status.HTTP_201_CREATED)


class ModelVersionDetailApi(ProjectApi):
    """One model version: its roles (``current``, ``committee``) and description; DELETE removes
    it with its predictions. The name is immutable."""

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class UpdateSerializer(StrictSerializer):
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)
        current = serializers.BooleanField(required=False)
        committee = serializers.BooleanField(required=False)

    def _version(self, version_id: int) -> ModelVersion:
        version = (
            ModelVersion.objects.select_related("owner").filter(project=self.project, pk=version_id).first()
        )
        if version is None:
            raise NotFound("No such model version.")
        return version

    @extend_schema(responses=ModelVersionOutput)
    def get(self, request: Request, project_id: int, version_id: int) -> Response:
        return Response(ModelVersionOutput(self._version(version_id)).data)

    @extend_schema(request=UpdateSerializer, responses=ModelVersionOutput)
    def patch(self, request: Request, project_id: int, version_id: int) -> Response:
        if isinstance(request.data, dict) and "name" in request.data:
            return Response(
                {"detail": "The name of a model version cannot change.", "errors": {"name": ["immutable"]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = model_versions.model_version_update(
            version=self._version(version_id),
            description=data.validated_data.get("description"),
            is_current=data.validated_data.get("current"),
            in_committee=data.validated_data.get("committee"),
        )
        return Response(ModelVersionOutput(version).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, version_id: int) -> Response:
        model_versions.model_version_delete(version=self._version(version_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
