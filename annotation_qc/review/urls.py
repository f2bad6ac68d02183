from django.urls import path

from annotation_qc.review import apis

urlpatterns = [
    path("projects/<int:project_id>/label-errors/", apis.LabelErrorsApi.as_view(), name="label-errors"),
]
