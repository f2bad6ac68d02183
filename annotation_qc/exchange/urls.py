from django.urls import path

from annotation_qc.exchange import apis

urlpatterns = [
    path("projects/<id:project_id>/imports/", apis.ProjectImportsApi.as_view(), name="project-imports"),
    path("projects/<id:project_id>/uploads/", apis.ProjectUploadsApi.as_view(), name="project-uploads"),
    path("imports/<id:import_id>/", apis.ImportDetailApi.as_view(), name="import-detail"),
    path("projects/<id:project_id>/exports/", apis.ProjectExportsApi.as_view(), name="project-exports"),
    path("exports/<id:export_id>/", apis.ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<id:export_id>/download/", apis.ExportDownloadApi.as_view(), name="export-download"),
    path("projects/<id:project_id>/sources/", apis.ProjectSourcesApi.as_view(), name="project-sources"),
    path("sources/<id:source_id>/", apis.SourceDetailApi.as_view(), name="source-detail"),
    path("sources/<id:source_id>/sync/", apis.SourceSyncApi.as_view(), name="source-sync"),
]
