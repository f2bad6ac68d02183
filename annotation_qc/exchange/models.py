"""Imports of files into a project and immutable export snapshots with their lineage."""

from django.conf import settings
from django.db import models


class DataImport(models.Model):
    """One imported file (or archive, or set of images), stored first and read by a job."""

    class Target(models.TextChoices):
        ITEMS = "items"
        GOLD = "gold"
        PREDICTIONS = "predictions"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        IMPORTED = "imported"
        REJECTED = "rejected"
        FAILED = "failed"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="data_imports")
    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="data_import")
    format = models.CharField(max_length=20)
    target = models.CharField(max_length=12, choices=Target.choices, default=Target.ITEMS)
    model_version = models.CharField(max_length=100, blank=True)
    copy_images = models.BooleanField(
        default=False, help_text="Download images given by URL and serve them from here."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    storage_dir = models.CharField(max_length=200, help_text="Random id grouping the upload's stored files.")
    files = models.JSONField(default=list, help_text="[{name, path, size, role}] of the stored upload.")
    size_bytes = models.PositiveBigIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="data_import_project_idx")]

    def __str__(self) -> str:
        return f"{self.format} import {self.pk} ({self.status})"


class ExportSnapshot(models.Model):
    """An export: content written once by a job, with its sha256 and a manifest of lineage."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="exports")
    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="export")
    format = models.CharField(max_length=20)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="exports/", blank=True, max_length=300)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    manifest = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="export_project_idx")]

    def __str__(self) -> str:
        return f"{self.format} export {self.pk} ({self.status})"
