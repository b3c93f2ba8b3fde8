"""API: the suggested mark of a stored sentence (GET /api/v1/sentences/<id>/suggestion/).

Suggestions are advice, not marks: nothing here writes, and the blind rule (reviewers do not see
each other's marks) does not apply because a suggestion holds no reviewer's mark.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.codebook import Label, SourceKind
from annotate.models import Sentence

from .predict import suggestions_for_sentences


class SpanField(serializers.ListField):
    child = serializers.IntegerField(min_value=0)
    min_length = 2
    max_length = 2


class SuggestionSerializer(serializers.Serializer):
    sentence = serializers.IntegerField(help_text="the sentence id")
    label = serializers.ChoiceField(choices=Label.choices)  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
    confidence = serializers.FloatField(help_text="in (0, 1]; calibrated on held-out articles for a model")
    prefill = serializers.BooleanField(
        help_text="true when the confidence reaches the model's pre-fill threshold (95 % right on held-out data)"
    )
    source_span = SpanField(allow_null=True, help_text="[start, end] offsets into the sentence text")
    cue_span = SpanField(allow_null=True, help_text="[start, end] offsets into the sentence text")
    source_name = serializers.CharField(allow_null=True)
    source_kind = serializers.ChoiceField(choices=SourceKind.choices, allow_null=True)
    source_id = serializers.IntegerField(allow_null=True, help_text="the matching source registry entry")
    model_version = serializers.CharField(
        help_text="the shipped default (e.g. wikinews-2), a retrained lr-<trained at>-<training size>, or rules-N"
    )


class SentenceSuggestionView(APIView):
    """The suggested label, source and spans of one sentence of an article you may read (leads: any;
    reviewers: their assigned articles), made in the context of its article (as the annotation page
    makes it); 404 for others, unknown or non-reviewable ones."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SuggestionSerializer)
    def get(self, request, pk: int):
        sentences = Sentence.objects.readable_by(request.user).select_related("article")
        sentence = get_object_or_404(sentences, pk=pk)
        if not sentence.reviewable:
            raise NotFound("This sentence is not reviewable (e.g. a trailer): it gets no suggestion.")
        article = sentence.article
        context = list(
            article.sentences.filter(reviewable=True).only("pk", "article", "position", "text", "reviewable")
        )
        suggestion = suggestions_for_sentences(context).get(sentence.pk)
        if suggestion is None:
            raise NotFound("This sentence is not reviewable (e.g. a trailer): it gets no suggestion.")
        return Response(SuggestionSerializer({"sentence": sentence.pk, **suggestion}).data)
