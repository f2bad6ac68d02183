from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from annotation_qc.core.apis import ApiVersionApi, JobDetailApi
from annotation_qc.core.views import api_not_found, frontend_index, healthz

api_v1: list[URLPattern | URLResolver] = [
    path("", include("annotation_qc.accounts.urls")),
    path("", include("annotation_qc.projects.urls")),
    path("", include("annotation_qc.labeling.urls")),
    path("", include("annotation_qc.benchmarks.urls")),
    path("", include("annotation_qc.linting.urls")),
    path("", include("annotation_qc.prioritization.urls")),
    path("", include("annotation_qc.agreement.urls")),
    path("", include("annotation_qc.exchange.urls")),
    path("", include("annotation_qc.alerts.urls")),
    path("", include("annotation_qc.review.urls")),
    path("", include("annotation_qc.datahealth.urls")),
    path("", include("annotation_qc.drafts.urls")),
    path("", include("annotation_qc.charts.urls")),
    path("jobs/<id:job_id>/", JobDetailApi.as_view(), name="job-detail"),
    path("version/", ApiVersionApi.as_view(), name="api-version"),
]

handler500 = "annotation_qc.core.views.server_error"
handler400 = "annotation_qc.core.views.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html"),
        name="redoc",
    ),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    re_path(r"^(?!api/|admin/|static/|media/).*$", frontend_index, name="frontend"),
]
