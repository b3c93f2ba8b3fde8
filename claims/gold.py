"""Gold labels for the claims app, from the reliability app through a setting (claims sits below
reliability and does not import it): one rule, one place."""

from __future__ import annotations

from django.conf import settings
from django.db.models import CharField, IntegerField, Value
from django.utils.module_loading import import_string

from annotate.codebook import Label

# Members with these gold labels (or none yet) are part of a claim group; analysis and other are not.
COUNTED_LABELS = (Label.CLAIM, Label.ATTRIBUTION)


def with_gold(queryset):
    """`queryset` (Sentences) annotated with `gold_label` and `gold_source` by the function that
    settings.CLAIMS_GOLD_LABELS names (reliability's gold-label query: one rule, one place; claims
    sits below reliability and does not import it). Empty setting: every label unsettled."""
    name = getattr(settings, "CLAIMS_GOLD_LABELS", "")
    if not name:
        return queryset.annotate(
            gold_label=Value(None, output_field=CharField()), gold_source=Value(None, output_field=IntegerField())
        )
    return import_string(name)(queryset)
