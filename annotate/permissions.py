"""API permission policies for the three roles: reviewer, lead and anonymous reader."""

from rest_framework import permissions

from .models import is_lead


class IsLead(permissions.BasePermission):
    """Leads (the `leads` group, or superusers) only."""

    message = "Only leads may do this."

    def has_permission(self, request, view):
        return is_lead(request.user)


class IsLeadOrReadOnly(permissions.BasePermission):
    """Any signed-in user may read; only leads may write."""

    message = "Only leads may change this."

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in permissions.SAFE_METHODS or is_lead(request.user)


class IsLeadOrCreateOrReadOnly(permissions.BasePermission):
    """Any signed-in user may read and add (e.g. a new source from the annotation page);
    only leads may change or delete."""

    message = "Only leads may change or delete this."

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in (*permissions.SAFE_METHODS, "POST") or is_lead(request.user)
