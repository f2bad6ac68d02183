from django.apps import AppConfig


class LintingConfig(AppConfig):
    name = "annotation_qc.linting"
    label = "linting"
