from django.urls import path

from annotation_qc.drafts import apis

urlpatterns = [
    path("tasks/<str:task_id>/draft/", apis.TaskDraftApi.as_view(), name="task-draft"),
    path("tasks/<str:task_id>/answer/", apis.AnswerReviseApi.as_view(), name="task-answer"),
    path("projects/<id:project_id>/my-answers/", apis.MyAnswersApi.as_view(), name="my-answers"),
]
