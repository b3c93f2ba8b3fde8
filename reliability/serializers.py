"""API shapes: score snapshots (read), adjudications (read and write), the disputed-sentence queue."""

from django.contrib.auth.models import User
from rest_framework import serializers

from annotate.codebook import Label
from annotate.models import Adjudication, Annotation, Outlet, Sentence, Source
from annotate.serializers import StrictFieldsMixin
from reliability.models import ScoreSnapshot


class ScoreSnapshotSerializer(serializers.ModelSerializer):
    outlet: "serializers.SlugRelatedField[Outlet]" = serializers.SlugRelatedField(slug_field="domain", read_only=True)
    outlet_name = serializers.CharField(source="outlet.name", read_only=True)
    published = serializers.BooleanField(source="run.published", read_only=True)
    figures = serializers.SerializerMethodField(
        help_text="every figure of the outlet in this run; reviewer-pair agreement for leads only"
    )

    class Meta:
        model = ScoreSnapshot
        fields = [
            "id",
            "run",
            "outlet",
            "outlet_name",
            "method_version",
            "computed_at",
            "published",
            "score",
            "score_low",
            "score_high",
            "insufficient_evidence",
            "article_count",
            "sentence_count",
            "alpha",
            "figures",
        ]
        read_only_fields = fields

    def get_figures(self, snapshot: ScoreSnapshot) -> dict:
        return snapshot.figures_for(self.context["request"].user)


class AdjudicationSerializer(serializers.ModelSerializer):
    lead: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Adjudication
        fields = ["id", "sentence", "label", "source", "note", "lead", "decided_at"]
        read_only_fields = ["id", "lead", "decided_at"]


class AdjudicationWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    sentence = serializers.PrimaryKeyRelatedField(queryset=Sentence.objects.all())
    label = serializers.ChoiceField(choices=Label.choices)  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
    source = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]  # (as for label)
        queryset=Source.objects.all(), allow_null=True, required=False
    )
    note = serializers.CharField(allow_blank=True, required=False, default="")


class MarkSerializer(serializers.ModelSerializer):
    reviewer: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(slug_field="username", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True, default=None)
    source_kind = serializers.CharField(source="source.kind", read_only=True, default=None)
    provisional = serializers.BooleanField(
        read_only=True, help_text="true: its reviewer has not submitted the article yet; it counts nowhere"
    )

    class Meta:
        model = Annotation
        fields = ["reviewer", "label", "source", "source_name", "source_kind", "note", "provisional"]
        read_only_fields = fields


class DisputedSentenceSerializer(serializers.ModelSerializer):
    outlet = serializers.CharField(source="article.outlet.domain", read_only=True)
    label_source = serializers.CharField(read_only=True)
    dispute = serializers.SerializerMethodField()
    marks = MarkSerializer(source="annotations", many=True, read_only=True)

    class Meta:
        model = Sentence
        fields = ["id", "article", "outlet", "position", "text", "label_source", "dispute", "marks"]
        read_only_fields = fields

    def get_dispute(self, sentence) -> str:
        return "label" if sentence.label_source == "disputed" else "source"
