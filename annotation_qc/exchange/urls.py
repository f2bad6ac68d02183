from django.urls import path

from annotation_qc.exchange import apis

urlpatterns = [
    path("projects/<int:project_id>/imports/", apis.ProjectImportsApi.as_view(), name="project-imports"),
    path("projects/<int:project_id>/uploads/", apis.ProjectUploadsApi.as_view(), name="project-uploads"),
    path("imports/<int:import_id>/", apis.ImportDetailApi.as_view(), name="import-detail"),
    path("projects/<int:project_id>/exports/", apis.ProjectExportsApi.as_view(), name="project-exports"),
    path("exports/<int:export_id>/", apis.ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<int:export_id>/download/", apis.ExportDownloadApi.as_view(), name="export-download"),
]
