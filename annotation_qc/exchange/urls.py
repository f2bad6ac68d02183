from django.urls import path

from annotation_qc.exchange import apis

urlpatterns = [
    path("projects/<int:project_id>/imports/", apis.ProjectImportsApi.as_view(), name="project-imports"),
    path("projects/<int:project_id>/uploads/", apis.ProjectUploadsApi.as_view(), name="project-uploads"),
    path("imports/<int:import_id>/", apis.ImportDetailApi.as_view(), name="import-detail"),
    path("projects/<int:project_id>/exports/", apis.ProjectExportsApi.as_view(), name="project-exports"),
    path("exports/<int:export_id>/", apis.ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<int:export_id>/download/", apis.ExportDownloadApi.as_view(), name="export-download"),
    path("projects/<int:project_id>/sources/", apis.ProjectSourcesApi.as_view(), name="project-sources"),
    path("sources/<int:source_id>/", apis.SourceDetailApi.as_view(), name="source-detail"),
    path("sources/<int:source_id>/sync/", apis.SourceSyncApi.as_view(), name="source-sync"),
]
