"""Data health: per-project configuration, per-item measurements, quarantined items, per-batch reports,
the audit log and the record of what retention deleted."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class HealthConfig(models.Model):
    """A project's data-health settings; ``config`` is validated (domain.data_health.config)."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="health_config")
    config = models.JSONField(default=dict, blank=True)
    pseudonymise_exports = models.BooleanField(
        default=False, help_text="Exports name annotators by a stable keyed pseudonym instead of a username."
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Delete raw uploads, served task logs and benchmark copies after N days.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"data health settings of project {self.project_id}"


class ItemHealth(models.Model):
    """What was measured on an item's image at import, and its latest outlier score."""

    item = models.OneToOneField("labeling.Item", on_delete=models.CASCADE, related_name="health")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    data_import = models.ForeignKey(
        "exchange.DataImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stats = models.JSONField(
        default=dict, blank=True, help_text="Image statistics (empty: no image decoded)."
    )
    dhash = models.BigIntegerField(null=True, blank=True)
    phash = models.BigIntegerField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True, help_text="sha256 of the image file.")
    measure_version = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Version of the image measurement (decode scale and statistics) that measured the "
        "statistics (services.measure.MEASURE_VERSION; empty: measured before versions were recorded). "
        "Drift compares image statistics only between items of the same version.",
    )
    outlier_score = models.FloatField(null=True, blank=True)
    is_outlier = models.BooleanField(default=False)
    priority_boost = models.FloatField(
        default=0.0,
        help_text="Coverage boost currently added to the item's priority (see services.coverage).",
    )
    placement_shift = models.FloatField(
        default=0.0,
        help_text="Outlier placement currently added to the item's priority (+ first, - last). Boost and "
        "shift are added to every queue order written, a prioritisation run's included.",
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "data_import"], name="item_health_batch_idx"),
            models.Index(fields=["project"], condition=Q(is_outlier=True), name="item_health_outlier_idx"),
        ]

    def __str__(self) -> str:
        return f"health of item {self.item_id}"


class Quarantine(models.Model):
    """An item kept out of the queue (``open_slots`` 0) until a manager releases or discards it."""

    class Status(models.TextChoices):
        HELD = "held"
        RELEASED = "released"
        DISCARDED = "discarded"

    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="quarantines")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    data_import = models.ForeignKey(
        "exchange.DataImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reasons = models.JSONField(default=list, help_text="[{check, reason}] that put the item here.")
    held_slots = models.PositiveSmallIntegerField(
        help_text="The open slots the item had (given back on release)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="held"), name="quarantine_one_held_per_item"
            )
        ]
        indexes = [models.Index(fields=["project", "status", "id"], name="quarantine_project_idx")]

    def __str__(self) -> str:
        return f"quarantine of item {self.item_id} ({self.status})"


class BatchReport(models.Model):
    """The data-health report of one import (a batch): check failures, then drift and outliers."""

    data_import = models.OneToOneField("exchange.DataImport", on_delete=models.CASCADE, related_name="health")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    items = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, help_text="{check: {action: failing items}}.")
    failures = models.JSONField(default=list, help_text="[{external_id, check, action, reason}] (capped).")
    failures_total = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    warned = models.PositiveIntegerField(default=0)
    rejected = models.BooleanField(default=False)
    drift = models.JSONField(default=dict, blank=True)
    drifted = models.BooleanField(default=False)
    drift_checked_at = models.DateTimeField(null=True, blank=True)
    outliers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="batch_report_project_idx")]

    def __str__(self) -> str:
        return f"data health of import {self.data_import_id}"


class AuditEvent(models.Model):
    """Who did what to a project's data or settings, and when."""

    class Action(models.TextChoices):
        IMPORT = "import"
        EXPORT = "export"
        SETTINGS = "settings"
        GOLD = "gold"
        HEALTH_CONFIG = "health_config"
        QUARANTINE = "quarantine"
        RETENTION = "retention"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-at"], name="audit_project_time_idx")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} in project {self.project_id}"


class RetentionRun(models.Model):
    """What one retention pass deleted in a project."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    ran_at = models.DateTimeField()
    cutoff = models.DateTimeField()
    deleted = models.JSONField(default=dict, help_text="{kind: count}.")
    details = models.JSONField(default=dict, help_text="{kind: [ids or paths]} (capped).")

    class Meta:
        indexes = [models.Index(fields=["project", "-ran_at"], name="retention_project_idx")]

    def __str__(self) -> str:
        return f"retention of project {self.project_id} at {self.ran_at}"
