from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.drafts.services import draft_for_task, draft_save
from annotation_qc.labeling import selectors


class DraftOutputSerializer(serializers.Serializer):
    payload = serializers.JSONField()
    elapsed_ms = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class TaskDraftApi(APIView):
    """The annotator's draft of their open task: PUT as they work (debounced), GET on reload (204: none)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        payload = serializers.JSONField()
        elapsed_ms = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600 * 1000)

    @extend_schema(responses={200: DraftOutputSerializer, 204: None})
    def get(self, request: Request, task_id: int) -> Response:
        draft = draft_for_task(task=selectors.task_of_annotator(task_id=task_id, user=request.user))
        if draft is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DraftOutputSerializer(draft).data)

    @extend_schema(request=InputSerializer, responses=DraftOutputSerializer)
    def put(self, request: Request, task_id: int) -> Response:
        # Someone else's task is a 404 whatever the body (no probing task ids with bad input).
        task = selectors.task_of_annotator(task_id=task_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = draft_save(task=task, **data.validated_data)
        return Response(DraftOutputSerializer(draft).data)
