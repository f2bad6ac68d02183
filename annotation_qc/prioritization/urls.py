from django.urls import path

from annotation_qc.prioritization import apis

urlpatterns = [
    path("projects/<id:project_id>/prioritize/", apis.PrioritizeApi.as_view(), name="prioritize"),
    path("projects/<id:project_id>/queue/", apis.QueueApi.as_view(), name="queue"),
    path(
        "projects/<id:project_id>/model-versions/", apis.ModelVersionListApi.as_view(), name="model-versions"
    ),
    path(
        "projects/<id:project_id>/model-versions/<id:version_id>/",
        apis.ModelVersionDetailApi.as_view(),
        name="model-version",
    ),
]
