"""django-filter filter sets of the annotate API: by outlet, article, reviewer, label and date."""

import datetime

import django_filters as filters
from django import forms
from django_filters.fields import IsoDateTimeField

from .codebook import Label, SourceKind
from .domains import as_domain
from .models import Annotation, Article, Assignment, Flag, FlagReason, Outlet, Sentence, Source


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC: PostgreSQL refuses offsets beyond ±15:59 that
    Python accepts (e.g. +21:07), and a 500 must never answer client input."""

    def clean(self, value):
        value = super().clean(value)
        if value is None:
            return value
        try:
            return value.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Date and time out of range.", code="invalid") from None


class UTCIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class IdFilter(filters.NumberFilter):
    """An object id: a whole number within the database's integer range, so that an absurd value
    is a 400 rather than an overflow inside the database driver."""

    field_class = forms.IntegerField  # type: ignore[assignment]  # stubs: any form field may stand here

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class DomainFilter(filters.CharFilter):
    """An outlet domain, written any way ingest takes it."""

    def filter(self, qs, value):
        return super().filter(qs, as_domain(value) if value else value)


class OutletFilter(filters.FilterSet):
    domain = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Outlet
        fields = ["domain"]


class ArticleFilter(filters.FilterSet):
    outlet = IdFilter(field_name="outlet_id", help_text="outlet id")
    outlet_domain = DomainFilter(
        field_name="outlet__domain", help_text="e.g. news.sky.com (or www.News.Sky.com, a URL)"
    )
    reviewer = filters.CharFilter(
        field_name="assignments__reviewer__username", distinct=True, help_text="username of an assigned reviewer"
    )
    topic = filters.CharFilter(field_name="topic__name")
    published_after = filters.DateFilter(field_name="published", lookup_expr="gte")
    published_before = filters.DateFilter(field_name="published", lookup_expr="lte")
    created_after = UTCIsoDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created", lookup_expr="lt")
    retired = filters.BooleanFilter(help_text="true: retired articles only; false: articles in service")

    class Meta:
        model = Article
        fields = ["outlet", "outlet_domain", "reviewer", "topic", "retired"]


class SentenceFilter(filters.FilterSet):
    class Meta:
        model = Sentence
        fields = ["reviewable"]


class SourceFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        help_text="the start of a name or alias, or of a word in one (case-insensitive); start-of-name matches first",
    )
    kind = filters.ChoiceFilter(choices=SourceKind.choices)
    side = IdFilter(field_name="side_id")

    class Meta:
        model = Source
        fields = ["kind", "side"]

    def filter_search(self, queryset, name, value):
        return queryset.matching_prefix(value.strip()) if value.strip() else queryset


class AnnotationFilter(filters.FilterSet):
    article = IdFilter(field_name="sentence__article_id")
    sentence = IdFilter(field_name="sentence_id")
    outlet = IdFilter(field_name="sentence__article__outlet_id", help_text="outlet id")
    reviewer = filters.CharFilter(field_name="reviewer__username", help_text="username")
    label = filters.ChoiceFilter(choices=Label.choices)
    source = IdFilter(field_name="source_id")
    created_after = UTCIsoDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created", lookup_expr="lt")
    updated_after = UTCIsoDateTimeFilter(field_name="updated", lookup_expr="gte")

    class Meta:
        model = Annotation
        fields = ["article", "sentence", "outlet", "reviewer", "label", "source"]


class AssignmentFilter(filters.FilterSet):
    article = IdFilter(field_name="article_id")
    outlet = IdFilter(field_name="article__outlet_id", help_text="outlet id")
    reviewer = filters.CharFilter(field_name="reviewer__username", help_text="username")
    submitted = filters.BooleanFilter(field_name="submitted_at", lookup_expr="isnull", exclude=True)
    created_after = UTCIsoDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = Assignment
        fields = ["article", "outlet", "reviewer", "submitted"]


class FlagFilter(filters.FilterSet):
    article = IdFilter(field_name="article_id")
    reviewer = filters.CharFilter(field_name="reviewer__username", help_text="username")
    reason = filters.ChoiceFilter(choices=FlagReason.choices)
    open = filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", help_text="true: not resolved yet")

    class Meta:
        model = Flag
        fields = ["article", "reviewer", "reason", "open"]
