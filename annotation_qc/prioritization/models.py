"""Priority runs: each computes a full new queue order into the items' standby priority column,
which becomes active only when complete (the project's ``priority_slot`` flips)."""

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
    #: Which preparation of the run its chunks and activation belong to: the watchdog's retry of a run
    #: whose worker died prepares it again, and the parts of an earlier attempt then write nothing.
    attempt = models.PositiveIntegerField(default=0)
    committee = models.BinaryField(
        null=True, blank=True, help_text="The trained committee, for the chunk workers."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(status="active"), name="priority_run_one_active"
            ),
            # One run at a time writes the project's standby priority column.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status__in=["pending", "running"]),
                name="priority_run_one_busy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.strategy} run {self.pk} ({self.status})"


class PriorityChunk(models.Model):
    """An id range of a run whose scores are written: a redelivered chunk counts once in the progress."""

    run = models.ForeignKey(PriorityRun, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    lo = models.BigIntegerField()
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "lo"], name="priority_chunk_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} from {self.lo}"
