"""The API's `?ordering=` filter (the project default): DRF's, with the primary key last."""

from rest_framework import filters


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=published` alone leaves ties (the articles of one day) in any order, so that
    PostgreSQL may return them differently from one LIMIT/OFFSET page to the next: a client
    paging through saw some rows twice and others never. The primary key breaks every tie."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering = [*ordering, "pk"]
        return ordering
