from django.urls import path

from annotation_qc.labeling import apis

urlpatterns = [
    path("projects/<id:project_id>/items/", apis.ItemImportApi.as_view(), name="item-import"),
    path(
        "projects/<id:project_id>/predictions/", apis.PredictionImportApi.as_view(), name="prediction-import"
    ),
    path("projects/<id:project_id>/next-task/", apis.NextTaskApi.as_view(), name="next-task"),
    path("projects/<id:project_id>/my-tasks/", apis.MyTasksApi.as_view(), name="my-tasks"),
    path("tasks/<str:task_id>/submit/", apis.SubmitApi.as_view(), name="task-submit"),
    path("tasks/<str:task_id>/skip/", apis.SkipApi.as_view(), name="task-skip"),
    path("images/<str:token>/", apis.ItemImageApi.as_view(), name="task-image"),
    path("items/<id:item_id>/image/", apis.ItemImageApi.as_view(), name="item-image"),
]
