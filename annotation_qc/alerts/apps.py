from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "annotation_qc.alerts"
    label = "alerts"
