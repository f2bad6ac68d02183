from django.conf import settings
from django.db import models


class LintFinding(models.Model):
    """A warning found on a submitted annotation (errors reject the submission and are not stored)."""

    annotation = models.ForeignKey("labeling.Annotation", on_delete=models.CASCADE, related_name="findings")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    message = models.CharField(max_length=500)
    boxes = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["project", "code", "-created_at"], name="finding_project_code_idx"),
            models.Index(fields=["project", "annotator", "-created_at"], name="finding_annotator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on annotation {self.annotation_id}"


class LintProfile(models.Model):
    """What the linters learn from a project's accepted annotations: sizes per label, typical time."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="lint_profile")
    size_stats = models.JSONField(default=dict, help_text="label -> LabelSizeStats.to_dict()")
    median_time_s = models.FloatField(null=True, blank=True)
    annotations_seen = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lint profile of {self.project_id}"
