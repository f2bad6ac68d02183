from django.db import models


class TaskDraft(models.Model):
    """The annotator's unsubmitted work on an open task, saved as they go and restored on any device."""

    task = models.OneToOneField("labeling.Task", on_delete=models.CASCADE, related_name="draft")
    payload = models.JSONField()
    # Time worked on the task so far (the client's timer carries on from here after a reload).
    elapsed_ms = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft of task {self.task_id}"
