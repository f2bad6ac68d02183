from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.auth import user_id
from annotation_qc.core.serializers import StrictSerializer
from annotation_qc.drafts.revisions import recent_answers
from annotation_qc.drafts.services import draft_for_task, draft_save
from annotation_qc.labeling import selectors
from annotation_qc.labeling.apis import FindingSerializer
from annotation_qc.labeling.permissions import IsTaskAnnotator
from annotation_qc.projects.permissions import ANNOTATOR, ProjectApi
from annotation_qc.workflow.submit_pipeline import answer_revise


class DraftOutputSerializer(serializers.Serializer):
    payload = serializers.JSONField()
    elapsed_ms = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class TaskDraftApi(APIView):
    """The annotator's draft of their open task: PUT as they work (debounced), GET on reload (204: none)."""

    permission_classes = [IsTaskAnnotator]  # their own task (else 404), while an annotator (else 403)

    class InputSerializer(StrictSerializer):
        payload = serializers.JSONField()
        elapsed_ms = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600 * 1000)

    @extend_schema(responses={200: DraftOutputSerializer, 204: None})
    def get(self, request: Request, task_id: str) -> Response:
        draft = draft_for_task(task=selectors.task_of_annotator(task_id=task_id, user=request.user))
        if draft is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DraftOutputSerializer(draft).data)

    @extend_schema(request=InputSerializer, responses=DraftOutputSerializer)
    def put(self, request: Request, task_id: str) -> Response:
        # Someone else's task is a 404 whatever the body (no probing task ids with bad input).
        task = selectors.task_of_annotator(task_id=task_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = draft_save(task=task, **data.validated_data)
        return Response(DraftOutputSerializer(draft).data)


class MyAnswersApi(ProjectApi):
    """The annotator's last answers, newest first, with whether each may still be changed."""

    allowed_roles = frozenset({ANNOTATOR})

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response({"results": recent_answers(project=self.project, annotator_id=user_id(request))})


class AnswerReviseApi(APIView):
    """Change one's own submitted answer while the project's edit window lasts; the old one is kept."""

    permission_classes = [IsTaskAnnotator]  # their own task (else 404), while an annotator (else 403)

    class OutputSerializer(serializers.Serializer):
        task_id = serializers.CharField()
        payload = serializers.JSONField()
        versions = serializers.IntegerField()
        findings = FindingSerializer(many=True)

    class InputSerializer(StrictSerializer):
        payload = serializers.JSONField()
        time_spent_ms = serializers.IntegerField(
            min_value=0, max_value=7 * 24 * 3600 * 1000, required=False, allow_null=True
        )

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, task_id: str) -> Response:
        task = selectors.task_of_annotator(task_id=task_id, user=request.user)  # 404 for anyone else's
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation, versions, findings = answer_revise(
            task_id=task.pk,
            annotator_id=user_id(request),
            payload=data.validated_data["payload"],
            client_time_ms=data.validated_data.get("time_spent_ms"),
        )
        body = {"task_id": task_id, "payload": annotation.payload, "versions": versions, "findings": findings}
        return Response(self.OutputSerializer(body).data)
