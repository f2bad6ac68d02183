from django.conf import settings
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


class ReviewConfig(models.Model):
    """A project's review stage: whether it is on, what enters it and in which order it is worked."""

    class Order(models.TextChoices):
        SUSPICION = "suspicion"
        AGREEMENT = "agreement"
        MODEL_CONFIDENCE = "model_confidence"
        AGE = "age"

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="review_config")
    enabled = models.BooleanField(default=False)
    #: Sampling rate for an annotator with a perfect benchmark record ...
    base_rate = models.FloatField(default=0.05)
    #: ... rising to this for the weakest.
    max_rate = models.FloatField(default=0.5)
    #: At least this while an annotator is still calibrating.
    calibration_rate = models.FloatField(default=0.5)
    lint_warnings = models.BooleanField(default=True, help_text="Every annotation with lint warnings.")
    agreement_below = models.FloatField(
        null=True, blank=True, help_text="Items whose agreement score is below this (None: off)."
    )
    suspects_top = models.PositiveIntegerField(default=0, help_text="Top label-error suspects per run.")
    order_by = models.CharField(max_length=20, choices=Order.choices, default=Order.SUSPICION)
    #: Share of review-queue entries that are review benchmarks (seeded errors from gold).
    benchmark_rate = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review config of project {self.project_id}"


class Review(models.Model):
    """One annotation under review, through every round until accepted, fixed or resolved elsewhere."""

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for a reviewer
        REWORK = "rework"  # rejected, back with its annotator
        ACCEPTED = "accepted"
        FIXED = "fixed"
        RESOLVED_ELSEWHERE = "resolved_elsewhere"

    class Reason(models.TextChoices):
        SAMPLED = "sampled"
        LINT = "lint"
        LOW_AGREEMENT = "low_agreement"
        SUSPECT = "suspect"
        BENCHMARK = "benchmark"

    OPEN = (Status.PENDING, Status.REWORK)

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="+")
    #: The annotation under review; None for a review benchmark (its payload is ``benchmark_payload``).
    annotation = models.OneToOneField(
        "labeling.Annotation", null=True, blank=True, on_delete=models.CASCADE, related_name="review"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    #: Ordering keys, set when the review is created: suspicion (higher first), the item's agreement
    #: and the model's confidence (lower first), and age (``entered_at``, older first).
    suspicion = models.FloatField(default=0.0)
    agreement = models.FloatField(null=True, blank=True)
    model_confidence = models.FloatField(null=True, blank=True)
    entered_at = models.DateTimeField()
    #: When the current round started waiting for a reviewer.
    pending_since = models.DateTimeField()
    #: Who opened the current round in the review workspace, and when (their working time runs from
    #: here to their action); cleared when the round ends.
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    round = models.PositiveSmallIntegerField(default=1)
    #: Review benchmarks: the seeded error's kind, the gold answer with that error, and whether the
    #: reviewer caught it (rejected or fixed it). Never shown to reviewers.
    benchmark_kind = models.CharField(max_length=20, blank=True)
    benchmark_payload = models.JSONField(null=True, blank=True)
    benchmark_caught = models.BooleanField(null=True, blank=True)
    benchmark_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "status", "-suspicion"], name="review_queue_suspicion_idx"),
            models.Index(fields=["project", "status", "entered_at"], name="review_queue_age_idx"),
            models.Index(fields=["project", "annotator"], name="review_annotator_idx"),
        ]

    def __str__(self) -> str:
        return f"review {self.pk} ({self.status})"


class ReviewRound(models.Model):
    """One step of a review's history: a reviewer's action or the annotator's rework."""

    class Action(models.TextChoices):
        ACCEPT = "accept"
        FIX = "fix"
        REJECT = "reject"
        REWORK = "rework"  # the annotator resubmitted
        CLOSED = "closed"  # resolved elsewhere

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="rounds")
    round = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: ``[{"box": index | None, "region": [x, y, w, h] | None, "text": str}]``; neither box nor region:
    #: a comment on the whole annotation.
    comments = models.JSONField(default=list, blank=True)
    #: Per-object verdicts of a reviewer's decision: ``[{"box": index, "verdict": "accepted" |
    #: "rejected", "comment": str}]`` (``box`` as in comments: an index into ``payload_before``'s
    #: boxes); empty when the annotation was judged only as a whole.
    object_verdicts = models.JSONField(default=list, blank=True)
    objects_reviewed = models.PositiveIntegerField(default=0)
    objects_rejected = models.PositiveIntegerField(default=0)
    payload_before = models.JSONField(null=True, blank=True)
    payload_after = models.JSONField(null=True, blank=True)
    diff = models.JSONField(null=True, blank=True)
    objects_changed = models.PositiveIntegerField(default=0)
    #: Seconds the round waited in the queue before the acting reviewer opened it (before the action
    #: when they never opened it).
    seconds_waiting = models.FloatField(default=0.0)
    #: The reviewer's working time: from opening the review to this action (None when they acted
    #: without opening it, e.g. through the API).
    seconds_working = models.FloatField(null=True, blank=True)
    acted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["review", "acted_at"], name="review_round_idx")]

    def __str__(self) -> str:
        return f"{self.action} in round {self.round} of review {self.review_id}"


class ReviewerQuality(models.Model):
    """A reviewer's record on review benchmarks and the flag status it gives (the same sequential
    tests as annotators'), kept so a change of status is seen once: it opens or resolves the
    ``reviewer_flagged`` alert, and with ``flag_action`` "stop" a flagged reviewer gets no reviews."""

    class Status(models.TextChoices):
        CALIBRATING = "calibrating"
        OK = "ok"
        FLAGGED = "flagged"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CALIBRATING)
    benchmarks = models.PositiveIntegerField(default=0)
    caught = models.PositiveIntegerField(default=0)
    flag = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "reviewer"], name="reviewer_quality_once")]

    def __str__(self) -> str:
        return f"reviewer {self.reviewer_id} in project {self.project_id} ({self.status})"
