"""Dispatch state that sits above labeling and benchmarks: the per-project secret and each
annotator's prepared next task.

Nothing here is ever serialised to an annotator.
"""

from django.conf import settings
from django.db import models


class DispatchSecret(models.Model):
    """A per-project key for all dispatch randomness, and the schedule it was used with.

    Rotating the key adds a version; so does changing the project's benchmark rate or qualification
    size (same key, new schedule). Old versions stay, and a task replays with the version it stores.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    key = models.BinaryField(max_length=64)
    benchmark_rate = models.FloatField(
        null=True, blank=True, help_text="The project's benchmark rate this version schedules with."
    )
    qualification = models.PositiveIntegerField(
        null=True, blank=True, help_text="The qualification size this version schedules with."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="dispatch_secret_unique_version")
        ]

    def __str__(self) -> str:
        return f"dispatch secret v{self.version} of project {self.project_id}"


class DispatchPlan(models.Model):
    """What an annotator's next task (number ``ordinal``) will be, prepared off the request.

    ``benchmark`` is a prepared, not yet served benchmark for that ordinal (empty: work). Next-task
    reads this one row whatever it holds, so serving a benchmark runs the same statements as
    serving work; a worker prepares the row for the following task after each serve.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ordinal = models.PositiveIntegerField(default=0)
    secret_version = models.PositiveIntegerField(default=0)
    prepared_for = models.IntegerField(default=-1, help_text="The ordinal the row was last prepared for.")
    benchmark = models.ForeignKey(
        "benchmarks.BenchmarkTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_task = models.ForeignKey(
        "labeling.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "annotator"], name="dispatch_plan_unique_annotator")
        ]

    def __str__(self) -> str:
        return f"plan of {self.annotator_id} in {self.project_id} at {self.ordinal}"
