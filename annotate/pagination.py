"""The API's page-number pagination (the project default): `?page=` and `?page_size=` up to 5000."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 5000
