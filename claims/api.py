"""API: claim groups across outlets (read-only; anonymous readers too while PUBLIC_SCORES)."""

import django_filters
from django.conf import settings
from rest_framework import permissions, viewsets

from annotate.domains import as_domain

from . import queries
from .models import ClaimGroup
from .serializers import ClaimGroupSerializer


class CanReadClaims(permissions.BasePermission):
    """Signed-in users; anonymous readers while PUBLIC_SCORES is on (the outlet pages' rule)."""

    def has_permission(self, request, view):
        return request.user.is_authenticated or settings.PUBLIC_SCORES


class ClaimGroupFilter(django_filters.FilterSet):
    outlet = django_filters.CharFilter(method="filter_outlet", label="outlet domain that carried the claim")
    status = django_filters.ChoiceFilter(choices=ClaimGroup.Status.choices)
    published_after = django_filters.DateFilter(field_name="first_published", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="first_published", lookup_expr="lte")

    class Meta:
        model = ClaimGroup
        fields = ["outlet", "status", "published_after", "published_before"]

    def filter_outlet(self, queryset, name, value):
        return queryset & queries.groups(outlet=as_domain(value)) if value else queryset


class ClaimGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Claims carried by two or more outlets, with their member sentences (earliest first)."""

    serializer_class = ClaimGroupSerializer
    permission_classes = [CanReadClaims]
    filterset_class = ClaimGroupFilter
    ordering_fields = ["first_published", "outlet_count", "id"]

    def get_queryset(self):
        return queries.with_members(queries.groups()).order_by("-first_published", "-id")
