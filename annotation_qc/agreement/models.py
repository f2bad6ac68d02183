from django.conf import settings
from django.db import models


class AgreementSnapshot(models.Model):
    """One computed agreement report of a project; the series of snapshots is the trend."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="agreement_snapshots"
    )
    job = models.OneToOneField("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    computed_at = models.DateTimeField()
    alpha = models.FloatField(null=True, blank=True)
    alpha_low = models.FloatField(null=True, blank=True)
    alpha_high = models.FloatField(null=True, blank=True)
    n_items = models.PositiveIntegerField(default=0)
    report = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["project", "-computed_at"], name="agreement_project_time_idx")]

    def __str__(self) -> str:
        return f"agreement of {self.project_id} at {self.computed_at:%Y-%m-%d %H:%M}"


class ItemAgreementScore(models.Model):
    """An item's agreement score in a snapshot (kept for the items below full agreement)."""

    snapshot = models.ForeignKey(AgreementSnapshot, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    n_annotations = models.PositiveSmallIntegerField()
    conflicts = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["snapshot", "score"], name="item_agreement_score_idx")]

    def __str__(self) -> str:
        return f"item {self.item_id}: {self.score:.2f}"


class Consensus(models.Model):
    """The final answer for a double-labeled item: what export and training use."""

    class Method(models.TextChoices):
        WEIGHTED_VOTE = "weighted_vote"
        MAJORITY = "majority"
        FUSED_BOXES = "fused_boxes"
        MANUAL = "manual"
        REVIEW_FIX = "review_fix"  # a reviewer's fix: the item's label of record

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    item = models.OneToOneField("labeling.Item", on_delete=models.CASCADE, related_name="consensus")
    payload = models.JSONField()
    posterior = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    n_annotations = models.PositiveSmallIntegerField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"consensus of item {self.item_id} ({self.method})"
