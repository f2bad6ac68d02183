from django.apps import AppConfig


class DataHealthConfig(AppConfig):
    name = "annotation_qc.datahealth"
    label = "datahealth"

    def ready(self) -> None:
        from annotation_qc.core.jobs import register_job_kind
        from annotation_qc.datahealth.services import analysis

        # A batch analysis whose worker died is retried by the jobs watchdog (core.jobs), then failed.
        register_job_kind(
            "batch_analyse",
            retry=analysis.batch_analyse_retry,
            give_up=analysis.batch_analyse_give_up,
            deadline_seconds=1800,
        )
