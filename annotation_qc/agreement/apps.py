from django.apps import AppConfig


class AgreementConfig(AppConfig):
    name = "annotation_qc.agreement"
    label = "agreement"

    def ready(self) -> None:
        from annotation_qc.agreement.services import reports
        from annotation_qc.core.jobs import register_job_kind

        # A report whose worker died is retried by the jobs watchdog (core.jobs), then failed.
        register_job_kind(
            "agreement",
            retry=reports.agreement_report_retry,
            give_up=reports.agreement_report_give_up,
            deadline_seconds=1800,
        )
