"""DRF serializers of the annotate API: they translate shapes; the rules live in services.py."""

import re

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from .codebook import Label, SourceKind
from .domains import normalize_domain
from .links import article_links
from .models import (
    NOTE_MAX_LENGTH,
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    AssignmentEvent,
    Flag,
    FlagReason,
    Outlet,
    Sentence,
    Side,
    Source,
    Topic,
)


class StrictFieldsMixin(serializers.Serializer):
    """Reject fields the serializer does not know, naming them (a typo must not be ignored)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"unknown field; expected one of: {', '.join(sorted(known))}"] for name in unknown}
                )
        return super().to_internal_value(data)


def _taken_by_another(rows: QuerySet, instance) -> bool:
    """Whether `rows` (those with the value a write asks for) hold any but `instance`, the row
    being changed (None when one is added)."""
    if instance is not None:
        rows = rows.exclude(pk=instance.pk)
    return rows.exists()


class _NoSurrogates(ProhibitSurrogateCharactersValidator):
    """DRF's check (same message and code) by one regular-expression search instead of a Python
    loop over every character: an article's text is kilobytes (0.04 ms instead of 0.34 for 3 KB)."""

    pattern = re.compile("[\ud800-\udfff]")

    def __call__(self, value):
        if found := self.pattern.search(str(value)):
            raise serializers.ValidationError(self.message.format(code_point=ord(found.group())), code=self.code)


class StringField(serializers.CharField):
    """A CharField that takes JSON strings only, as a JSONL line of `manage.py ingest` does (DRF's
    CharField would store the number 5 as the text "5")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LongTextField(StringField):
    """A string field for long texts (articles): DRF's surrogate check done by `_NoSurrogates`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            _NoSurrogates() if type(v) is ProhibitSurrogateCharactersValidator else v for v in self.validators
        ]


class SpanField(serializers.ListField):
    """A character range inside the sentence text: [start, end], or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(
            child=serializers.IntegerField(min_value=0, max_value=10_000_000), min_length=2, max_length=2, **kwargs
        )


class AliasesField(serializers.ListField):
    """A source's aliases as a plain list of names."""

    def to_representation(self, data):
        return [alias.name for alias in data.all()] if hasattr(data, "all") else list(data)


class OutletSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Outlet
        fields = ["id", "domain", "name", "retired", "created"]
        read_only_fields = ["retired", "created"]

    def validate_domain(self, value: str) -> str:
        """The domain as ingest stores it (`https://www.News.Sky.com/x` -> `news.sky.com`), so that
        the outlet's articles find it; unique once normalised."""
        try:
            domain = normalize_domain(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if _taken_by_another(Outlet.objects.filter(domain=domain), self.instance):
            raise serializers.ValidationError(f"outlet with this domain already exists: {domain}")
        return domain


class ArticleSerializer(serializers.ModelSerializer):
    outlet: "serializers.SlugRelatedField[Outlet]" = serializers.SlugRelatedField(slug_field="domain", read_only=True)
    outlet_id = serializers.IntegerField(read_only=True)
    topic: "serializers.SlugRelatedField[Topic]" = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )
    url = serializers.CharField(read_only=True, help_text="the article's address, or empty")

    class Meta:
        model = Article
        fields = [
            "id",
            "outlet",
            "outlet_id",
            "topic",
            "title",
            "url",
            "published",
            "content_hash",
            "retired",
            "created",
        ]
        read_only_fields = fields


class SentenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sentence
        fields = ["id", "position", "start", "end", "text", "reviewable"]
        read_only_fields = fields


class RewriteLinkSerializer(serializers.Serializer):
    """An article's link to what it restates (shape of settings.ARTICLE_LINKS_PROVIDER's dicts)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["declared", "detected"], help_text="declared credit or detected rewrite")
    kind_display = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "confirmed", "rejected"])
    original_domain = serializers.CharField()
    original_article = serializers.DictField(allow_null=True, help_text="id, title, url, published")
    similarity = serializers.FloatField(allow_null=True, help_text="share of the article's sentences matched")
    evidence = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    page = serializers.CharField(help_text="the article's page of links and claims")


class ArticleDetailSerializer(ArticleSerializer):
    sentences = SentenceSerializer(many=True, read_only=True)
    rewrite_links = serializers.SerializerMethodField(help_text="what this article restates (claims app)")

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "text", "sentences", "rewrite_links"]
        read_only_fields = fields

    @extend_schema_field(RewriteLinkSerializer(many=True))
    def get_rewrite_links(self, article) -> list[dict]:
        return article_links(article)


class ArticleIngestSerializer(StrictFieldsMixin, serializers.Serializer):
    """One article as the `ingest` command reads it: plain text (optionally with `Title:` and
    `Original Source:` lines) or one JSONL record; the other fields override what the text says."""

    text = LongTextField(trim_whitespace=False, max_length=10_000_000)
    outlet = StringField(required=False, allow_blank=True, allow_null=True, max_length=2000)
    url = StringField(required=False, allow_blank=True, allow_null=True, max_length=2000)
    title = StringField(required=False, allow_blank=True, allow_null=True, max_length=500)
    published = StringField(
        required=False, allow_blank=True, allow_null=True, max_length=40, help_text="ISO date, YYYY-MM-DD"
    )
    topic = StringField(required=False, allow_blank=True, allow_null=True, max_length=200)


class ArticleRecordSerializer(StrictFieldsMixin, serializers.Serializer):
    """One article of a batch: the fields of a JSONL line of the `ingest` command (same rules)."""

    text = LongTextField(trim_whitespace=False, allow_blank=True)
    title = StringField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    outlet = StringField(required=False, allow_blank=True, allow_null=True)
    url = StringField(required=False, allow_blank=True, allow_null=True)
    published = StringField(required=False, allow_blank=True, allow_null=True, help_text="ISO date, YYYY-MM-DD")
    topic = StringField(required=False, allow_blank=True, allow_null=True)


class ArticleBatchSerializer(StrictFieldsMixin, serializers.Serializer):
    articles = serializers.ListField(child=ArticleRecordSerializer(), min_length=1, max_length=1000)


class ArticleBatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="position in the request's `articles`")
    id = serializers.IntegerField(help_text="the stored article (new, or the one already stored)")
    created = serializers.BooleanField(help_text="False when the article was already stored")
    sentences = serializers.IntegerField(help_text="sentences stored for a new article (0 when skipped)")
    message = serializers.CharField()


class ArticleBatchResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    skipped = serializers.IntegerField()
    sentences = serializers.IntegerField()
    results = ArticleBatchItemSerializer(many=True)


class IngestResultSerializer(ArticleDetailSerializer):
    created = serializers.BooleanField(read_only=True, help_text="False when the article was already stored")
    message = serializers.CharField(read_only=True)

    class Meta(ArticleDetailSerializer.Meta):
        fields = [*ArticleDetailSerializer.Meta.fields, "created", "message"]
        read_only_fields = fields


SENTENCE_FIELDS = ("id", "position", "start", "end", "text", "reviewable")


def ingest_result_body(article: Article, *, outlet: str, topic: str | None, created: bool, message: str) -> dict:
    """IngestResultSerializer's output for a stored `article` (its `outlet` domain and `topic`
    name given), built from plain values: one query for the sentences, one for the links, no
    model instances and no DRF fields. POST /api/v1/articles/ answers every article with its
    sentences, and building them through ModelSerializer fields cost more CPU than storing them
    (issue 17). tests/api/test_ingest_api.py checks it equals the serializer's output."""
    sentences = Sentence.objects.filter(article_id=article.pk).order_by("position").values_list(*SENTENCE_FIELDS)
    return {
        "id": article.pk,
        "outlet": outlet,
        "outlet_id": article.outlet_id,
        "topic": topic,
        "title": article.title,
        "url": article.url,
        "published": article.published.isoformat() if article.published else None,
        "content_hash": article.content_hash,
        "retired": article.retired,
        "created": created,
        "text": article.text,
        "sentences": [dict(zip(SENTENCE_FIELDS, row, strict=True)) for row in sentences],
        "rewrite_links": article_links(article),
        "message": message,
    }


class SourceSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    side = serializers.PrimaryKeyRelatedField(queryset=Side.objects.all(), allow_null=True, required=False)
    side_name = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    aliases = AliasesField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        required=False,
        max_length=50,
        help_text="other names of this source; on a change, the list replaces the stored one",
    )

    class Meta:
        model = Source
        fields = ["id", "name", "kind", "side", "side_name", "aliases", "description"]
        extra_kwargs = {"description": {"required": False}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_side_name(self, source: Source) -> str | None:
        return source.side.name if source.side is not None else None

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if _taken_by_another(Source.objects.filter(name__iexact=value), self.instance):
            raise serializers.ValidationError(f"a source named {value!r} already exists (names ignore case)")
        return value

    def validate_aliases(self, value: list[str]) -> list[str]:
        seen, aliases = set(), []
        for name in (alias.strip() for alias in value):
            if name and name.lower() not in seen:
                seen.add(name.lower())
                aliases.append(name)
        return aliases


class AnnotationSerializer(serializers.ModelSerializer):
    """An annotation as read; spans are [start, end] offsets into the sentence text."""

    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    source_span = serializers.SerializerMethodField()
    cue_span = serializers.SerializerMethodField()
    provisional = serializers.BooleanField(
        read_only=True,
        help_text="true while the reviewer has not submitted the article: the mark counts in no gold label, "
        "agreement, score or export, and only its reviewer and leads see it",
    )

    class Meta:
        model = Annotation
        fields = [
            "id",
            "sentence",
            "reviewer",
            "label",
            "provisional",
            "source",
            "source_span",
            "cue_span",
            "note",
            "from_suggestion",
            "suggestion_version",
            "origin",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = fields

    _prototype: "AnnotationSerializer | None" = None

    @classmethod
    def data_of(cls, annotation: Annotation) -> ReturnDict:
        """`AnnotationSerializer(annotation).data` without building the fields again: DRF deep-copies
        and binds every field for each serializer it makes (0.27 ms, a tenth of a mark write). The
        fields here are read-only and keep no state per object, so one set serves every call."""
        prototype = cls.__dict__.get("_prototype")  # (a subclass builds its own)
        if prototype is None:
            prototype = cls()
            prototype.fields  # noqa: B018  (built once, here)
            cls._prototype = prototype
        return ReturnDict(prototype.to_representation(annotation), serializer=prototype)

    @extend_schema_field(
        serializers.ListField(child=serializers.IntegerField(), allow_null=True, min_length=2, max_length=2)
    )
    def get_source_span(self, annotation: Annotation) -> list[int] | None:
        return list(annotation.source_span) if annotation.source_span else None

    @extend_schema_field(
        serializers.ListField(child=serializers.IntegerField(), allow_null=True, min_length=2, max_length=2)
    )
    def get_cue_span(self, annotation: Annotation) -> list[int] | None:
        return list(annotation.cue_span) if annotation.cue_span else None


class AnnotationWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """A mark as a client sends it. On a change, `version` (or an If-Match header) is the
    version the client last saw."""

    # Ids, not looked up here: the write (annotate.services) reads the sentence and checks the
    # source in the same query that locks the mark, and answers 400 naming the field.
    sentence = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="the sentence id")
    label = serializers.ChoiceField(choices=Label.choices)  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
    source = serializers.IntegerField(  # type: ignore[assignment]  # (as for label)
        min_value=1, max_value=2**63 - 1, allow_null=True, required=False, help_text="a source id of the registry"
    )
    source_span = SpanField()
    cue_span = SpanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, trim_whitespace=False)
    from_suggestion = serializers.BooleanField(required=False)
    suggestion_version = serializers.CharField(required=False, allow_blank=True, max_length=50)
    version = serializers.IntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text="the version this change is based on (changes only)"
    )

    _prototypes: "dict[tuple[type, bool], AnnotationWriteSerializer]" = {}

    @classmethod
    def validated(cls, data, *, partial: bool = False) -> dict:
        """`cls(data=data, partial=partial)`'s validated_data after `is_valid(raise_exception=True)`,
        with the fields built once per process (DRF builds and deep-copies them for each serializer:
        0.2 ms of a mark write). The fields validate without keeping state; invalid data goes
        through a serializer of its own, so the error raised is exactly the one it raises."""
        prototype = cls._prototypes.get((cls, partial))
        if prototype is None:
            prototype = cls._prototypes[(cls, partial)] = cls(partial=partial)
        try:
            return prototype.run_validation(data)
        except serializers.ValidationError:
            serializer = cls(data=data, partial=partial)
            serializer.is_valid(raise_exception=True)
            return serializer.validated_data


class AnnotationRevisionSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = AnnotationRevision
        fields = [
            "id",
            "action",
            "version",
            "label",
            "source",
            "source_start",
            "source_end",
            "cue_start",
            "cue_end",
            "note",
            "origin",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    """A refused write: why, and the stored annotation the client should merge with."""

    detail = serializers.CharField()
    current = AnnotationSerializer(allow_null=True)


class ReopenSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="why it is reopened")


class AssignmentEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = AssignmentEvent
        fields = ["id", "action", "by", "at", "note"]
        read_only_fields = fields


class AssignmentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all())
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True, allow_null=True)
    article_title = serializers.CharField(source="article.title", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "article", "article_title", "reviewer", "assigned_by", "created", "submitted_at"]
        read_only_fields = ["assigned_by", "created", "submitted_at"]
        validators: list = []  # replaced by validate(), which names the field

    def validate(self, attrs):
        if Assignment.objects.filter(article=attrs["article"], reviewer=attrs["reviewer"]).exists():
            raise serializers.ValidationError({"reviewer": "is already assigned to this article"})
        return attrs


class FlagSerializer(serializers.ModelSerializer):
    """A reviewer's flag: a sentence (or, with `sentence` null, the whole article) is a problem."""

    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "article",
            "sentence",
            "reviewer",
            "reason",
            "note",
            "created",
            "resolved_at",
            "resolved_by",
            "resolution",
        ]
        read_only_fields = fields


class FlagWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    sentence = serializers.PrimaryKeyRelatedField(
        queryset=Sentence.objects.all(), allow_null=True, required=False, help_text="empty: the whole article"
    )
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="required for `other`")


class FlagResolveSerializer(StrictFieldsMixin, serializers.Serializer):
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=2000)
