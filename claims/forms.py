"""Input of the claims pages: list filters and the leads' actions."""

from typing import cast

from django import forms

from .models import ClaimGroup


class GroupFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any status"), *ClaimGroup.Status.choices], required=False)
    outlet = forms.CharField(required=False, max_length=253, label="Outlet domain")
    published_after = forms.DateField(required=False, label="First published from")
    published_before = forms.DateField(required=False, label="to")


class MergeForm(forms.Form):
    other = forms.IntegerField(min_value=1, label="Merge with claim number")
    note = forms.CharField(required=False, max_length=500)


class SplitForm(forms.Form):
    sentences = forms.TypedMultipleChoiceField(coerce=int, choices=[], label="Sentences to split off")
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, group: ClaimGroup, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["sentences"]).choices = [
            (member.sentence_id, str(member.sentence_id)) for member in group.members.all()
        ]


class PairDecisionForm(forms.Form):
    first = forms.IntegerField(min_value=1)
    second = forms.IntegerField(min_value=1)
    same = forms.TypedChoiceField(choices=[("yes", "same claim"), ("no", "not the same")], coerce=lambda v: v == "yes")
    note = forms.CharField(required=False, max_length=500)


class LinkDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "confirm"), ("reject", "reject")])
