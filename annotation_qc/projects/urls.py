from django.urls import path

from annotation_qc.projects import apis

urlpatterns = [
    path("projects/", apis.ProjectListCreateApi.as_view(), name="projects"),
    path("projects/<id:project_id>/", apis.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<id:project_id>/progress/", apis.ProjectProgressApi.as_view(), name="project-progress"),
    path("projects/<id:project_id>/members/", apis.ProjectMembersApi.as_view(), name="project-members"),
    path(
        "projects/<id:project_id>/members/<id:user_id>/",
        apis.ProjectMemberApi.as_view(),
        name="project-member-delete",
    ),
    path(
        "projects/<id:project_id>/member-candidates/",
        apis.MemberCandidatesApi.as_view(),
        name="project-member-candidates",
    ),
    path(
        "projects/<id:project_id>/labels/rename/", apis.LabelRenameApi.as_view(), name="project-label-rename"
    ),
]
