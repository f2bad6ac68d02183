from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "annotation_qc.core"
    label = "core"
