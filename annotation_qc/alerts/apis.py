"""Alert rules, alerts and webhooks of a project: managers only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.alerts import selectors
from annotation_qc.alerts.models import Alert, AlertRule
from annotation_qc.alerts.services import checks, rules, webhooks
from annotation_qc.core.auth import user_id
from annotation_qc.core.exceptions import NotFound
from annotation_qc.core.pagination import PagePagination, paginated_response
from annotation_qc.core.schema import OBJECT_LIST
from annotation_qc.core.serializers import QuerySerializer, StrictSerializer
from annotation_qc.domain.alert_params import describe_kinds
from annotation_qc.projects.permissions import MANAGER, ProjectApi

MANAGERS = frozenset({MANAGER})


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


class RuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    severity = serializers.CharField()
    enabled = serializers.BooleanField()
    params = serializers.DictField()
    open_alerts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_checked_at = serializers.DateTimeField(allow_null=True)


def _rule_body(api: ProjectApi, rule_id: int) -> dict[str, Any]:
    rule = selectors.rule_detail(project=api.project, rule_id=rule_id)
    if rule is None:
        raise NotFound("No such alert rule.")
    return RuleOutputSerializer(rule).data


class AlertRuleListApi(ProjectApi):
    allowed_roles = MANAGERS

    class InputSerializer(StrictSerializer):
        kind = serializers.ChoiceField(choices=AlertRule.Kind.choices)
        name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        severity = serializers.ChoiceField(
            choices=AlertRule.Severity.choices, required=False, default="warning"
        )
        enabled = serializers.BooleanField(required=False, default=True)
        params = serializers.DictField(required=False, default=dict, help_text="Overrides of the defaults.")

    @extend_schema(responses=RuleOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return Response(RuleOutputSerializer(selectors.rules_list(project=self.project), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: RuleOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = rules.rule_create(project=self.project, user_id=user_id(request), **data.validated_data)
        return Response(_rule_body(self, rule.pk), status=status.HTTP_201_CREATED)


class AlertRuleDetailApi(ProjectApi):
    allowed_roles = MANAGERS

    class InputSerializer(StrictSerializer):
        kind = serializers.CharField(required=False, help_text="Cannot change; accepted only unchanged.")
        name = serializers.CharField(max_length=200, required=False, allow_blank=True)
        severity = serializers.ChoiceField(choices=AlertRule.Severity.choices, required=False)
        enabled = serializers.BooleanField(required=False)
        params = serializers.DictField(required=False, help_text="Merged onto the current parameters.")

    @extend_schema(responses=RuleOutputSerializer)
    def get(self, request: Request, project_id: int, rule_id: int) -> Response:
        return Response(_rule_body(self, rule_id))

    @extend_schema(request=InputSerializer, responses=RuleOutputSerializer)
    def patch(self, request: Request, project_id: int, rule_id: int) -> Response:
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = rules.rule_get(project=self.project, rule_id=rule_id)
        rules.rule_update(rule=rule, changes=dict(data.validated_data))
        return Response(_rule_body(self, rule_id))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, rule_id: int) -> Response:
        rules.rule_delete(rule=rules.rule_get(project=self.project, rule_id=rule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertRuleKindsApi(ProjectApi):
    """Every rule kind with its parameters: default, allowed values and what it means."""

    allowed_roles = MANAGERS

    @extend_schema(responses={200: OBJECT_LIST})
    def get(self, request: Request, project_id: int) -> Response:
        return Response(describe_kinds())


# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------


class AlertOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule_id = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    code = serializers.CharField(source="kind", help_text="Same as kind.")
    severity = serializers.CharField()
    subject = serializers.CharField()
    message = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]  # the metaclass moves fields off the class
    status = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="fired_at", help_text="Same as fired_at.")
    fired_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", allow_null=True, default=None)
    acknowledged_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, alert: Alert) -> str:
        return "open" if alert.is_open else "resolved"


class AlertListApi(ProjectApi):
    """The project's alerts, open ones first; ``?status=open|resolved|all`` (default all), paged."""

    allowed_roles = MANAGERS
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    class FilterSerializer(QuerySerializer):
        status = serializers.ChoiceField(choices=["open", "resolved", "all"], required=False, default="all")

    @extend_schema(parameters=[FilterSerializer], responses=AlertOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        alerts = selectors.alerts_list(project=self.project, status=filters.validated_data["status"])
        return paginated_response(
            request=request,
            view=self,
            queryset=alerts,
            serializer_class=AlertOutputSerializer,
            pagination=PagePagination,
        )


class AlertCheckApi(ProjectApi):
    """Check the project's rules now (beat does it every five minutes)."""

    allowed_roles = MANAGERS

    class OutputSerializer(serializers.Serializer):
        rules = serializers.IntegerField()
        fired = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of new alerts.")
        resolved = serializers.IntegerField()
        open = serializers.IntegerField()
        failed = serializers.DictField(child=serializers.CharField(), help_text="Rule id -> error.")

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        summary = checks.alerts_check(project=self.project)
        return Response(self.OutputSerializer(summary).data)


class AlertAcknowledgeApi(ProjectApi):
    allowed_roles = MANAGERS

    @extend_schema(request=None, responses=AlertOutputSerializer)
    def post(self, request: Request, project_id: int, alert_id: int) -> Response:
        alert = checks.alert_acknowledge(project=self.project, alert_id=alert_id, user_id=user_id(request))
        return Response(AlertOutputSerializer(alert).data)


# ---------------------------------------------------------------------------------------------
# Webhooks
# ---------------------------------------------------------------------------------------------


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    active = serializers.BooleanField()
    has_secret = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_has_secret(self, webhook: Any) -> bool:
        return bool(webhook.secret)


class WebhookListApi(ProjectApi):
    allowed_roles = MANAGERS

    class InputSerializer(StrictSerializer):
        url = serializers.URLField(max_length=2000, help_text="http:// or https:// only.")
        name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        secret = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            default="",
            help_text="Signs each body: X-AnnotationQC-Signature-256: sha256=<HMAC-SHA256 hex>. Never shown.",
        )
        active = serializers.BooleanField(required=False, default=True)

    @extend_schema(responses=WebhookOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return Response(
            WebhookOutputSerializer(selectors.webhooks_list(project=self.project), many=True).data
        )

    @extend_schema(request=InputSerializer, responses={201: WebhookOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook = webhooks.webhook_create(
            project=self.project, user_id=user_id(request), **data.validated_data
        )
        return Response(WebhookOutputSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(ProjectApi):
    allowed_roles = MANAGERS

    class InputSerializer(StrictSerializer):
        url = serializers.URLField(max_length=2000, required=False)
        name = serializers.CharField(max_length=200, required=False, allow_blank=True)
        secret = serializers.CharField(max_length=200, required=False, allow_blank=True)
        active = serializers.BooleanField(required=False)

    @extend_schema(responses=WebhookOutputSerializer)
    def get(self, request: Request, project_id: int, webhook_id: int) -> Response:
        webhook = webhooks.webhook_get(project=self.project, webhook_id=webhook_id)
        return Response(WebhookOutputSerializer(webhook).data)

    @extend_schema(request=InputSerializer, responses=WebhookOutputSerializer)
    def patch(self, request: Request, project_id: int, webhook_id: int) -> Response:
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        webhook = webhooks.webhook_get(project=self.project, webhook_id=webhook_id)
        webhook = webhooks.webhook_update(webhook=webhook, changes=dict(data.validated_data))
        return Response(WebhookOutputSerializer(webhook).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, webhook_id: int) -> Response:
        webhooks.webhook_delete(webhook=webhooks.webhook_get(project=self.project, webhook_id=webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesApi(ProjectApi):
    """Every delivery attempt of a webhook, newest first, paged."""

    allowed_roles = MANAGERS
    pagination_class = PagePagination  # documents the page envelope and its query parameters

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        alert_id = serializers.IntegerField()
        attempt = serializers.IntegerField()
        ok = serializers.BooleanField()
        status_code = serializers.IntegerField(allow_null=True)
        error = serializers.CharField()
        response_excerpt = serializers.CharField()
        duration_ms = serializers.IntegerField()
        will_retry = serializers.BooleanField()
        attempted_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, project_id: int, webhook_id: int) -> Response:
        webhook = webhooks.webhook_get(project=self.project, webhook_id=webhook_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.deliveries_list(webhook=webhook),
            serializer_class=self.OutputSerializer,
            pagination=PagePagination,
        )
