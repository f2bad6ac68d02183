from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.exceptions import NotFound
from annotation_qc.core.models import Job
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, role_in_project

#: The REST API's version: raised on a change that breaks clients (the Python client refuses a newer one).
API_VERSION = 1


class JobOutputSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "project",
            "status",
            "progress",
            "done",
            "total",
            "message",
            "params",
            "result",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]


class JobDetailApi(APIView):
    """A background job's status and progress, for the project's managers and ML engineers."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = Job.objects.filter(pk=job_id).first()
        if job is None or role_in_project(request.user, job.project_id) not in (MANAGER, ML_ENGINEER):
            raise NotFound("No such job.")
        return Response(JobOutputSerializer(job).data)


class ApiVersionApi(APIView):
    """Which API version this server speaks, so a client can refuse one it does not know."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    class OutputSerializer(serializers.Serializer):
        api_version = serializers.IntegerField()
        server_version = serializers.CharField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        from importlib.metadata import PackageNotFoundError, version

        try:
            server_version = version("annotation-qc")
        except PackageNotFoundError:
            server_version = "unknown"
        return Response({"api_version": API_VERSION, "server_version": server_version})
