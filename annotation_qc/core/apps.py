from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "annotation_qc.core"
    label = "core"

    def ready(self) -> None:
        from annotation_qc.core import lookups  # noqa: F401  (registers field__any)
