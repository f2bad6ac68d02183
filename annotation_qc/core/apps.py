from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "annotation_qc.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from annotation_qc.core import lookups  # noqa: F401  (registers field__any)
        from annotation_qc.core.converters import IdConverter

        # Before any URL conf is loaded: every integer path parameter of the API is an ``<id:...>``.
        register_converter(IdConverter, "id")
