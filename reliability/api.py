"""API views: score snapshots (anonymous may read published ones when PUBLIC_SCORES; reviewer-pair
agreement for leads only),
adjudications and the disputed-sentence queue (leads)."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.serializers import ValidationError as APIValidationError

from annotate.filters import IdFilter
from annotate.models import Adjudication, Annotation
from annotate.permissions import IsLead
from reliability import queries
from reliability.models import ScoreRun, ScoreSnapshot, can_read_scores
from reliability.serializers import (
    AdjudicationSerializer,
    AdjudicationWriteSerializer,
    DisputedSentenceSerializer,
    ScoreSnapshotSerializer,
)
from reliability.services import adjudicate_sentence


class CanReadScores(permissions.BasePermission):
    """Signed-in users may read scores; anonymous readers too while PUBLIC_SCORES is on."""

    def has_permission(self, request, view):
        return can_read_scores(request.user)


class ScoreSnapshotFilter(django_filters.FilterSet):
    outlet = django_filters.CharFilter(field_name="outlet__domain")
    method_version = django_filters.CharFilter()
    run = IdFilter(field_name="run_id")
    latest = django_filters.BooleanFilter(method="filter_latest", label="only the latest visible run")

    class Meta:
        model = ScoreSnapshot
        fields = ["outlet", "method_version", "run", "insufficient_evidence"]

    def filter_latest(self, queryset, name, value):
        if not value:
            return queryset
        assert self.request is not None  # the API's filter always has its request
        runs = ScoreRun.objects.readable_by(self.request.user)
        latest = runs.values("pk").first()
        return queryset.filter(run_id=latest["pk"]) if latest else queryset.none()


class ScoreSnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    """Every outlet's figures in every stored run (history kept); non-leads see published runs only."""

    serializer_class = ScoreSnapshotSerializer
    permission_classes = [CanReadScores]
    filterset_class = ScoreSnapshotFilter
    ordering_fields = ["computed_at", "score", "article_count", "alpha"]

    def get_queryset(self):
        return (
            ScoreSnapshot.objects.readable_by(self.request.user)
            .select_related("outlet", "run")
            .order_by("-computed_at", "outlet__domain")
        )


class AdjudicationFilter(django_filters.FilterSet):
    sentence = IdFilter(field_name="sentence_id")
    lead = IdFilter(field_name="lead_id", help_text="user id of the lead")

    class Meta:
        model = Adjudication
        fields = ["label", "sentence", "lead"]


class AdjudicationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Leads' decisions. POST creates or re-decides (upsert by sentence); the previous value is
    kept as a "previous:" line in the note."""

    queryset = Adjudication.objects.select_related("lead").order_by("-decided_at", "-id")
    serializer_class = AdjudicationSerializer
    permission_classes = [IsLead]
    filterset_class = AdjudicationFilter

    def get_serializer_class(self):
        writes = ("create", "update", "partial_update")
        return AdjudicationWriteSerializer if self.action in writes else AdjudicationSerializer

    def _decide(self, request, data: dict):
        write = AdjudicationWriteSerializer(data=data)
        write.is_valid(raise_exception=True)
        values = write.validated_data
        try:
            adjudication, created = adjudicate_sentence(
                sentence=values["sentence"],
                label=values["label"],
                source=values.get("source"),
                lead=request.user,
                note=values.get("note", ""),
            )
        except ValidationError as error:
            raise APIValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)
        return Response(
            AdjudicationSerializer(adjudication).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @staticmethod
    def _body(request) -> dict:
        if not isinstance(request.data, dict):  # e.g. a JSON array
            raise APIValidationError({"non_field_errors": ["Expected a JSON object."]})
        return dict(request.data.items())

    def create(self, request, *args, **kwargs):
        return self._decide(request, self._body(request))

    def update(self, request, *args, **kwargs):
        adjudication = self.get_object()
        data = {"label": adjudication.label, "source": adjudication.source_id} if kwargs.get("partial") else {}
        data.update(self._body(request))
        data["sentence"] = adjudication.sentence_id
        return self._decide(request, data)


class AdjudicationQueueView(generics.ListAPIView):
    """Disputed sentences (labels or sources of submitted work disagree, not yet adjudicated) with
    every mark; marks of assignments not yet submitted are included with `provisional: true`."""

    serializer_class = DisputedSentenceSerializer
    permission_classes = [IsLead]
    filter_backends: list = []

    def get_queryset(self):
        marks = Annotation.objects.visible_to(self.request.user).select_related("reviewer", "source")
        marks = marks.order_by("reviewer_id")
        return (
            queries.disputed_sentences()
            .select_related("article__outlet")
            .prefetch_related(Prefetch("annotations", queryset=marks))
        )
