from typing import Any, Literal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from annotation_qc.projects import cache

# Every write to projects and memberships (saves, deletes, bulk updates and deletes) forgets the
# cached rows and roles it affects, in every process (see annotation_qc.projects.cache).


class ProjectQuerySet(models.QuerySet["Project"]):
    def update(self, **kwargs: Any) -> int:
        ids = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        cache.forget_projects(ids)
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        cache.forget_projects(list(self.values_list("pk", flat=True)))
        return super().delete()


class MembershipQuerySet(models.QuerySet["Membership"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list["Membership"]:
        created = super().bulk_create(objs, *args, **kwargs)
        cache.forget_roles([(m.user_id, m.project_id) for m in created])  # a cached "not a member"
        return created

    def update(self, **kwargs: Any) -> int:
        pairs = list(self.values_list("user_id", "project_id"))
        updated = super().update(**kwargs)
        cache.forget_roles(pairs)
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        cache.forget_roles(list(self.values_list("user_id", "project_id")))
        return super().delete()


#: The items' double-buffered priority columns, by ``Project.priority_slot``.
PRIORITY_FIELDS = ("priority", "priority_b")


class Project(models.Model):
    class Kind(models.TextChoices):
        BBOX = "bbox"
        CLASSIFICATION = "classification"

    class FlagAction(models.TextChoices):
        ALERT = "alert", "Alert only"
        STOP = "stop", "Stop serving tasks"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    labels = models.JSONField(default=list, help_text="Ordered label set.")
    label_config = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per label: colour (#rrggbb), hotkey (one key), retired (kept for old answers).",
    )
    instructions = models.TextField(blank=True, max_length=50_000, help_text="Markdown shown to annotators.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    feature_dim = models.PositiveIntegerField(
        null=True, blank=True, help_text="Set by the first feature import."
    )
    # Dispatch
    overlap = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    overlap_fraction = models.FloatField(
        default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    lease_seconds = models.PositiveIntegerField(
        default=1800, validators=[MinValueValidator(30), MaxValueValidator(7 * 24 * 3600)]
    )
    max_boxes = models.PositiveIntegerField(
        default=500, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    # Benchmarks
    benchmark_rate = models.FloatField(
        default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    calibration_benchmarks = models.PositiveSmallIntegerField(default=5)
    calibration_window = models.PositiveSmallIntegerField(default=10)
    # Seeded mistakes are built to fail scoring at any match IoU above 0.6 (see domain.seeding).
    benchmark_min_iou = models.FloatField(
        default=0.7, validators=[MinValueValidator(0.65), MaxValueValidator(0.95)]
    )
    flag_threshold = models.FloatField(
        default=0.6, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    flag_action = models.CharField(max_length=10, choices=FlagAction.choices, default=FlagAction.ALERT)
    show_own_score = models.BooleanField(default=False)
    # How long after submitting annotators may go back and change their answer (0: never).
    edit_window_seconds = models.PositiveIntegerField(
        default=900, validators=[MaxValueValidator(7 * 24 * 3600)]
    )
    # Grow the gold pool from confirmed items (accepted or fixed in review, or a strong consensus)
    # until this many gold items are in service (0: off); retired gold is replaced the same way.
    gold_pool_target = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(100_000)])
    # Agreement and consensus
    max_overlap = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    consensus_target = models.FloatField(
        default=0.95, validators=[MinValueValidator(0.5), MaxValueValidator(1.0)]
    )
    # Linters: validated per-rule overrides (see annotation_qc.domain.linters.validate_lint_config)
    lint_config = models.JSONField(default=dict, blank=True)
    # Prioritisation
    strategy = models.CharField(max_length=40, default="import_order")
    prioritize_every = models.PositiveIntegerField(
        default=0, help_text="Re-prioritise after N new labels (0: off)."
    )
    priority_slot = models.PositiveSmallIntegerField(
        default=0,
        help_text="Which of the items' two priority columns orders the live queue (0: priority, "
        "1: priority_b); a prioritisation run fills the other one and activates by flipping this.",
    )

    objects = ProjectQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        cache.forget_projects([self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        cache.forget_projects([self.pk])
        return super().delete(*args, **kwargs)

    @property
    def payload_kind(self) -> Literal["bbox", "classification"]:
        """The kind, typed for the domain functions that take it."""
        return "bbox" if self.kind == self.Kind.BBOX else "classification"

    @property
    def retired_labels(self) -> frozenset[str]:
        """Labels kept for old answers that no new answer may use."""
        config = self.label_config or {}
        return frozenset(
            label
            for label in self.labels
            if isinstance(config.get(label), dict) and config[label].get("retired")
        )

    @property
    def priority_field(self) -> str:
        """The ``Item`` column that orders the live queue."""
        return PRIORITY_FIELDS[self.priority_slot]

    @property
    def standby_priority_field(self) -> str:
        """The ``Item`` column a prioritisation run writes before it flips the slot."""
        return PRIORITY_FIELDS[1 - self.priority_slot]


class Membership(models.Model):
    class Role(models.TextChoices):
        ANNOTATOR = "annotator"
        MANAGER = "manager"
        ML_ENGINEER = "ml_engineer"
        REVIEWER = "reviewer"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.project}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        cache.forget_roles([(self.user_id, self.project_id)])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        cache.forget_roles([(self.user_id, self.project_id)])
        return super().delete(*args, **kwargs)
