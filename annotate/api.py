"""The annotate API under /api/v1/: outlets, articles (POST ingests), sentences, the source
registry, annotations (versioned, with ETags) and assignments (submit, reopen)."""

import dataclasses

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from knox.auth import TokenAuthentication
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response

from . import filters, safejson
from .ingest import IngestError, Input, check_characters, ingest_articles, parse_input, parse_record
from .models import (
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    Flag,
    Origin,
    Outlet,
    Sentence,
    Source,
    SourceAlias,
    is_lead,
)
from .pagination import Pagination
from .permissions import IsLead, IsLeadOrCreateOrReadOnly, IsLeadOrReadOnly
from .safejson import JSONParser
from .serializers import (
    AnnotationRevisionSerializer,
    AnnotationSerializer,
    AnnotationWriteSerializer,
    ArticleBatchResultSerializer,
    ArticleBatchSerializer,
    ArticleDetailSerializer,
    ArticleIngestSerializer,
    ArticleSerializer,
    AssignmentEventSerializer,
    AssignmentSerializer,
    ConflictSerializer,
    FlagResolveSerializer,
    FlagSerializer,
    FlagWriteSerializer,
    IngestResultSerializer,
    OutletSerializer,
    ReopenSerializer,
    SentenceSerializer,
    SourceSerializer,
    ingest_result_body,
)
from .services import (
    ArticleRetired,
    AssignmentLocked,
    MarkInput,
    NotAllowed,
    StaleVersion,
    change_annotation,
    delete_annotation,
    flag_problem,
    reopen_assignment,
    resolve_flag,
    save_annotation,
    set_retired,
    submit_assignment,
    withdraw_flag,
)


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the version you are changing: an If-Match header or a `version` field."
    default_code = "precondition_required"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflicts with stored data."
    default_code = "conflict"


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

    @extend_schema(responses={204: None, 409: OpenApiResponse(OpenApiTypes.OBJECT, description="it has articles")})
    def destroy(self, request, *args, **kwargs):
        outlet = self.get_object()
        count = outlet.articles.count()
        if count:
            raise Conflict(
                f"This outlet has {count} article(s), which are never deleted: retire it instead "
                f"(POST {request.path}retire/)."
            )
        outlet.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=OutletSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Take the outlet and its articles out of queues, assignment and new score runs; every
        article, mark and revision is kept (leads)."""
        return _set_retired(self, OutletSerializer, retired=True)

    @extend_schema(request=None, responses=OutletSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring a retired outlet back into service (leads)."""
        return _set_retired(self, OutletSerializer, retired=False)


def _set_retired(view, serializer_class, *, retired: bool) -> Response:
    item = view.get_object()
    set_retired(type(item).objects.filter(pk=item.pk), retired=retired)
    item.refresh_from_db()
    return Response(serializer_class(item).data)


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
        articles = Article.objects.readable_by(self.request.user).select_related("outlet", "topic")
        if self.action == "retrieve":
            articles = articles.prefetch_related("sentences")
        return articles

    def get_serializer_class(self):
        serializers = {"retrieve": ArticleDetailSerializer, "create": ArticleIngestSerializer}
        return serializers.get(self.action, ArticleSerializer)

    @extend_schema(responses={204: None, 409: OpenApiResponse(OpenApiTypes.OBJECT, description="it has marks")})
    def destroy(self, request, *args, **kwargs):
        """Delete an article nobody has marked. An article with marks (or their history, or an
        adjudication) is never deleted: 409 telling to retire it instead."""
        article = self.get_object()
        if Article.objects.filter(pk=article.pk).with_marks().exists():
            raise Conflict(
                "This article has marks, which are never deleted: retire it instead "
                f"(POST {request.path}retire/); it then leaves queues and new score runs and keeps its marks."
            )
        article.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Take the article out of queues, assignment, Label Studio pushes and new score runs; its
        marks, their history and adjudications are kept and no longer change (leads)."""
        return _set_retired(self, ArticleSerializer, retired=True)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring a retired article back into service (leads)."""
        return _set_retired(self, ArticleSerializer, retired=False)

    def create(self, request, *args, **kwargs):
        serializer = ArticleIngestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        names = ("outlet", "url", "title", "published", "topic")
        overrides = {name: fields[name] for name in names if fields.get(name) is not None}  # null: absent
        if problem := check_characters("text", fields["text"]):
            raise ValidationError({"text": problem})
        try:
            raw = fields["text"].encode()
            items = parse_input("request", raw, **overrides)
            if len(items) != 1:
                raise ValidationError(
                    {"text": f"one article per request, got {len(items)}; use the `ingest` command for batches"}
                )
            if overrides and Input("request", data=raw).is_jsonl():
                # parse_input takes outlet and topic only as defaults of a record, as the command's
                # --outlet; here the request's fields override the record's, as a plain text's lines
                record = safejson.loads(fields["text"].lstrip().removeprefix("\ufeff"))
                items = [parse_record({**record, **overrides})]
            result = ingest_articles(items)[0]
        except IngestError as exc:
            raise ValidationError({_ingest_field(exc.reason): exc.reason}) from None
        if result.created:  # the stored row is what was written: no need to read it back
            article, outlet, topic = result.article, items[0].outlet, items[0].topic or None
        else:
            article = Article.objects.select_related("outlet", "topic").get(pk=result.article.pk)
            outlet, topic = article.outlet.domain, article.topic.name if article.topic else None
        body = ingest_result_body(article, outlet=outlet, topic=topic, created=result.created, message=result.message)
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        request=ArticleBatchSerializer,
        responses={
            201: ArticleBatchResultSerializer,
            200: ArticleBatchResultSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="per article index: the field and what is wrong"),
        },
        description="Ingest up to 1,000 articles in one request, each an object with the fields of a JSONL line "
        "of the `ingest` command (text, title, url, outlet, published, topic) and the same rules. All are "
        "validated first: any bad one gives 400 naming it and nothing is stored. Then all are stored in one "
        "transaction; an article already stored (same text up to whitespace, or same URL) is skipped. 201 when "
        "at least one was added, else 200.",
    )
    @action(detail=False, methods=["post"], url_path="batch")
    def batch(self, request):
        serializer = ArticleBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items, errors = [], {}
        for index, record in enumerate(serializer.validated_data["articles"]):
            try:
                items.append(parse_record(record, origin=f"articles[{index}]"))
            except IngestError as exc:
                errors[str(index)] = {_ingest_field(exc.reason): exc.reason}
        if errors:
            raise ValidationError({"articles": errors})
        try:
            results = ingest_articles(items)
        except IngestError as exc:
            raise ValidationError({"articles": exc.reason}) from None
        body = {
            "added": sum(result.created for result in results),
            "skipped": sum(not result.created for result in results),
            "sentences": sum(result.sentences for result in results),
            "results": [
                {
                    "index": index,
                    "id": result.article.pk,
                    "created": result.created,
                    "sentences": result.sentences,
                    "message": result.message,
                }
                for index, result in enumerate(results)
            ],
        }
        return Response(body, status=status.HTTP_201_CREATED if body["added"] else status.HTTP_200_OK)


class ArticleSentenceList(generics.ListAPIView):
    """The article's sentences in document order; `start`/`end` index into the article text."""

    serializer_class = SentenceSerializer
    pagination_class = Pagination
    filterset_class = filters.SentenceFilter
    ordering_fields = ["position"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Sentence.objects.none()
        article = get_object_or_404(Article.objects.readable_by(self.request.user).only("pk"), pk=self.kwargs["pk"])
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
    """The source registry. `?search=` matches the start of a name or alias, or of a word in one.
    Anyone signed in may add a source; leads change and delete them."""

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
        {"detail": detail, "current": AnnotationSerializer.data_of(current) if current else None}, status=code
    )
    if current is not None:
        response["ETag"] = f'"{current.version}"'
    return response


def _with_etag(response: Response, annotation: Annotation) -> Response:
    response["ETag"] = f'"{annotation.version}"'
    return response


CONFLICT = OpenApiResponse(ConflictSerializer, description="stale version or duplicate; `current` is the stored mark")
INVALID = OpenApiResponse(OpenApiTypes.OBJECT, description="the field and what is wrong")
VERSION_REQUIRED = OpenApiResponse(OpenApiTypes.OBJECT, description="neither If-Match nor `version` was sent")
LOCKED = OpenApiResponse(ConflictSerializer, description="the assignment is submitted (locked) or the article retired")


@extend_schema_view(
    list=extend_schema(
        description="Marks you may see: your own, and others' submitted marks only on articles whose "
        "assignment you have submitted (leads see all). `provisional: true` marks a mark whose reviewer has "
        "not submitted the article yet: it counts in no gold label, agreement or score."
    ),
    retrieve=extend_schema(parameters=[ETAG]),
    create=extend_schema(
        request=AnnotationWriteSerializer, parameters=[ETAG], responses={201: AnnotationSerializer, 409: CONFLICT}
    ),
    update=extend_schema(
        request=AnnotationWriteSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: AnnotationSerializer, 400: INVALID, 409: CONFLICT, 412: CONFLICT, 428: VERSION_REQUIRED},
    ),
    partial_update=extend_schema(
        request=AnnotationWriteSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: AnnotationSerializer, 400: INVALID, 409: CONFLICT, 412: CONFLICT, 428: VERSION_REQUIRED},
    ),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None, 409: LOCKED, 412: CONFLICT}),
)
class AnnotationViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Reviewers' marks. Each change needs the version it is based on; every change is kept.
    Writes go straight to annotate.services (which checks who may write, the assignment lock and
    the version in the same locked read): at most 5 SQL queries each."""

    serializer_class = AnnotationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = filters.AnnotationFilter
    ordering_fields = ["created", "updated", "sentence", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        return Annotation.objects.visible_to(self.request.user).select_related("reviewer")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return AnnotationWriteSerializer
        if self.action == "history":
            return AnnotationRevisionSerializer
        return AnnotationSerializer

    def retrieve(self, request, *args, **kwargs):
        annotation = self.get_object()
        return _with_etag(Response(AnnotationSerializer.data_of(annotation)), annotation)

    def create(self, request, *args, **kwargs):
        fields = AnnotationWriteSerializer.validated(request.data)
        try:
            annotation, _ = save_annotation(
                reviewer=request.user,
                sentence=fields["sentence"],
                mark=_mark(fields),
                expected_version=0,
                origin=_origin(request),
                changed_by=request.user,
            )
        except IntegrityError:  # the reviewer's mark exists already (or a concurrent create won)
            current = (
                Annotation.objects.with_counting()
                .select_related("reviewer")
                .filter(sentence_id=fields["sentence"], reviewer=request.user)
                .first()
            )
            if current is None:
                raise
            return _conflict(
                "You already marked this sentence; change that mark instead.", current, status.HTTP_409_CONFLICT
            )
        except (AssignmentLocked, ArticleRetired) as exc:
            return _conflict(str(exc), exc.current, status.HTTP_409_CONFLICT)
        created = Response(AnnotationSerializer.data_of(annotation), status=status.HTTP_201_CREATED)
        return _with_etag(created, annotation)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        fields = AnnotationWriteSerializer.validated(request.data, partial=True)
        if not partial and "label" not in fields:
            raise ValidationError({"label": "This field is required."})
        expected, from_header = _expected_version(request, required=True)
        try:
            annotation = change_annotation(
                annotation_id=self._pk(),
                sentence_id=fields.get("sentence"),
                changes=_changes(fields, partial=partial),
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
        except (AssignmentLocked, ArticleRetired) as exc:
            return _conflict(str(exc), exc.current, status.HTTP_409_CONFLICT)
        except (Annotation.DoesNotExist, NotAllowed) as exc:
            self._refuse(exc)
        return _with_etag(Response(AnnotationSerializer.data_of(annotation)), annotation)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        expected, from_header = _expected_version(request, required=False)
        try:
            delete_annotation(annotation=self._pk(), expected_version=expected, changed_by=request.user)
        except StaleVersion as exc:
            return _conflict(
                f"This mark changed since you loaded it (now version {exc.current.version}).",
                exc.current,
                status.HTTP_412_PRECONDITION_FAILED if from_header else status.HTTP_409_CONFLICT,
            )
        except (AssignmentLocked, ArticleRetired) as exc:
            return _conflict(str(exc), exc.current, status.HTTP_409_CONFLICT)
        except (Annotation.DoesNotExist, NotAllowed) as exc:
            self._refuse(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _pk(self) -> int:
        value = self.kwargs["pk"]
        if not value.isdigit() or not 0 < int(value) < 2**63:
            raise Http404
        return int(value)

    def _refuse(self, exc: Exception):
        """404 for a mark the user may not even see (or that does not exist); 403 for one they
        see but may not change (a colleague's, after submitting their own work)."""
        if isinstance(exc, NotAllowed) and self.get_queryset().filter(pk=self._pk()).exists():
            raise PermissionDenied(str(exc))
        raise Http404

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


def _source(value: int | None) -> Source | None:
    return Source(pk=value) if value is not None else None  # its existence is checked by the write


def _span(value) -> tuple[int, int] | None:
    return tuple(value) if value is not None else None


def _mark(fields: dict) -> MarkInput:
    """A new mark from the request's fields."""
    return MarkInput(
        label=fields.get("label", ""),  # sent on create and PUT; a PATCH without it leaves it out (_changes)
        source=_source(fields.get("source")),
        source_span=_span(fields.get("source_span")),
        cue_span=_span(fields.get("cue_span")),
        note=fields.get("note", ""),
        from_suggestion=fields.get("from_suggestion", False),
        suggestion_version=fields.get("suggestion_version", ""),
    )


def _changes(fields: dict, *, partial: bool) -> dict:
    """The MarkInput fields a change sets: PATCH only those sent, PUT all (missing ones cleared)."""
    mark = _mark(fields)
    names = [field.name for field in dataclasses.fields(MarkInput)]
    return {name: getattr(mark, name) for name in names if not partial or name in fields}


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
        if self.action in ("reopen", "history"):
            return [IsLead()]
        return [IsLeadOrReadOnly()]

    def get_serializer_class(self):
        return {"reopen": ReopenSerializer, "history": AssignmentEventSerializer}.get(self.action, AssignmentSerializer)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assignment.objects.none()
        return Assignment.objects.visible_to(self.request.user).select_related("article", "reviewer", "assigned_by")

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save(assigned_by=self.request.user)
        except IntegrityError:
            raise ValidationError({"reviewer": "is already assigned to this article"}) from None

    def perform_destroy(self, instance):
        if instance.events.exists():
            raise Conflict(
                "This assignment has been submitted: it and its history are kept. "
                "Reopen it (POST …/reopen/) if its reviewer must change their marks."
            )
        instance.delete()

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Mark the reviewer's work on the article as done; every reviewable sentence must be marked.
        From then on its marks are read-only for the reviewer (409) until a lead reopens it."""
        assignment = self.get_object()
        try:
            assignment = submit_assignment(assignment=assignment, by=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({key: " ".join(messages) for key, messages in exc.message_dict.items()}) from None
        return Response(AssignmentSerializer(assignment).data)

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Give a submitted assignment back to its reviewer so they may change its marks (leads);
        recorded with who, when and the note (see history/)."""
        serializer = ReopenSerializer(data=request.data if isinstance(request.data, dict) else {})
        serializer.is_valid(raise_exception=True)
        assignment = reopen_assignment(
            assignment=self.get_object(), by=request.user, note=serializer.validated_data.get("note", "")
        )
        return Response(AssignmentSerializer(assignment).data)

    @extend_schema(responses=AssignmentEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every submit and reopen of this assignment, oldest first: who, when, why (leads)."""
        events = self.get_object().events.select_related("by").order_by("at", "id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AssignmentEventSerializer(page, many=True).data)


def _validation_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "message_dict"):
        return ValidationError({key: " ".join(messages) for key, messages in exc.message_dict.items()})
    return ValidationError({"detail": " ".join(exc.messages)})


@extend_schema_view(
    create=extend_schema(request=FlagWriteSerializer, responses={201: FlagSerializer, 200: FlagSerializer}),
    resolve=extend_schema(request=FlagResolveSerializer, responses={200: FlagSerializer}),
    destroy=extend_schema(responses={204: None}),
)
class FlagViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin):
    """Problems reviewers report: a sentence (bad split, …) or a whole article (not news, a
    duplicate, …). A flagged sentence need not be marked before submitting. Reviewers see and
    withdraw their own open flags; leads see all and resolve them."""

    serializer_class = FlagSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = filters.FlagFilter
    ordering_fields = ["created", "resolved_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Flag.objects.none()
        flags = Flag.objects.select_related("reviewer", "resolved_by").order_by("created", "id")
        return flags if is_lead(self.request.user) else flags.filter(reviewer=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = FlagWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        article = fields["article"]
        user = request.user
        if not is_lead(user) and not Assignment.objects.filter(article=article, reviewer=user).exists():
            raise PermissionDenied("You can flag only the articles assigned to you.")
        existed = Flag.objects.open().filter(reviewer=user, article=article, sentence=fields.get("sentence")).exists()
        try:
            flag = flag_problem(
                reviewer=user,
                article=article,
                sentence=fields.get("sentence"),
                reason=fields["reason"],
                note=fields.get("note", ""),
            )
        except DjangoValidationError as exc:
            raise _validation_error(exc) from None
        except IntegrityError:  # a concurrent request flagged the same target first
            raise ValidationError({"detail": "this is already flagged; try again to change the reason"}) from None
        flag = Flag.objects.select_related("reviewer", "resolved_by").get(pk=flag.pk)
        return Response(FlagSerializer(flag).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        flag = self.get_object()
        if flag.reviewer_id != request.user.pk:
            raise PermissionDenied("Only the reviewer who raised a flag can withdraw it; leads resolve flags.")
        try:
            withdraw_flag(flag=flag)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from None
        except Flag.DoesNotExist:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close the flag with what was done about it (leads only)."""
        if not is_lead(request.user):
            raise PermissionDenied("Only leads resolve flags.")
        flag = self.get_object()
        serializer = FlagResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            resolution = serializer.validated_data.get("resolution", "")
            flag = resolve_flag(flag=flag, lead=request.user, resolution=resolution)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from None
        flag = Flag.objects.select_related("reviewer", "resolved_by").get(pk=flag.pk)
        return Response(FlagSerializer(flag).data)
