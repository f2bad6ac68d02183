from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "annotation_qc.projects"
    label = "projects"
