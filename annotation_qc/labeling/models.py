from django.conf import settings
from django.db import models
from django.db.models import Q

from annotation_qc.core.tokens import TOKEN_LENGTH, public_token


class Item(models.Model):
    """One image to label.

    ``open_slots`` counts the annotations still to hand out (required minus live or submitted
    tasks); dispatch takes the open item with the highest priority, through a partial index.
    The priority is double-buffered: the project's ``priority_slot`` says which of ``priority`` and
    ``priority_b`` orders the live queue; a prioritisation run writes the other one and activates
    by flipping the slot (one row, however many items).
    """

    # No separate index on project: the unique (project, external_id) index leads with it, and every
    # index on this table is paid for again when a prioritisation run swaps in new priorities.
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="items", db_index=False
    )
    external_id = models.CharField(max_length=255)
    public_id = models.CharField(max_length=TOKEN_LENGTH, unique=True, default=public_token, editable=False)
    image_token = models.CharField(max_length=TOKEN_LENGTH, unique=True, default=public_token, editable=False)
    image = models.FileField(upload_to="items/%Y/%m/", blank=True)
    # A downscaled copy of a very large image (stored here or given by URL: labeling.services.previews),
    # under its own key; why the last try to make one failed, and how many tries failed (the sweep
    # gives up after a few).
    preview = models.CharField(max_length=500, blank=True, default="", db_default="")
    preview_problem = models.CharField(max_length=500, blank=True, default="", db_default="")
    preview_failures = models.PositiveSmallIntegerField(default=0, db_default=0)
    image_url = models.URLField(max_length=2000, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    features = models.BinaryField(null=True, blank=True, help_text="float32 little-endian vector.")
    priority = models.FloatField(default=0.0)
    priority_b = models.FloatField(default=0.0)
    required_annotations = models.PositiveSmallIntegerField(default=1)
    open_slots = models.IntegerField(default=1)
    is_gold = models.BooleanField(
        default=False, help_text="Reserved for benchmarks; never in the regular queue."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="item_unique_external_id"),
            models.CheckConstraint(condition=Q(open_slots__gte=0), name="item_open_slots_non_negative"),
        ]
        indexes = [
            models.Index(
                fields=["project", "-priority", "id"], condition=Q(open_slots__gt=0), name="item_queue_idx"
            ),
            models.Index(
                fields=["project", "-priority_b", "id"],
                condition=Q(open_slots__gt=0),
                name="item_queue_b_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.project_id})"


class Prediction(models.Model):
    """A model's output for an item: a pre-annotation and the input to prioritisation."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.CharField(max_length=100)
    payload = models.JSONField()
    scores = models.JSONField(null=True, blank=True, help_text="Per-box confidence scores.")
    proba = models.JSONField(null=True, blank=True, help_text="Class probabilities in label order.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "model_version"], name="prediction_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.model_version} on {self.item_id}"


class Task(models.Model):
    """One assignment of an item to an annotator, with its lease.

    Annotators address a task by ``public_id`` (random). ``ordinal`` is the task's position in the
    annotator's sequence in the project and ``secret_version`` the dispatch secret that decided it,
    so dispatch can be replayed (``manage.py benchmark_replay``).
    """

    class Status(models.TextChoices):
        ASSIGNED = "assigned"
        SUBMITTED = "submitted"
        SKIPPED = "skipped"
        EXPIRED = "expired"

    class Kind(models.TextChoices):
        REGULAR = "regular"
        BENCHMARK = "benchmark"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="tasks")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks")
    public_id = models.CharField(max_length=TOKEN_LENGTH, unique=True, default=public_token, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    ordinal = models.PositiveIntegerField(default=0)
    secret_version = models.PositiveIntegerField(default=0)
    pre_annotation = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    served_at = models.DateTimeField()
    lease_expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="task_item_once_per_annotator"),
            models.UniqueConstraint(
                fields=["project", "annotator"],
                condition=Q(status="assigned"),
                name="task_one_open_per_annotator",
            ),
        ]
        indexes = [
            models.Index(
                fields=["project", "lease_expires_at"], condition=Q(status="assigned"), name="task_lease_idx"
            ),
            models.Index(fields=["project", "annotator", "status"], name="task_annotator_idx"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.status})"


class Annotation(models.Model):
    """A submitted answer. One per task; ``project``, ``item`` and ``annotator`` are copied for reporting."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="annotation")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="annotations")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations"
    )
    payload = models.JSONField()
    client_time_ms = models.PositiveIntegerField(null=True, blank=True)
    server_time_ms = models.PositiveIntegerField()
    is_benchmark = models.BooleanField(default=False)
    submitted_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["project", "submitted_at"], name="annotation_project_time_idx"),
            models.Index(fields=["project", "annotator"], name="annotation_annotator_idx"),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk} on item {self.item_id}"


class ModelVersion(models.Model):
    """A registered model version of a project: who owns it, when its predictions were uploaded and
    its optional roles in prioritisation (the ``current`` model, a ``committee`` member).

    Predictions name their version (``Prediction.model_version``); a predictions import registers
    the version it names if it is new and stamps ``uploaded_at``. Names are immutable.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="model_versions")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_current = models.BooleanField(default=False, help_text="Uncertainty sampling uses this version.")
    in_committee = models.BooleanField(default=False, help_text="A member of the query-by-committee set.")
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(
        null=True, blank=True, help_text="When predictions of this version were last uploaded."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="model_version_unique_name"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_current=True), name="model_version_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.project_id})"
