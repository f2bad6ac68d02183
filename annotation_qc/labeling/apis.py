from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase, HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.auth import user_id
from annotation_qc.core.pagination import DefaultPagination
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.core.storage import image_response
from annotation_qc.core.throttles import AnnotatorLoopThrottle
from annotation_qc.datahealth.services.intake import items_import_checked, predictions_import_checked
from annotation_qc.domain.payloads import canonical_payload
from annotation_qc.labeling import selectors
from annotation_qc.labeling.models import Task
from annotation_qc.labeling.permissions import IsTaskAnnotator
from annotation_qc.projects.permissions import ANNOTATOR, MANAGER, ML_ENGINEER, ProjectApi
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit, task_skip

MAX_ITEMS_PER_REQUEST = 10_000
MAX_FEATURES = 4096


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=["warning", "error"])
    message = serializers.CharField()
    boxes = serializers.ListField(child=serializers.IntegerField())


drf_datetime = serializers.DateTimeField().to_representation


class TaskOutputSerializer(serializers.Serializer):
    """What an annotator sees of a task: identical in shape for every task they get.

    Ids are opaque random tokens (no order, time or count); the image URL carries a random token
    of its own; the pre-annotation is in one canonical form (see ``canonical_payload``).
    """

    class ItemSerializer(serializers.Serializer):
        id = serializers.CharField()
        image_url = serializers.CharField()
        width = serializers.IntegerField()
        height = serializers.IntegerField()

    id = serializers.CharField()
    project_id = serializers.IntegerField()
    kind = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    item = ItemSerializer()
    pre_annotation = serializers.JSONField(allow_null=True)
    phase = serializers.ChoiceField(choices=["qualification", "work"])
    status = serializers.CharField()
    served_at = serializers.DateTimeField()
    lease_expires_at = serializers.DateTimeField()


def task_phase(task: Task) -> str:
    """``qualification`` for the annotator's first ``calibration_benchmarks`` tasks (announced: they
    are benchmarks), ``work`` after them (benchmarks hidden among work)."""
    return "qualification" if task.ordinal < task.project.calibration_benchmarks else "work"


def task_body(task: Task) -> dict[str, Any]:
    """The annotator's view of a task (shape documented by ``TaskOutputSerializer``).

    Built as a plain dict: this is the hot path of the annotator loop, and every task, whatever
    its origin, goes through this one function, so all tasks look alike.
    """
    item = task.item
    return {
        "id": task.public_id,
        "project_id": task.project_id,
        "kind": task.project.kind,
        "labels": task.project.labels,
        "item": {
            "id": item.public_id,
            "image_url": selectors.task_image_url(item),
            "width": item.width,
            "height": item.height,
        },
        "pre_annotation": canonical_payload(task.pre_annotation),
        "phase": task_phase(task),
        "status": task.status,
        "served_at": drf_datetime(task.served_at),
        "lease_expires_at": drf_datetime(task.lease_expires_at),
    }


class ItemImportApi(ProjectApi):
    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class InputSerializer(StrictSerializer):
        class ItemSerializer(StrictSerializer):
            external_id = serializers.CharField(max_length=255)
            image_url = serializers.URLField(max_length=2000)
            width = serializers.IntegerField(min_value=1, max_value=100_000)
            height = serializers.IntegerField(min_value=1, max_value=100_000)
            metadata = serializers.DictField(required=False)
            features = serializers.ListField(
                child=serializers.FloatField(),
                required=False,
                allow_null=True,
                min_length=1,
                max_length=MAX_FEATURES,
            )
            priority = serializers.FloatField(required=False)

        items = serializers.ListField(
            child=ItemSerializer(), allow_empty=False, max_length=MAX_ITEMS_PER_REQUEST
        )

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        intake = items_import_checked(
            project=self.project, rows=data.validated_data["items"], user_id=request.user.pk
        )
        return Response(
            {"created": intake.created, "data_health": intake.summary}, status=status.HTTP_201_CREATED
        )


class PredictionImportApi(ProjectApi):
    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class InputSerializer(StrictSerializer):
        class PredictionSerializer(StrictSerializer):
            external_id = serializers.CharField(max_length=255)
            payload = serializers.JSONField()
            scores = serializers.ListField(child=serializers.FloatField(), required=False, allow_null=True)
            proba = serializers.ListField(child=serializers.FloatField(), required=False, allow_null=True)

        model_version = serializers.CharField(max_length=100)
        predictions = serializers.ListField(
            child=PredictionSerializer(), allow_empty=False, max_length=MAX_ITEMS_PER_REQUEST
        )

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        intake = predictions_import_checked(
            project=self.project,
            model_version=data.validated_data["model_version"],
            rows=data.validated_data["predictions"],
            user_id=request.user.pk,
        )
        return Response(
            {"created": intake.created, "data_health": intake.summary}, status=status.HTTP_201_CREATED
        )


class NextTaskApi(ProjectApi):
    throttle_classes = [AnnotatorLoopThrottle]
    allowed_roles = frozenset({ANNOTATOR})

    @extend_schema(request=None, responses={200: TaskOutputSerializer, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        task = task_next(project=self.project, annotator_id=user_id(request))
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(task_body(task))


class MyTasksApi(ProjectApi):
    """The annotator's own task history (newest first)."""

    allowed_roles = frozenset({ANNOTATOR})
    pagination_class = DefaultPagination  # documents the page envelope and its query parameters

    @extend_schema(responses=TaskOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(
            selectors.tasks_of_annotator(project_id=project_id, user=request.user), request, view=self
        )
        return paginator.get_paginated_response([task_body(t) for t in page or []])


class AnnotationInputSerializer(StrictSerializer):
    payload = serializers.JSONField()
    time_spent_ms = serializers.IntegerField(
        min_value=0, max_value=7 * 24 * 3600 * 1000, required=False, allow_null=True
    )


class SubmitApi(APIView):
    throttle_classes = [AnnotatorLoopThrottle]
    permission_classes = [IsTaskAnnotator]

    class OutputSerializer(serializers.Serializer):
        task_id = serializers.CharField()
        findings = FindingSerializer(many=True)

    @extend_schema(request=AnnotationInputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, task_id: str) -> Response:
        data = AnnotationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation, findings = annotation_submit(
            task_id=task_id,
            annotator_id=user_id(request),
            payload=data.validated_data["payload"],
            client_time_ms=data.validated_data.get("time_spent_ms"),
        )
        # A plain dict in the shape of OutputSerializer (no serializer on the annotator loop's hot path).
        body = {
            "task_id": annotation.task.public_id,
            "findings": [
                {
                    "code": str(f["code"]),
                    "severity": str(f["severity"]),
                    "message": str(f["message"]),
                    "boxes": [int(box) for box in f["boxes"]],
                }
                for f in findings
            ],
        }
        return Response(body, status=status.HTTP_201_CREATED)


class SkipApi(APIView):
    throttle_classes = [AnnotatorLoopThrottle]
    permission_classes = [IsTaskAnnotator]
    task: Task

    class InputSerializer(StrictSerializer):
        reason = serializers.CharField(max_length=500, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: dict})
    def post(self, request: Request, task_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = task_skip(task=self.task, reason=data.validated_data["reason"])
        return Response({"task_id": task.public_id, "status": task.status})


class ItemImageApi(APIView):
    """An item's image after the permission check, the same headers for every item: the bytes, or
    with object storage a 302 to a short-lived presigned URL whose key says nothing of the item.

    Annotators reach only their tasks' items, and only by token (``/images/{token}/``); managers
    and ML engineers may also use ``/items/{id}/image/``. An item imported by URL (not stored here) is
    answered with a redirect to that URL (managers who want those URLs hidden too import with
    ``copy_images``); its preview, if it is very large, is stored here and served like any other.
    """

    permission_classes = [IsAuthenticated]

    class ImageQuery(QuerySerializer):
        size = serializers.ChoiceField(
            choices=["full", "preview"],
            default="full",
            help_text=(
                "preview: the downscaled copy of a very large image (stored here or given by URL) "
                "if it has one, else the image."
            ),
        )

    @extend_schema(
        parameters=[ImageQuery],
        responses={
            (200, "image/png"): bytes,
            302: OpenApiResponse(description="A presigned URL (object storage) or the item's image URL."),
        },
    )
    def get(self, request: Request, token: str | None = None, item_id: int | None = None) -> HttpResponseBase:
        item = selectors.item_for_member(token=token, item_id=item_id, user=request.user)  # 404 first
        query = self.ImageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["size"] == "preview" and item.preview:
            name = item.preview  # stored here, whether the image is stored here or given by URL
        elif item.image:
            name = item.image.name
        elif item.image_url:
            return HttpResponseRedirect(item.image_url)
        else:
            from annotation_qc.core.exceptions import NotFound

            raise NotFound("This item's image is not stored here.")
        try:
            response = image_response(name)
        except OSError as exc:
            from annotation_qc.core.exceptions import NotFound

            raise NotFound("This item's stored image is missing or unreadable.") from exc
        # No file name, date or tag: nothing that differs between items but their bytes.
        for header in ("Content-Disposition", "Last-Modified", "ETag"):
            if header in response:
                del response[header]
        return response
