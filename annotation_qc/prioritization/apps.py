from django.apps import AppConfig


class PrioritizationConfig(AppConfig):
    name = "annotation_qc.prioritization"
    label = "prioritization"

    def ready(self) -> None:
        from annotation_qc.core.jobs import register_job_kind
        from annotation_qc.prioritization.services import runs

        # A run whose worker died is prepared again by the jobs watchdog (core.jobs), then failed. Its
        # chunks may wait in the queue behind other work between two beats: a ten-minute window. Each
        # part (training, a chunk, the activation) may run an hour.
        register_job_kind(
            "prioritize",
            retry=runs.prioritize_retry,
            give_up=runs.prioritize_give_up,
            stale_seconds=600,
            deadline_seconds=3600,
        )
