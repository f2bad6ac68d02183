from django.urls import path

from annotation_qc.charts import apis
from annotation_qc.charts.selectors import CHARTS

urlpatterns = [
    path(
        f"projects/<id:project_id>/charts/{name}/",
        apis.ChartDataApi.as_view(chart=name),
        name=f"chart-{name}",
    )
    for name in CHARTS
]
