from django.conf import settings
from django.db import models


class Job(models.Model):
    """A long-running background job (prioritisation, import, export, report) with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    kind = models.CharField(max_length=40)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: Refreshed every few seconds by the worker running the job; the watchdog retries a job whose
    #: heartbeat stopped (its worker died) and fails it after ``JOB_MAX_ATTEMPTS``.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "kind", "-created_at"], name="job_project_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return (
            1.0 if self.status == self.Status.SUCCEEDED else (self.done / self.total if self.total else 0.0)
        )
