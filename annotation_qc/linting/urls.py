from django.urls import path

from annotation_qc.linting import apis

urlpatterns = [
    path("tasks/<str:task_id>/lint/", apis.LintApi.as_view(), name="task-lint"),
    path("projects/<id:project_id>/findings/", apis.FindingsApi.as_view(), name="findings"),
    path("projects/<id:project_id>/findings/rates/", apis.FindingRatesApi.as_view(), name="finding-rates"),
    path(
        "projects/<id:project_id>/annotations/<id:annotation_id>/",
        apis.AnnotationViewApi.as_view(),
        name="annotation-view",
    ),
]
