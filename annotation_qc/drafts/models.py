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


class AnnotationRevision(models.Model):
    """An earlier version of an answer its annotator went back to and changed (``number`` 1 is the first)."""

    annotation = models.ForeignKey("labeling.Annotation", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    payload = models.JSONField()
    client_time_ms = models.PositiveIntegerField(null=True, blank=True)
    replaced_at = models.DateTimeField(auto_now_add=True)
    # When the follow-up job (workflow.after_revise: re-scoring, review sampling, consensus) had run for
    # this change; null while it is due, so the beat sweep finds a change whose job was lost
    # (workflow.submit_pipeline).
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["annotation", "number"], name="revision_unique_number"),
        ]
        indexes = [
            models.Index(
                fields=["replaced_at"],
                name="revision_follow_up_due_idx",
                condition=models.Q(followed_up_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of annotation {self.annotation_id}"
