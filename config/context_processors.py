"""Template context every page gets: the leads' navigation counts."""

from functools import cache

from annotate.models import Flag, is_lead
from reliability import queries


def lead_navigation(request):
    """For leads, `lead_nav.disputed` (sentences waiting in the adjudication queue) and
    `lead_nav.flags` (open flags): counted only when a template shows them, once per page."""
    if not hasattr(request, "user") or not is_lead(request.user):
        return {}
    return {
        "lead_nav": {
            "disputed": cache(lambda: queries.disputed_sentences().count()),
            "flags": cache(lambda: Flag.objects.open().count()),
        }
    }
