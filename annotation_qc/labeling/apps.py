from django.apps import AppConfig


class LabelingConfig(AppConfig):
    name = "annotation_qc.labeling"
    label = "labeling"

    def ready(self) -> None:
        # Register the Celery tasks services enqueue by name (previews after an import).
        from annotation_qc.labeling import tasks  # noqa: F401
