from django.apps import AppConfig


class AgreementConfig(AppConfig):
    name = "annotation_qc.agreement"
    label = "agreement"
