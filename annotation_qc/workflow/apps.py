from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "annotation_qc.workflow"
    label = "workflow"

    def ready(self) -> None:
        # Register the Celery tasks the pipelines enqueue by name.
        from annotation_qc.workflow import tasks  # noqa: F401
