from django.urls import path

from annotation_qc.datahealth import apis

BASE = "projects/<id:project_id>/data-health"

urlpatterns = [
    path(f"{BASE}/settings/", apis.HealthSettingsApi.as_view(), name="data-health-settings"),
    path(f"{BASE}/checks/", apis.HealthChecksApi.as_view(), name="data-health-checks"),
    path(f"{BASE}/coverage/targets/", apis.CoverageTargetsApi.as_view(), name="data-health-coverage-targets"),
    path(f"{BASE}/coverage/", apis.CoverageApi.as_view(), name="data-health-coverage"),
    path(f"{BASE}/coverage/boost/", apis.CoverageBoostApi.as_view(), name="data-health-coverage-boost"),
    path(f"{BASE}/batches/", apis.BatchReportListApi.as_view(), name="data-health-batches"),
    path(f"{BASE}/batches/<id:import_id>/", apis.BatchReportDetailApi.as_view(), name="data-health-batch"),
    path(
        f"{BASE}/batches/<id:import_id>/analyse/",
        apis.BatchAnalyseApi.as_view(),
        name="data-health-batch-analyse",
    ),
    path(f"{BASE}/drift/", apis.DriftSeriesApi.as_view(), name="data-health-drift"),
    path(f"{BASE}/quarantine/", apis.QuarantineListApi.as_view(), name="data-health-quarantine"),
    path(
        f"{BASE}/quarantine/decide/", apis.QuarantineDecideApi.as_view(), name="data-health-quarantine-decide"
    ),
    path(f"{BASE}/outliers/", apis.OutlierListApi.as_view(), name="data-health-outliers"),
    path(f"{BASE}/audit/", apis.AuditListApi.as_view(), name="data-health-audit"),
    path(f"{BASE}/retention/", apis.RetentionApi.as_view(), name="data-health-retention"),
]
