from django.urls import path

from annotation_qc.agreement import apis

urlpatterns = [
    path("projects/<id:project_id>/agreement/", apis.AgreementApi.as_view(), name="agreement"),
    path(
        "projects/<id:project_id>/agreement/compute/",
        apis.AgreementComputeApi.as_view(),
        name="agreement-compute",
    ),
    path(
        "projects/<id:project_id>/agreement/items/",
        apis.LowAgreementItemsApi.as_view(),
        name="agreement-items",
    ),
    path(
        "projects/<id:project_id>/agreement/items/<id:item_id>/resolve/",
        apis.ResolveItemApi.as_view(),
        name="agreement-resolve",
    ),
]
