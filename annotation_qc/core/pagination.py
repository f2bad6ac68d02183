from typing import Any

from rest_framework.pagination import BasePagination, LimitOffsetPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView


class DefaultPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class PagePagination(PageNumberPagination):
    """``?page=N`` (and ``?page_size=``) for lists the UI pages through."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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
