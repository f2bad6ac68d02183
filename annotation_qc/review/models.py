from django.db import models


class LabelErrorRun(models.Model):
    """One label-error detection over a project's accepted items; its suspects are stored with it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: "committee" (out-of-fold probabilities from the prioritisation committee) or "model".
    source = models.CharField(max_length=20)
    model_version = models.CharField(max_length=100, blank=True)
    n_items = models.PositiveIntegerField(default=0)
    n_suspects = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "status", "-created_at"], name="label_error_run_idx")]

    def __str__(self) -> str:
        return f"label-error run {self.pk} ({self.status})"


class LabelErrorSuspect(models.Model):
    """An accepted item whose label is probably wrong, with how sure and why."""

    class Kind(models.TextChoices):
        CLASSIFICATION = "classification"
        CROWD = "crowd"
        OVERLOOKED = "overlooked"
        BADLY_LOCATED = "badly_located"
        WRONG_CLASS = "wrong_class"
        SPURIOUS = "spurious"

    run = models.ForeignKey(LabelErrorRun, on_delete=models.CASCADE, related_name="suspects")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="+")
    #: The accepted annotation for an item labelled once (None where the label is a consensus).
    annotation = models.ForeignKey(
        "labeling.Annotation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveIntegerField()
    #: In [0, 1], higher = more likely wrong.
    score = models.FloatField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    given_label = models.CharField(max_length=200, blank=True)
    suggested_label = models.CharField(max_length=200, blank=True)
    model_confidence = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    details = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "item"], name="label_error_suspect_once")]
        indexes = [models.Index(fields=["run", "rank"], name="label_error_rank_idx")]

    def __str__(self) -> str:
        return f"suspect item {self.item_id} ({self.score:.2f})"
