from django.urls import path

from annotation_qc.review import apis

P = "projects/<id:project_id>"

urlpatterns = [
    path(f"{P}/label-errors/", apis.LabelErrorsApi.as_view(), name="label-errors"),
    path(f"{P}/review-settings/", apis.ReviewSettingsApi.as_view(), name="review-settings"),
    path(f"{P}/review-queue/", apis.ReviewQueueApi.as_view(), name="review-queue"),
    path(f"{P}/reviews/<id:review_id>/", apis.ReviewDetailApi.as_view(), name="review-detail"),
    path(f"{P}/reviews/<id:review_id>/open/", apis.ReviewOpenApi.as_view(), name="review-open"),
    path(
        f"{P}/reviews/<id:review_id>/accept/",
        apis.ReviewActionApi.as_view(action="accept"),
        name="review-accept",
    ),
    path(f"{P}/reviews/<id:review_id>/fix/", apis.ReviewActionApi.as_view(action="fix"), name="review-fix"),
    path(
        f"{P}/reviews/<id:review_id>/reject/",
        apis.ReviewActionApi.as_view(action="reject"),
        name="review-reject",
    ),
    path(f"{P}/reviews/<id:review_id>/decide/", apis.ReviewDecideApi.as_view(), name="review-decide"),
    path(f"{P}/review-scorecard/", apis.ReviewScorecardApi.as_view(), name="review-scorecard"),
    path(f"{P}/reviewer-scorecard/", apis.ReviewerScorecardApi.as_view(), name="reviewer-scorecard"),
    path(f"{P}/my-rework/", apis.MyReworkApi.as_view(), name="my-rework"),
    path("tasks/<str:task_id>/rework/", apis.TaskReworkApi.as_view(), name="task-rework"),
]
