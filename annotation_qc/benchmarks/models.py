"""Gold annotations, the benchmark tasks seeded from them, and each annotator's quality status.

Nothing here is ever serialised to an annotator: the task an annotator sees is the ordinary
``labeling.Task``; whether it is a benchmark lives only in these tables.
"""

from django.conf import settings
from django.db import models


class GoldAnnotation(models.Model):
    class Source(models.TextChoices):
        IMPORTED = "imported"
        PROMOTED = "promoted"
        RESOLVED = "resolved"
        CONFIRMED = "confirmed"  # promoted automatically: review or a strong consensus confirmed it

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="gold_annotations")
    item = models.OneToOneField("labeling.Item", on_delete=models.CASCADE, related_name="gold")
    payload = models.JSONField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORTED)
    promoted_from = models.ForeignKey(
        "labeling.Annotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    exposure = models.PositiveIntegerField(
        default=0,
        help_text="Annotators this item was served to (as a benchmark, or as work before promotion).",
    )
    exposure_target = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="How many annotators it is to reach in all, drawn when first served as a benchmark so "
        "that gold targets follow how many annotators the project's work items reach "
        "(annotation_qc.domain.gold_exposure); empty until then.",
    )
    announced = models.BooleanField(
        default=False,
        help_text="Served as an announced qualification task: it stays in the qualification pool and is "
        "never hidden among work (whoever saw it announced would know it for gold).",
    )
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the item reached its exposure target, or as many annotators as any work "
        "item does: no longer served (growth from confirmed items tops the pool up).",
    )

    def __str__(self) -> str:
        return f"gold for item {self.item_id}"


class BenchmarkTask(models.Model):
    """A task served with a seeded error (or, in projects without pre-annotations, unassisted).

    Prepared ahead of the request (``task`` still empty) for the annotator's task number
    ``ordinal``; bound to the task once served. ``seeding`` records how the pre-annotation was
    made (kinds allowed and why others were not, noise, the keyed stream) for the scorecard and
    for replay.
    """

    UNASSISTED = "unassisted"

    task = models.OneToOneField(
        "labeling.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="benchmark"
    )
    ordinal = models.PositiveIntegerField(default=0)
    secret_version = models.PositiveIntegerField(default=0)
    seeding = models.JSONField(default=dict, blank=True)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    gold = models.ForeignKey(GoldAnnotation, on_delete=models.CASCADE, related_name="benchmarks")
    gold_payload = models.JSONField(help_text="The gold answer as it was when the task was seeded.")
    error_kind = models.CharField(max_length=20)
    error_label = models.CharField(max_length=100, blank=True)
    seeded_payload = models.JSONField(null=True, blank=True)
    fixed = models.BooleanField(null=True, blank=True)
    skipped = models.BooleanField(default=False, help_text="Skipped by the annotator: scored as a miss.")
    outcome = models.JSONField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "annotator", "scored_at"], name="benchmark_annotator_idx")]

    def __str__(self) -> str:
        return f"{self.error_kind} benchmark on task {self.task_id}"


class AnnotatorQuality(models.Model):
    """The current benchmark status of an annotator in a project."""

    class Status(models.TextChoices):
        CALIBRATING = "calibrating"
        OK = "ok"
        FLAGGED = "flagged"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CALIBRATING)
    benchmarks = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Benchmarks skipped (counted as misses).")
    flag = models.JSONField(
        default=dict, blank=True, help_text="The sequential tests' state (domain.flagging.FlagDecision)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "annotator"], name="annotator_quality_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.annotator_id} in {self.project_id}: {self.status}"


class AnnotatorStatusChange(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    previous = models.CharField(max_length=12)
    status = models.CharField(max_length=12)
    benchmarks = models.PositiveIntegerField()
    accuracy_high = models.FloatField(help_text="Upper bound of the 95% interval at the change.")
    reason = models.CharField(max_length=10, blank=True, help_text='"overall" or "recent" for a flag.')
    evidence = models.JSONField(default=dict, blank=True, help_text="The sequential tests at the change.")
    changed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.annotator_id}: {self.previous} -> {self.status}"


class BenchmarkAudit(models.Model):
    """One run of the benchmark audit (``domain.benchmark_audit``): can a client tell benchmarks apart?"""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    n_tasks = models.PositiveIntegerField()
    n_benchmarks = models.PositiveIntegerField()
    auc = models.FloatField(null=True, blank=True)
    auc_low = models.FloatField(null=True, blank=True)
    auc_high = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=dict, help_text="The audit's figures and most telling features.")

    class Meta:
        indexes = [models.Index(fields=["project", "-computed_at"], name="benchmark_audit_time_idx")]

    def __str__(self) -> str:
        return f"benchmark audit {self.pk} of project {self.project_id}"
