from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.auth import user_id
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.datahealth.models import AuditEvent
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.projects import selectors, services
from annotation_qc.projects.label_rules import labels_effective
from annotation_qc.projects.models import Membership, Project
from annotation_qc.projects.permissions import ALL_ROLES, ANNOTATOR, MANAGER, ProjectApi


class ProjectSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = list(services.SETTING_FIELDS)


class LabelDetailSerializer(serializers.Serializer):
    name = serializers.CharField()
    colour = serializers.CharField()
    hotkey = serializers.CharField(allow_null=True)
    retired = serializers.BooleanField()


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    label_details = LabelDetailSerializer(many=True)
    label_config = serializers.DictField()
    instructions = serializers.CharField(allow_blank=True)
    role = serializers.CharField(allow_null=True)
    settings = ProjectSettingsSerializer(required=False)


def project_body(project: Project, role: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": project.pk,
        "name": project.name,
        "kind": project.kind,
        "labels": project.labels,
        "label_details": labels_effective(labels=project.labels, config=project.label_config),
        "label_config": project.label_config,
        "instructions": project.instructions,
        "role": role,
    }
    if role in (Membership.Role.MANAGER, Membership.Role.ML_ENGINEER):
        body["settings"] = ProjectSettingsSerializer(project).data
    return ProjectOutputSerializer(body).data


class ProjectListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=Project.Kind.choices)
        labels = serializers.ListField(
            child=serializers.CharField(max_length=100), min_length=1, max_length=1000
        )
        label_config = serializers.DictField(required=False, default=dict)
        instructions = serializers.CharField(max_length=50_000, required=False, allow_blank=True, default="")
        settings = serializers.DictField(required=False, default=dict)

    @extend_schema(responses=ProjectOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        projects = list(selectors.projects_for_user(user=request.user))
        roles = selectors.roles_by_project(user=request.user, project_ids=[p.pk for p in projects])
        return Response([project_body(p, roles.get(p.pk)) for p in projects])

    @extend_schema(request=InputSerializer, responses={201: ProjectOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(creator=request.user, **data.validated_data)
        return Response(project_body(project, MANAGER), status=status.HTTP_201_CREATED)


class ProjectDetailApi(ProjectApi):
    allowed_roles = ALL_ROLES
    allowed_roles_by_method = {"PATCH": frozenset({MANAGER})}

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=200, required=False)
        labels = serializers.ListField(
            child=serializers.CharField(max_length=100), required=False, min_length=1, max_length=1000
        )
        label_config = serializers.DictField(required=False)
        instructions = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
        settings = serializers.DictField(required=False)

    @extend_schema(responses=ProjectOutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = self.project
        return Response(project_body(project, self.project_role))

    @extend_schema(request=InputSerializer, responses=ProjectOutputSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_update(project=self.project, data=data.validated_data)
        audit_record(
            project_id=project.pk,
            actor_id=user_id(request),
            action=AuditEvent.Action.SETTINGS,
            target="project settings",
            details={
                "changed": sorted(data.validated_data),
                "settings": dict(sorted(data.validated_data.get("settings", {}).items())),
            },
        )
        return Response(project_body(project, MANAGER))


class ProjectProgressApi(ProjectApi):
    allowed_roles = ALL_ROLES

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        project = self.project
        progress = selectors.project_progress(project=project, user_id=user_id(request))
        if self.project_role == ANNOTATOR:
            # Project-wide counts would let an annotator work out how many of their own tasks were
            # benchmarks (they are excluded from the totals), so annotators see only their own.
            progress = {"mine": progress["mine"]}
        return Response(progress)


class MemberOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()


class ProjectMembersApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})

    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=150)
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(responses=MemberOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return Response(
            MemberOutputSerializer(selectors.project_members(project_id=project_id), many=True).data
        )

    @extend_schema(request=InputSerializer, responses={201: MemberOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = get_user_model().objects.filter(username=data.validated_data["username"]).first()
        if user is None:
            raise ServiceError("No such user.", errors={"username": ["no user with this username"]})
        membership = services.member_add(project=self.project, user=user, role=data.validated_data["role"])
        return Response(MemberOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class ProjectMemberApi(ProjectApi):
    allowed_roles = frozenset({MANAGER})

    class InputSerializer(StrictSerializer):
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(request=InputSerializer, responses=MemberOutputSerializer)
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_set_role(
            project=self.project, user_id=user_id, role=data.validated_data["role"]
        )
        return Response(MemberOutputSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        services.member_remove(project=self.project, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LabelRenameApi(ProjectApi):
    """Renames a label that no answer uses yet; ``from`` and ``to`` are label names."""

    allowed_roles = frozenset({MANAGER})

    class InputSerializer(StrictSerializer):
        old = serializers.CharField(max_length=100)
        new = serializers.CharField(max_length=100)

        def to_internal_value(self, data: Any) -> Any:
            # The wire names are "from" and "to" (keywords in Python).
            if isinstance(data, dict):
                data = {"old": data.get("from"), "new": data.get("to")}
            try:
                return super().to_internal_value(data)
            except serializers.ValidationError as exc:
                detail = exc.detail if isinstance(exc.detail, dict) else {}
                names = {"old": "from", "new": "to"}
                raise serializers.ValidationError({names.get(k, k): v for k, v in detail.items()}) from exc

    @extend_schema(request=dict, responses=ProjectOutputSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.label_rename(
            project=self.project, old=data.validated_data["old"], new=data.validated_data["new"]
        )
        return Response(project_body(project, MANAGER))


class MemberCandidatesApi(ProjectApi):
    """Users whose username starts with ``q`` (at most 20), for adding members; marks those already in."""

    allowed_roles = frozenset({MANAGER})

    class FilterSerializer(QuerySerializer):
        q = serializers.CharField(max_length=150, min_length=1)

    @extend_schema(parameters=[FilterSerializer], responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.member_candidates(project_id=project_id, prefix=filters.validated_data["q"])
        return Response({"results": rows})
