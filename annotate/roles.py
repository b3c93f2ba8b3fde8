"""The leads group and its permissions, kept in step with the models after every migrate."""

from django.contrib.auth.models import Group, Permission

from .models import LEADS_GROUP

LEAD_APPS = ("annotate", "reliability", "authtoken")


def ensure_leads_group() -> Group:
    """Create the `leads` group with every permission on our apps and on API tokens."""
    group, _ = Group.objects.get_or_create(name=LEADS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=LEAD_APPS))
    return group
