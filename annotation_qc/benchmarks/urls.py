from django.urls import path

from annotation_qc.benchmarks import apis

urlpatterns = [
    path("projects/<id:project_id>/gold/", apis.GoldApi.as_view(), name="gold"),
    path("projects/<id:project_id>/gold/promote/", apis.GoldPromoteApi.as_view(), name="gold-promote"),
    path("projects/<id:project_id>/annotators/", apis.ScorecardsApi.as_view(), name="scorecards"),
    path(
        "projects/<id:project_id>/annotators/<id:user_id>/benchmarks/",
        apis.AnnotatorBenchmarksApi.as_view(),
        name="annotator-benchmarks",
    ),
    path("projects/<id:project_id>/my-score/", apis.OwnScoreApi.as_view(), name="my-score"),
    path(
        "projects/<id:project_id>/benchmark-audit/", apis.BenchmarkAuditApi.as_view(), name="benchmark-audit"
    ),
]
