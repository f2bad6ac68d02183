from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotation_qc.charts import selectors
from annotation_qc.charts.renderers import ChartCsvRenderer
from annotation_qc.core.exceptions import Forbidden
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi


class ChartDataApi(ProjectApi):
    """The data behind one dashboard chart: ``{chart, columns, rows}``, or CSV with ``?format=csv``."""

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})
    renderer_classes = [JSONRenderer, ChartCsvRenderer]
    chart: str = ""

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        chart = self.chart
        select = selectors.CHARTS[chart]
        if self.project_role != MANAGER and chart not in selectors.ML_ENGINEER_CHARTS:
            raise Forbidden("Your role in this project does not allow this.")
        data = select(project=self.project)
        response = Response({"chart": chart, "columns": data.columns, "rows": data.rows})
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="project-{project_id}-{chart}.csv"'
        return response
