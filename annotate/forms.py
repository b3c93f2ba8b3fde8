"""Forms of the annotation pages; AssignForm also validates `manage.py assign`."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import LEADS_GROUP, Article, Outlet
from .services import assign_articles


def reviewer_users():
    """Active accounts that are not leads: the people who annotate."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_superuser=False)
        .exclude(groups__name=LEADS_GROUP)
        .order_by("username")
    )


class UsernameChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.username


class ArticleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"#{obj.pk} {obj.title[:80]} ({obj.outlet.domain})"


class AssignForm(forms.Form):
    """Give articles to reviewers with an overlap; existing assignments count toward it."""

    reviewers = UsernameChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for every reviewer (active accounts that are not leads).",
    )
    overlap = forms.IntegerField(min_value=1, initial=2, help_text="How many reviewers mark each article.")
    outlet = forms.ModelChoiceField(
        queryset=Outlet.objects.all(),
        to_field_name="domain",
        required=False,
        empty_label="any outlet",
    )
    articles = ArticleChoiceField(
        queryset=Article.objects.in_service().select_related("outlet").order_by("pk"),
        required=False,
        help_text="Leave empty for every article that matches the other filters.",
    )
    unassigned = forms.BooleanField(required=False, label="Only articles nobody is assigned to yet")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        reviewers = list(cleaned.get("reviewers") or reviewer_users())
        overlap = cleaned.get("overlap") or 0
        if len(reviewers) < overlap:
            raise forms.ValidationError(
                f"An overlap of {overlap} needs at least {overlap} reviewers; {len(reviewers)} selected."
            )
        cleaned["reviewers"] = reviewers
        articles = Article.objects.in_service().order_by("pk")  # retired articles get no new reviewers
        if cleaned.get("outlet"):
            articles = articles.filter(outlet=cleaned["outlet"])
        if cleaned.get("articles"):
            articles = articles.filter(pk__in=[a.pk for a in cleaned["articles"]])
        if cleaned.get("unassigned"):
            articles = articles.filter(~Q(pk__in=Article.objects.filter(assignments__isnull=False).values("pk")))
        cleaned["selected_articles"] = list(articles)
        if not cleaned["selected_articles"]:
            raise forms.ValidationError("No article matches these filters.")
        return cleaned

    @property
    def article_count(self) -> int:
        return len(self.cleaned_data["selected_articles"])

    def save(self, *, assigned_by=None):
        return assign_articles(
            articles=self.cleaned_data["selected_articles"],
            reviewers=self.cleaned_data["reviewers"],
            overlap=self.cleaned_data["overlap"],
            assigned_by=assigned_by,
        )
