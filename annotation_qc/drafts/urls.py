from django.urls import path

from annotation_qc.drafts import apis

urlpatterns = [
    path("tasks/<int:task_id>/draft/", apis.TaskDraftApi.as_view(), name="task-draft"),
]
