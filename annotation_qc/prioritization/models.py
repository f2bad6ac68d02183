"""Priority runs: each computes a full new queue order, which becomes active only when complete."""

from django.db import models


class PriorityRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        ACTIVE = "active"
        SUPERSEDED = "superseded"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        LABELS = "labels"
        SCHEDULE = "schedule"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="priority_runs")
    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="priority_run")
    strategy = models.CharField(max_length=40)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    used_strategy = models.CharField(
        max_length=40, blank=True, help_text="Differs from strategy on fallback."
    )
    prediction_versions = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=200, blank=True)
    labels_used = models.PositiveIntegerField(default=0)
    fallback_reason = models.TextField(blank=True)
    diversity_k = models.PositiveIntegerField(default=0)
    committee = models.BinaryField(
        null=True, blank=True, help_text="The trained committee, for the chunk workers."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(status="active"), name="priority_run_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.strategy} run {self.pk} ({self.status})"


class PriorityScore(models.Model):
    """One item's score in one run (written in bulk by the chunk workers)."""

    # Indexed only by the unique (run, item) pair: every extra index costs a million inserts a run.
    run = models.ForeignKey(PriorityRun, on_delete=models.CASCADE, related_name="scores", db_index=False)
    item = models.ForeignKey(
        "labeling.Item", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "item"], name="priority_score_unique")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.score:.4f}"
