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


class IsOwnerOrLead(permissions.BasePermission):
    """Reads follow the view's queryset; writes only by the row's reviewer or a lead."""

    message = "You may change only your own annotations."

    def has_permission(self, request, view):
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return obj.reviewer_id == request.user.pk or is_lead(request.user)
