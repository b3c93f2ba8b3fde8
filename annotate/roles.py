"""The leads group and its permissions, kept in step with the models after every migrate."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .models import LEADS_GROUP

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
