from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination


class DefaultPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class PagePagination(PageNumberPagination):
    """``?page=N`` (and ``?page_size=``) for lists the UI pages through."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
