from django.urls import path

from annotation_qc.alerts import apis

PROJECT = "projects/<id:project_id>"

urlpatterns = [
    path(f"{PROJECT}/alert-rules/", apis.AlertRuleListApi.as_view(), name="alert-rules"),
    path(f"{PROJECT}/alert-rules/kinds/", apis.AlertRuleKindsApi.as_view(), name="alert-rule-kinds"),
    path(f"{PROJECT}/alert-rules/<id:rule_id>/", apis.AlertRuleDetailApi.as_view(), name="alert-rule"),
    path(f"{PROJECT}/alerts/", apis.AlertListApi.as_view(), name="alerts"),
    path(f"{PROJECT}/alerts/check/", apis.AlertCheckApi.as_view(), name="alerts-check"),
    path(
        f"{PROJECT}/alerts/<id:alert_id>/acknowledge/",
        apis.AlertAcknowledgeApi.as_view(),
        name="alert-acknowledge",
    ),
    path(f"{PROJECT}/webhooks/", apis.WebhookListApi.as_view(), name="webhooks"),
    path(f"{PROJECT}/webhooks/<id:webhook_id>/", apis.WebhookDetailApi.as_view(), name="webhook"),
    path(
        f"{PROJECT}/webhooks/<id:webhook_id>/deliveries/",
        apis.WebhookDeliveriesApi.as_view(),
        name="webhook-deliveries",
    ),
]
