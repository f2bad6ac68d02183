from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "annotation_qc.review"
    label = "review"

    def ready(self) -> None:
        from annotation_qc.core.jobs import register_job_kind
        from annotation_qc.review.services import label_errors

        # A label-error detection whose worker died is retried by the jobs watchdog (core.jobs).
        register_job_kind(
            "label_errors",
            retry=label_errors.label_errors_retry,
            give_up=label_errors.label_errors_give_up,
            deadline_seconds=3600,
        )
