from django.apps import AppConfig


class PrioritizationConfig(AppConfig):
    name = "annotation_qc.prioritization"
    label = "prioritization"
