"""The leads group and its permissions, kept in step with the models after every migrate, and
the one gate of every lead page (`lead_required`)."""

from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from .models import LEADS_GROUP, is_lead

LEAD_APPS = ("annotate", "reliability", "labelstudio")
# API tokens: leads see who has one and revoke it; nobody reads or mints another user's token.
LEAD_TOKEN_PERMISSIONS = ("view_authtoken", "delete_authtoken")


def ensure_leads_group() -> Group:
    """Create the `leads` group with every permission on our apps (Label Studio identities and
    conflicts included) and the view/delete (revoke) permissions on API tokens."""
    group, _ = Group.objects.get_or_create(name=LEADS_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=LEAD_APPS)
            | Q(content_type__app_label="knox", codename__in=LEAD_TOKEN_PERMISSIONS)
        )
    )
    return group


def lead_required(view):
    """Page views for leads only: anonymous visitors go to the sign-in page, signed-in users who
    are not leads get 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_lead(request.user):
            raise PermissionDenied("Only leads can open this page.")
        return view(request, *args, **kwargs)

    return wrapped
