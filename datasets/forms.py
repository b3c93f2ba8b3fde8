"""The leads' export form: the same options as the command and the API."""

from typing import Any

from django import forms

from annotate.models import Outlet, Topic

from .options import (
    DEFAULT_FORMAT,
    DEFAULT_RATIOS,
    DEFAULT_SEED,
    FORMAT_CHOICES,
    LABEL_SOURCES,
    ExportOptions,
    ExportOptionsError,
)


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(name, name) for name in FORMAT_CHOICES], initial=DEFAULT_FORMAT)
    outlets = forms.ModelMultipleChoiceField(
        Outlet.objects.all(), to_field_name="domain", required=False, help_text="none selected: every outlet"
    )
    topics = forms.ModelMultipleChoiceField(Topic.objects.all(), to_field_name="name", required=False)
    date_from = forms.DateField(required=False, label="Published from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Published to", widget=forms.DateInput(attrs={"type": "date"}))
    label_sources = forms.MultipleChoiceField(
        choices=[(name, name) for name in LABEL_SOURCES],
        initial=list(LABEL_SOURCES),
        widget=forms.CheckboxSelectMultiple,
        label="Gold label reached by",
    )
    min_agreement = forms.FloatField(required=False, min_value=0, max_value=1, label="Minimum sentence agreement")
    include_other = forms.BooleanField(required=False, initial=True, label="Include `other` sentences")
    include_unsettled = forms.BooleanField(required=False, label="Include disputed/unmarked (label null)")
    claim_groups = forms.BooleanField(required=False, label="Add each sentence's claim group id")
    seed = forms.CharField(initial=DEFAULT_SEED, max_length=100)
    ratios = forms.CharField(initial=",".join(map(str, DEFAULT_RATIOS)), help_text="train,dev,test")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            data["options"] = ExportOptions(
                format=data["format"],
                outlets=[o.domain for o in data["outlets"]],
                topics=[t.name for t in data["topics"]],
                date_from=data["date_from"],
                date_to=data["date_to"],
                label_sources=data["label_sources"],
                min_agreement=data["min_agreement"],
                include_other=data["include_other"],
                include_unsettled=data["include_unsettled"],
                claim_groups=data["claim_groups"],
                seed=data["seed"],
                ratios=data["ratios"],
            )
        except ExportOptionsError as exc:
            raise forms.ValidationError(str(exc))
        return data
