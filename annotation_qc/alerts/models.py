"""Alert rules, the alerts they fire (one row per episode of a condition), webhooks and their deliveries."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertRule(models.Model):
    """A condition a manager wants to hear about; ``params`` holds every parameter of the kind.

    The kinds are those of :mod:`annotation_qc.domain.alert_params` (a test keeps them in step).
    """

    class Kind(models.TextChoices):
        ANNOTATOR_ACCURACY_BELOW = "annotator_accuracy_below"
        AGREEMENT_BELOW = "agreement_below"
        LINT_ERROR_RATE_ABOVE = "lint_error_rate_above"
        LABEL_DISTRIBUTION_SHIFT = "label_distribution_shift"
        QUEUE_DRY = "queue_dry"
        SELECTIVE_SKIPPING = "selective_skipping"
        DATA_DRIFT = "data_drift"
        FIRST_PASS_ACCEPTANCE_BELOW = "first_pass_acceptance_below"
        BENCHMARK_AUDIT_AUC_ABOVE = "benchmark_audit_auc_above"

    class Severity(models.TextChoices):
        WARNING = "warning"
        CRITICAL = "critical"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="alert_rules")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    name = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "enabled"], name="alert_rule_project_idx")]

    def __str__(self) -> str:
        return f"{self.kind} rule {self.pk} of project {self.project_id}"


class Alert(models.Model):
    """One episode of a rule's condition for one subject: fired once, resolved when the condition clears."""

    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=40, help_text="The rule's kind, kept when the rule is deleted.")
    severity = models.CharField(max_length=10, default=AlertRule.Severity.WARNING)
    subject = models.CharField(max_length=100, help_text='"project" or "annotator:<id>".')
    message = models.CharField(max_length=1000)
    data = models.JSONField(default=dict)
    fired_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_episode",
            ),
        ]
        indexes = [models.Index(fields=["project", "-fired_at"], name="alert_project_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.pk} on {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Webhook(models.Model):
    """Where a project's alerts are posted (Slack-compatible JSON, HMAC-signed when a secret is set)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=2000)
    secret = models.CharField(
        max_length=500,
        blank=True,
        help_text="The signing secret, sealed under the SECRET_KEY (core/sealed.py).",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"webhook {self.pk} of project {self.project_id}"


class WebhookDelivery(models.Model):
    """One attempt to post an alert to a webhook."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveSmallIntegerField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()
    will_retry = models.BooleanField(default=False)
    attempted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["webhook", "-attempted_at"], name="delivery_webhook_time_idx")]

    def __str__(self) -> str:
        return f"attempt {self.attempt} of alert {self.alert_id} to webhook {self.webhook_id}"
