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


class BucketSource(models.Model):
    """A prefix of an S3-compatible bucket whose images become items, synced incrementally.

    The secret key is stored sealed (annotation_qc.core.sealed) and never returned by the API.
    A flat prefix keeps one cursor (``cursor``, the last key a sync listed): the next sync lists only
    keys after it. A prefix with folders keeps one per folder (``folder_cursors``), so a key added to
    any folder is found by the next sync, even one that sorts before the last key overall.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="bucket_sources")
    name = models.CharField(max_length=100)
    endpoint_url = models.CharField(max_length=500, blank=True, help_text="Empty for AWS S3.")
    region = models.CharField(max_length=50, blank=True)
    bucket = models.CharField(max_length=63)
    prefix = models.CharField(max_length=1024, blank=True)
    access_key_id = models.CharField(max_length=200, blank=True)
    secret_access_key = models.TextField(blank=True, help_text="Sealed.")
    pattern = models.CharField(max_length=200, default="*.png *.jpg *.jpeg *.webp *.gif")
    manifest = models.CharField(
        max_length=200, blank=True, help_text="Key of a JSON Lines file in the bucket: key, width, height."
    )
    annotation_suffix = models.CharField(
        max_length=50, blank=True, help_text="Annotation file beside each image (a.png: a<suffix>): gold."
    )
    prediction_suffix = models.CharField(
        max_length=50, blank=True, help_text="Prediction file beside each image (a.png: a<suffix>)."
    )
    model_version = models.CharField(max_length=100, blank=True, help_text="The predictions' model version.")
    annotation_file = models.CharField(
        max_length=200,
        blank=True,
        help_text="Key of an annotation file in the bucket (COCO .json, .jsonl, .csv): gold for new images.",
    )
    cursor = models.CharField(max_length=1024, blank=True, help_text="The last key listed, over all folders.")
    folder_cursors = models.JSONField(
        default=dict, blank=True, help_text='{folder: last key listed in it}; "" for keys not in a folder.'
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.bucket}/{self.prefix} ({self.project_id})"


class SourceSync(models.Model):
    """One sync of a bucket source: what it listed, created and rejected."""

    source = models.ForeignKey(BucketSource, on_delete=models.CASCADE, related_name="syncs")
    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="source_sync")
    cursor_before = models.CharField(max_length=1024, blank=True)
    cursor_after = models.CharField(max_length=1024, blank=True)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sync {self.pk} of source {self.source_id}"


class SourceObject(models.Model):
    """An object of a bucket source an item references (no copy). ``Item.image`` is
    ``bucket-object/<token>``: the key stays out of every name and URL an annotator sees."""

    source = models.ForeignKey(BucketSource, on_delete=models.CASCADE, related_name="source_objects")
    key = models.CharField(max_length=1024)
    token = models.CharField(max_length=32, unique=True)
    etag = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    last_modified = models.DateTimeField(null=True, blank=True)
    sidecars = models.JSONField(default=dict, blank=True, help_text="{role: ETag} of the sidecar files read.")
    item = models.OneToOneField("labeling.Item", on_delete=models.CASCADE, related_name="source_object")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="source_object_unique_key")]

    def __str__(self) -> str:
        return self.key
