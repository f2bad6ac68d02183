from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    name = "annotation_qc.benchmarks"
    label = "benchmarks"
