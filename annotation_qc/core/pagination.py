from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView


def _bounded_int(request: Request, name: str, *, low: int, high: int | None, default: int) -> int:
    """A paging query parameter: absent -> the default; not an integer in [low, high] -> 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError({name: [f"must be an integer {bound}"]})
    return value


def _bounds(
    parameters: list[dict[str, Any]], bounds: dict[str, tuple[int, int | None]]
) -> list[dict[str, Any]]:
    """The paging parameters of the OpenAPI schema, with the bounds they are checked against."""
    for parameter in parameters:
        if parameter["name"] in bounds:
            low, high = bounds[parameter["name"]]
            parameter["schema"] = {"type": "integer", "minimum": low, **({"maximum": high} if high else {})}
    return parameters


class DefaultPagination(LimitOffsetPagination):
    """``?limit=`` (1 to 500) and ``?offset=`` (0 or more); anything else is a 400 naming the parameter."""

    default_limit = 50
    max_limit = 500

    def get_limit(self, request: Request) -> int:
        return _bounded_int(
            request, self.limit_query_param, low=1, high=self.max_limit, default=self.default_limit
        )

    def get_offset(self, request: Request) -> int:
        return _bounded_int(request, self.offset_query_param, low=0, high=None, default=0)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        return _bounds(
            parameters, {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, None)}
        )


class PagePagination(PageNumberPagination):
    """``?page=N`` (and ``?page_size=``, 1 to 500) for lists the UI pages through."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        return _bounded_int(
            request, self.page_size_query_param, low=1, high=self.max_page_size, default=self.page_size
        )

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw in self.last_page_strings:
            return raw
        return _bounded_int(request, self.page_query_param, low=1, high=None, default=1)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        return _bounds(parameters, {self.page_query_param: (1, None), self.page_size_query_param: (1, 500)})


def paginated_response(
    *,
    request: Request,
    view: APIView,
    queryset: Any,
    serializer_class: type[BaseSerializer[Any]],
    pagination: type[BasePagination] | None = None,
) -> Response:
    """One page of ``queryset`` serialised, with the pagination's links and count.

    The pagination is ``pagination``, else the view's ``pagination_class`` (which also puts the page
    envelope and its query parameters in the OpenAPI schema), else ``DefaultPagination``.
    """
    paginator = (pagination or getattr(view, "pagination_class", None) or DefaultPagination)()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
