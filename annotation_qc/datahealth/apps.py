from django.apps import AppConfig


class DataHealthConfig(AppConfig):
    name = "annotation_qc.datahealth"
    label = "datahealth"
