from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "annotation_qc.exchange"
    label = "exchange"

    def ready(self) -> None:
        from annotation_qc.core.jobs import register_recovery
        from annotation_qc.core.storage import REFERENCE_OPENERS
        from annotation_qc.exchange.services import exports, imports
        from annotation_qc.exchange.services.bucket_sources import REFERENCE_PREFIX, source_object_stream

        # Items of a bucket source name their object by a token; the image endpoint streams it.
        REFERENCE_OPENERS[REFERENCE_PREFIX] = source_object_stream
        # Imports and exports whose worker died are retried by the jobs watchdog (core.jobs).
        register_recovery("import", retry=imports.import_retry, give_up=imports.import_give_up)
        register_recovery("export", retry=exports.export_retry, give_up=exports.export_give_up)
