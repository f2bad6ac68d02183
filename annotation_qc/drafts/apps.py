from django.apps import AppConfig


class DraftsConfig(AppConfig):
    name = "annotation_qc.drafts"
    label = "drafts"
