from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "annotation_qc.review"
    label = "review"
