from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "annotation_qc.exchange"
    label = "exchange"

    def ready(self) -> None:
        from annotation_qc.core.jobs import register_job_kind
        from annotation_qc.core.storage import REFERENCE_OPENERS
        from annotation_qc.exchange.services import bucket_sources, exports, imports
        from annotation_qc.exchange.services.bucket_sources import REFERENCE_PREFIX, source_object_stream

        # Items of a bucket source name their object by a token; the image endpoint streams it.
        REFERENCE_OPENERS[REFERENCE_PREFIX] = source_object_stream
        # Imports, exports and syncs whose worker died are retried by the jobs watchdog (core.jobs);
        # an attempt may run two hours (500,000 items, images fetched by URL; a big bucket).
        register_job_kind(
            "import", retry=imports.import_retry, give_up=imports.import_give_up, deadline_seconds=7200
        )
        register_job_kind(
            "export", retry=exports.export_retry, give_up=exports.export_give_up, deadline_seconds=7200
        )
        register_job_kind(
            "source_sync",
            retry=bucket_sources.source_sync_retry,
            give_up=bucket_sources.source_sync_give_up,
            deadline_seconds=7200,
        )
