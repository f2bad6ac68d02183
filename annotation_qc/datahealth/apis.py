"""Data health endpoints: settings, batch reports, quarantine, outliers, drift, coverage, audit, retention.

Managers see and change everything; ML engineers read reports and set coverage targets; annotators
see none of it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.core.auth import user_id
from annotation_qc.core.exceptions import NotFound, ServiceError
from annotation_qc.core.pagination import PagePagination, paginated_response
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.datahealth import selectors
from annotation_qc.datahealth.models import AuditEvent
from annotation_qc.datahealth.services import analysis, config, coverage, quarantine, retention
from annotation_qc.domain.data_health.config import describe
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi

MANAGERS = frozenset({MANAGER})
DATA_TEAM = frozenset({MANAGER, ML_ENGINEER})


class SettingsOutputSerializer(serializers.Serializer):
    config = serializers.DictField()
    pseudonymise_exports = serializers.BooleanField()
    retention_days = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class HealthSettingsApi(ProjectApi):
    """The project's checks (with defaults), outlier, drift and coverage settings, people's-data policy."""

    allowed_roles = MANAGERS
    allowed_roles_by_method = {"GET": DATA_TEAM}

    class InputSerializer(StrictSerializer):
        config = serializers.JSONField(required=False, help_text="Merged onto the current configuration.")
        pseudonymise_exports = serializers.BooleanField(required=False)
        retention_days = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=36_500
        )

    @extend_schema(responses=SettingsOutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(SettingsOutputSerializer(config.health_settings(self.project)).data)

    @extend_schema(request=InputSerializer, responses=SettingsOutputSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        config.health_settings_update(
            project=self.project,
            user_id=user_id(request),
            config=values.get("config"),
            pseudonymise_exports=values.get("pseudonymise_exports"),
            retention_days=values.get("retention_days"),
            clear_retention="retention_days" in values and values["retention_days"] is None,
        )
        return Response(SettingsOutputSerializer(config.health_settings(self.project)).data)


class HealthChecksApi(ProjectApi):
    """Every check and setting with its default, allowed values and meaning."""

    allowed_roles = DATA_TEAM

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(describe())


class CoverageTargetsApi(ProjectApi):
    """The ML team's coverage targets and boost (the ``coverage`` section of the configuration)."""

    allowed_roles = DATA_TEAM

    class InputSerializer(StrictSerializer):
        labels = serializers.JSONField(required=False)
        attributes = serializers.JSONField(required=False)
        boost = serializers.JSONField(required=False)

    @extend_schema(request=InputSerializer, responses=SettingsOutputSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config.health_settings_update(
            project=self.project, user_id=user_id(request), config={"coverage": dict(data.validated_data)}
        )
        return Response(SettingsOutputSerializer(config.health_settings(self.project)).data)


class BatchReportSerializer(serializers.Serializer):
    batch = serializers.IntegerField(source="data_import_id")
    import_status = serializers.CharField(source="data_import.status")
    format = serializers.CharField(source="data_import.format")
    items = serializers.IntegerField()
    counts = serializers.DictField()
    failures_total = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    warned = serializers.IntegerField()
    rejected = serializers.BooleanField()
    drifted = serializers.BooleanField()
    drift_checked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class BatchReportDetailSerializer(BatchReportSerializer):
    failures = serializers.ListField()
    drift = serializers.DictField()
    outliers = serializers.DictField()


class BatchReportListApi(ProjectApi):
    """One data-health report per import (batch), newest first, paged."""

    allowed_roles = DATA_TEAM
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    @extend_schema(responses=BatchReportSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.batch_reports(project=self.project),
            serializer_class=BatchReportSerializer,
            pagination=PagePagination,
        )


class BatchReportDetailApi(ProjectApi):
    """Which items failed which check, the drift tests and the outliers of one batch."""

    allowed_roles = DATA_TEAM

    @extend_schema(responses=BatchReportDetailSerializer)
    def get(self, request: Request, project_id: int, import_id: int) -> Response:
        report = selectors.batch_report(project=self.project, import_id=import_id)
        if report is None:
            raise NotFound("No data-health report for this import.")
        return Response(BatchReportDetailSerializer(report).data)


class BatchAnalyseApi(ProjectApi):
    """Compare the batch with the reference and score outliers again (as a job on a worker)."""

    allowed_roles = MANAGERS

    @extend_schema(request=None, responses={202: dict})
    def post(self, request: Request, project_id: int, import_id: int) -> Response:
        if selectors.batch_report(project=self.project, import_id=import_id) is None:
            raise NotFound("No data-health report for this import.")
        from django.db import transaction

        with transaction.atomic():
            job_id = analysis.batch_analyse_enqueue(data_import_id=import_id, user_id=request.user.pk)
        return Response(
            {"batch": import_id, "queued": True, "job_id": job_id}, status=status.HTTP_202_ACCEPTED
        )


class DriftSeriesApi(ProjectApi):
    """Drift per batch, oldest first (the dashboard's drift chart)."""

    allowed_roles = DATA_TEAM

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        return Response({"batches": selectors.drift_series(project=self.project)})


class QuarantineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    external_id = serializers.CharField(source="item.external_id")
    batch = serializers.IntegerField(source="data_import_id", allow_null=True)
    reasons = serializers.ListField()
    status = serializers.CharField()
    held_slots = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class QuarantineListApi(ProjectApi):
    """Quarantined items (``?status=held|released|discarded|all``, default held), paged."""

    allowed_roles = MANAGERS
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    class FilterSerializer(QuerySerializer):
        status = serializers.ChoiceField(
            choices=["held", "released", "discarded", "all"], required=False, default="held"
        )

    @extend_schema(parameters=[FilterSerializer], responses=QuarantineSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.quarantines(project=self.project, status=filters.validated_data["status"]),
            serializer_class=QuarantineSerializer,
            pagination=PagePagination,
        )


class QuarantineDecideApi(ProjectApi):
    """Release held items into the queue, or discard them (all the ids or none)."""

    allowed_roles = MANAGERS

    class InputSerializer(StrictSerializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=5000
        )
        action = serializers.ChoiceField(choices=["release", "discard"])

    @extend_schema(request=InputSerializer, responses=dict)
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = quarantine.quarantine_decide(
            project=self.project, user_id=user_id(request), **data.validated_data
        )
        return Response({"decided": count, "action": data.validated_data["action"]})


class OutlierSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    external_id = serializers.CharField(source="item.external_id")
    score = serializers.FloatField(source="outlier_score")
    batch = serializers.IntegerField(source="data_import_id", allow_null=True)
    scored_at = serializers.DateTimeField(allow_null=True)


class OutlierListApi(ProjectApi):
    """Items flagged as outliers, highest score first, paged."""

    allowed_roles = DATA_TEAM
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    @extend_schema(responses=OutlierSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.outliers(project=self.project),
            serializer_class=OutlierSerializer,
            pagination=PagePagination,
        )


class CoverageApi(ProjectApi):
    """Labels and metadata attributes (``?attribute=site&attribute=camera``) over items, labeled, exported."""

    allowed_roles = DATA_TEAM

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        attributes = request.query_params.getlist("attribute")
        bad = [
            a
            for a in attributes
            if not a or len(a) > 100 or not a.replace("_", "").replace("-", "").isalnum()
        ]
        if bad or len(attributes) > coverage.MAX_ATTRIBUTES:
            raise ServiceError(
                "Bad attribute.",
                errors={
                    "attribute": [f"at most {coverage.MAX_ATTRIBUTES} names of letters, digits, _ and -"]
                },
            )
        return Response(coverage.coverage_report(project=self.project, attributes=attributes))


class CoverageBoostApi(ProjectApi):
    """Add the coverage boost to the priority of open items that fill an under-represented value."""

    allowed_roles = DATA_TEAM

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request, project_id: int) -> Response:
        return Response(coverage.coverage_boost_apply(project=self.project))


class AuditSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    target = serializers.CharField()
    details = serializers.DictField()
    at = serializers.DateTimeField()


class AuditListApi(ProjectApi):
    """Who imported, exported, changed settings, gold or data-health rules (``?action=``), newest first."""

    allowed_roles = MANAGERS
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    class FilterSerializer(QuerySerializer):
        action = serializers.ChoiceField(choices=AuditEvent.Action.choices, required=False)

    @extend_schema(parameters=[FilterSerializer], responses=AuditSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.audit_events(
                project=self.project, action=filters.validated_data.get("action")
            ),
            serializer_class=AuditSerializer,
            pagination=PagePagination,
        )


class RetentionRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ran_at = serializers.DateTimeField()
    cutoff = serializers.DateTimeField()
    deleted = serializers.DictField()
    details = serializers.DictField()


class RetentionApi(ProjectApi):
    """What retention deleted (GET), or apply the policy now (POST; beat does it hourly)."""

    allowed_roles = MANAGERS
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    @extend_schema(responses=RetentionRunSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.retention_runs(project=self.project),
            serializer_class=RetentionRunSerializer,
            pagination=PagePagination,
        )

    @extend_schema(request=None, responses={201: RetentionRunSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        days = config.health_settings(self.project).retention_days
        if days is None:
            raise ServiceError("No retention period is set.", errors={"retention_days": ["set it first"]})
        run = retention.retention_apply(project=self.project, days=days)
        body: dict[str, Any] = RetentionRunSerializer(run).data
        return Response(body, status=status.HTTP_201_CREATED)
