from django.apps import AppConfig


class LabelingConfig(AppConfig):
    name = "annotation_qc.labeling"
    label = "labeling"
