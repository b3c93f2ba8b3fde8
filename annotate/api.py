"""The annotate API under /api/v1/: outlets, articles (POST ingests), sentences, the source
registry, annotations (versioned, with ETags) and assignments, plus API-token sign-in."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from . import filters
from .ingest import IngestError, ingest_articles, parse_input
from .models import (
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    Origin,
    Outlet,
    Sentence,
    Source,
    SourceAlias,
    is_lead,
)
from .permissions import IsLeadOrCreateOrReadOnly, IsLeadOrReadOnly, IsOwnerOrLead
from .serializers import (
    AnnotationRevisionSerializer,
    AnnotationSerializer,
    AnnotationWriteSerializer,
    ArticleDetailSerializer,
    ArticleIngestSerializer,
    ArticleSerializer,
    AssignmentSerializer,
    ConflictSerializer,
    IngestResultSerializer,
    OutletSerializer,
    SentenceSerializer,
    SourceSerializer,
)
from .services import MarkInput, StaleVersion, delete_annotation, save_annotation, submit_assignment


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the version you are changing: an If-Match header or a `version` field."
    default_code = "precondition_required"


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 5000


class ApiViewSet(viewsets.GenericViewSet):
    parser_classes = [JSONParser]
    pagination_class = Pagination


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The annotation version the change is based on, as its ETag: "3".',
)
ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201], description='The annotation version: "3".'
)


def _origin(request) -> str:
    return Origin.API if isinstance(request.successful_authenticator, TokenAuthentication) else Origin.WEB


def _assigned_articles(user, *, submitted: bool = False):
    assignments = Assignment.objects.filter(reviewer=user)
    if submitted:
        assignments = assignments.filter(submitted_at__isnull=False)
    return assignments.values("article_id")


class OutletViewSet(
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """News outlets. Everyone signed in reads; leads change."""

    queryset = Outlet.objects.all()
    serializer_class = OutletSerializer
    permission_classes = [IsLeadOrReadOnly]
    filterset_class = filters.OutletFilter
    ordering_fields = ["domain", "name", "created"]


@extend_schema_view(
    create=extend_schema(
        request=ArticleIngestSerializer,
        responses={
            201: IngestResultSerializer,
            200: IngestResultSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="the field and what is wrong"),
        },
        description="Ingest one article (plain text like the sample, or one JSONL record) through the same "
        "parser as the `ingest` command. 201 with its sentences; 200 when it was already stored.",
    ),
)
class ArticleViewSet(
    ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin
):
    """Articles: reviewers see the ones assigned to them; leads see and ingest all."""

    permission_classes = [IsLeadOrReadOnly]
    filterset_class = filters.ArticleFilter
    ordering_fields = ["published", "created", "title", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Article.objects.none()
        articles = Article.objects.select_related("outlet", "topic")
        if not is_lead(self.request.user):
            articles = articles.filter(
                Exists(Assignment.objects.filter(article=OuterRef("pk"), reviewer=self.request.user))
            )
        if self.action == "retrieve":
            articles = articles.prefetch_related("sentences")
        return articles

    def get_serializer_class(self):
        serializers = {"retrieve": ArticleDetailSerializer, "create": ArticleIngestSerializer}
        return serializers.get(self.action, ArticleSerializer)

    def create(self, request, *args, **kwargs):
        serializer = ArticleIngestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        overrides = {name: fields[name] for name in ("outlet", "url", "title", "published", "topic") if name in fields}
        try:
            items = parse_input("request", fields["text"].encode(), **overrides)
            if len(items) != 1:
                raise ValidationError(
                    {"text": f"one article per request, got {len(items)}; use the `ingest` command for batches"}
                )
            result = ingest_articles(items)[0]
        except IngestError as exc:
            raise ValidationError({_ingest_field(exc.reason): exc.reason}) from None
        article = (
            Article.objects.select_related("outlet", "topic").prefetch_related("sentences").get(pk=result.article.pk)
        )
        article.created, article.message = result.created, result.message
        body = IngestResultSerializer(article).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ArticleSentenceList(generics.ListAPIView):
    """The article's sentences in document order; `start`/`end` index into the article text."""

    serializer_class = SentenceSerializer
    pagination_class = Pagination
    filterset_class = filters.SentenceFilter
    ordering_fields = ["position"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Sentence.objects.none()
        articles = Article.objects.all()
        if not is_lead(self.request.user):
            articles = articles.filter(
                Exists(Assignment.objects.filter(article=OuterRef("pk"), reviewer=self.request.user))
            )
        article = get_object_or_404(articles.only("pk"), pk=self.kwargs["pk"])
        return article.sentences.order_by("position")


def _ingest_field(reason: str) -> str:
    for name in ("outlet", "url", "published", "title", "topic"):
        if reason.startswith(name) or reason.startswith(f"no {name}"):
            return name
    return "text"


class SourceViewSet(
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """The source registry. `?search=` matches a name or alias prefix. Anyone signed in may add
    a source; leads change and delete them."""

    queryset = Source.objects.select_related("side").prefetch_related("aliases")
    serializer_class = SourceSerializer
    permission_classes = [IsLeadOrCreateOrReadOnly]
    filterset_class = filters.SourceFilter
    ordering_fields = ["name", "kind", "created"]

    def perform_create(self, serializer):
        self._save(serializer, created_by=self.request.user)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer, **extra):
        aliases = serializer.validated_data.pop("aliases", None)
        try:
            with transaction.atomic():
                source = serializer.save(**extra)
                if aliases is not None:
                    source.aliases.all().delete()
                    SourceAlias.objects.bulk_create(SourceAlias(source=source, name=name) for name in aliases)
        except IntegrityError:  # a concurrent request stored the same name first
            raise ValidationError({"name": "a source with this name already exists (names ignore case)"}) from None
        if hasattr(source, "_prefetched_objects_cache"):
            source._prefetched_objects_cache.pop("aliases", None)


def visible_annotations(user):
    """Leads see every mark; a reviewer sees their own, and others' only on articles where
    they have submitted their own assignment (so nobody anchors on a colleague)."""
    annotations = Annotation.objects.select_related("reviewer")
    if is_lead(user):
        return annotations
    return annotations.filter(Q(reviewer=user) | Q(sentence__article_id__in=_assigned_articles(user, submitted=True)))


def _expected_version(request, *, required: bool) -> tuple[int | None, bool]:
    """(version, from_header). If-Match wins over a `version` field; "*" means any version."""
    header = request.headers.get("If-Match")
    if header is not None:
        tag = header.strip().removeprefix("W/").strip('"')
        if tag == "*":
            return None, True
        return (int(tag) if tag.isdigit() and int(tag) > 0 else -1), True
    body = request.data.get("version") if isinstance(request.data, dict) else None
    if body is None and required:
        raise PreconditionRequired()
    return body, False


def _conflict(detail: str, current: Annotation | None, code: int) -> Response:
    response = Response(
        {"detail": detail, "current": AnnotationSerializer(current).data if current else None}, status=code
    )
    if current is not None:
        response["ETag"] = f'"{current.version}"'
    return response


def _with_etag(response: Response, annotation: Annotation) -> Response:
    response["ETag"] = f'"{annotation.version}"'
    return response


CONFLICT = OpenApiResponse(ConflictSerializer, description="stale version or duplicate; `current` is the stored mark")


@extend_schema_view(
    list=extend_schema(
        description="Marks you may see: your own, and others' only on articles whose "
        "assignment you have submitted (leads see all)."
    ),
    retrieve=extend_schema(parameters=[ETAG]),
    create=extend_schema(
        request=AnnotationWriteSerializer, parameters=[ETAG], responses={201: AnnotationSerializer, 409: CONFLICT}
    ),
    update=extend_schema(
        request=AnnotationWriteSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: AnnotationSerializer, 409: CONFLICT, 412: CONFLICT},
    ),
    partial_update=extend_schema(
        request=AnnotationWriteSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: AnnotationSerializer, 409: CONFLICT, 412: CONFLICT},
    ),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None, 412: CONFLICT}),
)
class AnnotationViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Reviewers' marks. Each change needs the version it is based on; every change is kept."""

    serializer_class = AnnotationSerializer
    permission_classes = [IsOwnerOrLead]
    filterset_class = filters.AnnotationFilter
    ordering_fields = ["created", "updated", "sentence", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        return visible_annotations(self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return AnnotationWriteSerializer
        if self.action == "history":
            return AnnotationRevisionSerializer
        return AnnotationSerializer

    def _check_assigned(self, article_id: int) -> None:
        user = self.request.user
        if not is_lead(user) and not Assignment.objects.filter(article_id=article_id, reviewer=user).exists():
            raise PermissionDenied("You can mark only the articles assigned to you.")

    def retrieve(self, request, *args, **kwargs):
        annotation = self.get_object()
        return _with_etag(Response(AnnotationSerializer(annotation).data), annotation)

    def create(self, request, *args, **kwargs):
        serializer = AnnotationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        sentence = fields["sentence"]
        self._check_assigned(sentence.article_id)
        try:
            annotation, _ = save_annotation(
                reviewer=request.user,
                sentence=sentence,
                mark=_mark(fields),
                expected_version=0,
                origin=_origin(request),
            )
        except (StaleVersion, IntegrityError, DjangoValidationError) as exc:
            # A concurrent create may win the race after our check: the unique constraint then
            # fails in full_clean (ValidationError) or at the INSERT (IntegrityError).
            current = (
                Annotation.objects.select_related("reviewer").filter(sentence=sentence, reviewer=request.user).first()
            )
            field_error = isinstance(exc, DjangoValidationError) and "__all__" not in getattr(exc, "message_dict", {})
            if current is None or field_error:
                raise exc
            return _conflict(
                "You already marked this sentence; change that mark instead.", current, status.HTTP_409_CONFLICT
            )
        return _with_etag(Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED), annotation)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        annotation = self.get_object()
        self._check_assigned(annotation.sentence.article_id)
        serializer = AnnotationWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        if not partial and "label" not in fields:
            raise ValidationError({"label": "This field is required."})
        if "sentence" in fields and fields["sentence"].pk != annotation.sentence_id:
            raise ValidationError({"sentence": "a mark cannot move to another sentence; delete it and add a new one"})
        expected, from_header = _expected_version(request, required=True)
        mark = _mark(fields, base=annotation if partial else None)
        try:
            annotation, _ = save_annotation(
                reviewer=annotation.reviewer,
                sentence=annotation.sentence,
                mark=mark,
                expected_version=expected,
                origin=_origin(request),
                changed_by=request.user,
            )
        except StaleVersion as exc:
            return _conflict(
                f"This mark changed since you loaded it (now version {exc.current.version}).",
                exc.current,
                status.HTTP_412_PRECONDITION_FAILED if from_header else status.HTTP_409_CONFLICT,
            )
        except IntegrityError:
            return _conflict("This mark was deleted meanwhile.", None, status.HTTP_409_CONFLICT)
        annotation = Annotation.objects.select_related("reviewer").get(pk=annotation.pk)
        return _with_etag(Response(AnnotationSerializer(annotation).data), annotation)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        annotation = self.get_object()
        self._check_assigned(annotation.sentence.article_id)
        expected, from_header = _expected_version(request, required=False)
        try:
            delete_annotation(annotation=annotation, expected_version=expected, changed_by=request.user)
        except StaleVersion as exc:
            return _conflict(
                f"This mark changed since you loaded it (now version {exc.current.version}).",
                exc.current,
                status.HTTP_412_PRECONDITION_FAILED if from_header else status.HTTP_409_CONFLICT,
            )
        except Annotation.DoesNotExist:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=AnnotationRevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every value this mark has had, oldest first (its reviewer and leads only)."""
        annotation = self.get_object()
        if annotation.reviewer_id != request.user.pk and not is_lead(request.user):
            raise PermissionDenied("Only the mark's reviewer and leads see its history.")
        revisions = AnnotationRevision.objects.filter(annotation=annotation).select_related("changed_by")
        page = self.paginate_queryset(revisions.order_by("changed_at", "id"))
        return self.get_paginated_response(AnnotationRevisionSerializer(page, many=True).data)


def _mark(fields: dict, base: Annotation | None = None) -> MarkInput:
    """The mark from the request's fields; with `base` (PATCH) missing fields keep their value."""

    def pick(name: str, current, default):
        if name in fields:
            return fields[name]
        return current if base is not None else default

    def span(name: str):
        value = pick(name, getattr(base, name, None), None)
        return tuple(value) if value is not None else None

    return MarkInput(
        label=pick("label", getattr(base, "label", None), None),
        source=pick("source", getattr(base, "source", None), None),
        source_span=span("source_span"),
        cue_span=span("cue_span"),
        note=pick("note", getattr(base, "note", ""), ""),
        from_suggestion=pick("from_suggestion", getattr(base, "from_suggestion", False), False),
        suggestion_version=pick("suggestion_version", getattr(base, "suggestion_version", ""), ""),
    )


@extend_schema_view(
    submit=extend_schema(
        request=None,
        responses={
            200: AssignmentSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description='{"article": "3 sentence(s) are not marked yet"}'),
        },
    ),
)
class AssignmentViewSet(
    ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin
):
    """Who reviews which article. Reviewers see their own; leads assign and unassign."""

    serializer_class = AssignmentSerializer
    filterset_class = filters.AssignmentFilter
    ordering_fields = ["created", "submitted_at", "id"]

    def get_permissions(self):
        if self.action == "submit":
            return [permissions.IsAuthenticated()]
        return [IsLeadOrReadOnly()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assignment.objects.none()
        assignments = Assignment.objects.select_related("article", "reviewer", "assigned_by")
        if is_lead(self.request.user):
            return assignments
        return assignments.filter(reviewer=self.request.user)

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save(assigned_by=self.request.user)
        except IntegrityError:
            raise ValidationError({"reviewer": "is already assigned to this article"}) from None

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Mark the reviewer's work on the article as done; every reviewable sentence must be marked.
        A submitted assignment's marks can still be changed."""
        assignment = self.get_object()
        try:
            assignment = submit_assignment(assignment=assignment)
        except DjangoValidationError as exc:
            raise ValidationError({key: " ".join(messages) for key, messages in exc.message_dict.items()}) from None
        return Response(AssignmentSerializer(assignment).data)
