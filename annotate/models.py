"""The annotation domain: outlets, articles split into sentences, the source registry,
reviewers' marks with their history, assignments and adjudications."""

from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import connections, models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Lag, Lower, Substr
from django.urls import reverse

from .codebook import Label, SourceKind

LEADS_GROUP = "leads"
# The longest note a mark may carry (page, API, Label Studio pull and imports alike).
NOTE_MAX_LENGTH = 10_000


def is_lead(user) -> bool:
    """Leads are superusers or members of the `leads` group."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_lead", None)
    if cached is None:
        cached = user._is_lead = user.groups.filter(name=LEADS_GROUP).exists()
    return cached


class Outlet(models.Model):
    domain = models.CharField(max_length=253, unique=True, help_text="Normalized host, e.g. news.sky.com")
    name = models.CharField(max_length=200, blank=True)
    retired = models.BooleanField(
        default=False, help_text="Kept with its articles and marks, but out of queues and new score runs"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(condition=~Q(domain=""), name="outlet_domain_not_empty"),
        ]

    def __str__(self):
        return self.name or self.domain

    def get_absolute_url(self):
        return reverse("reliability:outlet-detail", args=[self.domain])


class Topic(models.Model):
    """A subject area whose leads define the sides (affiliations) sources can take."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Side(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="sides")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["topic", "name"]
        constraints = [models.UniqueConstraint(fields=["topic", "name"], name="side_unique_per_topic")]

    def __str__(self):
        return f"{self.topic}: {self.name}"


class ArticleQuerySet(models.QuerySet):
    def in_service(self):
        """Articles that are neither retired nor of a retired outlet: the ones queues, new
        assignments, Label Studio pushes and new score runs use."""
        return self.filter(retired=False, outlet__retired=False)

    def with_marks(self):
        """Articles any mark, past mark (revision) or adjudication refers to: never deleted, only retired."""
        return self.filter(
            Exists(Annotation.objects.filter(sentence__article=OuterRef("pk")))
            | Exists(AnnotationRevision.objects.filter(sentence__article=OuterRef("pk")))
            | Exists(Adjudication.objects.filter(sentence__article=OuterRef("pk")))
        )

    def readable_by(self, user):
        """Articles `user` may open with their sentences: leads every article, reviewers the
        ones assigned to them, anonymous readers none (they read published scores only)."""
        if is_lead(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Exists(Assignment.objects.filter(article=OuterRef("pk"), reviewer=user)))


class Article(models.Model):
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="articles")
    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True)
    published = models.DateField(null=True, blank=True, db_index=True)
    text = models.TextField(
        help_text="Read-only once split: every sentence's offsets index into it. To correct it, "
        "ingest the corrected text as a new article and retire this one."
    )
    content_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the text")
    normalized_hash = models.CharField(
        max_length=64,
        db_index=True,
        blank=True,
        db_default="",  # rows written by raw SQL (benchmarks, imports) get "" and are matched by content_hash
        help_text="SHA-256 of the text with whitespace runs collapsed (NFC, no zero-width characters): "
        "ingest skips a text that differs from a stored one only in whitespace",
    )
    retired = models.BooleanField(
        default=False, help_text="Kept with its marks, but out of queues, assignment and new score runs"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="article_url_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="article_text_not_empty"),
        ]
        indexes = [models.Index(fields=["outlet", "published"], name="article_outlet_published")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("annotate:article", args=[self.pk])


class SentenceQuerySet(models.QuerySet):
    @staticmethod
    def offset_piece():
        """`article.text[start:end]` as a database expression (characters, as Python counts them)."""
        return Substr("article__text", models.F("start") + 1, models.F("end") - models.F("start"))

    def offset_mismatches(self):
        """Sentences whose text is not `article.text[start:end]` (compared in the database)."""
        return self.alias(stored_piece=self.offset_piece()).exclude(text=models.F("stored_piece"))

    def readable_by(self, user):
        """Sentences of the articles `user` may read (`ArticleQuerySet.readable_by`)."""
        if is_lead(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Exists(Assignment.objects.filter(article=OuterRef("article_id"), reviewer=user)))

    def with_number(self):
        """Each sentence with `number` (`sentence_number`): the one numbering people see."""
        return self.annotate(number=sentence_number())

    def left_for(self, user):
        """The reviewable sentences `user` has neither marked nor flagged; none once they have
        flagged the whole article. What stands between a reviewer and submitting."""
        whole_article = Flag.objects.filter(article=OuterRef("article"), reviewer=user, sentence__isnull=True)
        return (
            self.filter(reviewable=True)
            .exclude(annotations__reviewer=user)
            .exclude(flags__reviewer=user)
            .exclude(Exists(whole_article))
        )


def sentence_number(path: str = "") -> Case:
    """THE sentence numbering people see (annotation page, adjudication, evidence and source
    tables, messages), as an expression on rows that reach a sentence through `path` ("" on
    Sentence rows, "sentence__" on rows with a `sentence` foreign key): the sentence's place among
    its article's *reviewable* sentences, counted from 1 in document order; None for sentences
    nobody reviews (trailers, credits). It matches the "marked / total" progress count, which
    also counts only reviewable sentences. `position` stays the internal, 0-based place among
    all sentences."""
    before = (
        Sentence.objects.filter(
            article=OuterRef(f"{path}article"), reviewable=True, position__lte=OuterRef(f"{path}position")
        )
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(**{f"{path}reviewable": True}, then=Subquery(before, output_field=IntegerField())),
        default=None,
        output_field=IntegerField(),
    )


def sentence_name(sentence: "Sentence", *, lower: bool = False) -> str:
    """A sentence as messages name it: 'Sentence 3 of “title”', its number as `sentence_number`
    gives it (the sentence read with `Sentence.objects.with_number()` and its article)."""
    return f"{'s' if lower else 'S'}entence {sentence.number} of “{sentence.article.title}”"  # type: ignore[attr-defined]


class Sentence(models.Model):
    """A sentence of an article: `article.text[start:end] == text`, in document order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sentences")
    position = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    reviewable = models.BooleanField(default=True, help_text="False for trailers and boilerplate")

    # Not columns: set on the row annotate.services' locking read returns for a new mark.
    source_exists: bool
    actor_is_lead: bool

    objects = SentenceQuerySet.as_manager()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="sentence_unique_position"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="sentence_start_before_end"),
        ]

    def __str__(self):
        return f"{self.article_id}#{self.position}: {self.text[:60]}"


class SourceQuerySet(models.QuerySet):
    def matching_prefix(self, prefix: str):
        """Sources whose name or an alias starts with `prefix`, or has a word that does (after a
        space or a hyphen: "jolani" finds "Abu Mohammed al-Jolani"), case-insensitive. Those
        starting with it come first, then by name. A reviewer types the word the sentence uses;
        a registry entry the type-ahead misses becomes a duplicate source."""
        aliases = SourceAlias.objects.filter(source=OuterRef("pk"))
        starts = Q(name__istartswith=prefix) | Q(Exists(aliases.filter(name__istartswith=prefix)))
        inside = Q()
        for before in (" ", "-"):
            inside |= Q(name__icontains=before + prefix) | Q(Exists(aliases.filter(name__icontains=before + prefix)))
        rank = Case(When(starts, then=0), default=1, output_field=IntegerField())
        return self.filter(starts | inside).alias(word_match=rank).order_by("word_match", "name")


class Source(models.Model):
    """An entry of the shared source registry."""

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    side = models.ForeignKey(Side, on_delete=models.SET_NULL, null=True, blank=True, related_name="sources")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="source_name_unique_ci"),
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="source_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("reliability:source-detail", args=[self.pk])


class SourceAlias(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)

    class Meta:
        verbose_name_plural = "source aliases"
        constraints = [models.UniqueConstraint(Lower("name"), "source", name="alias_unique_per_source")]

    def __str__(self):
        return self.name


class Reviewer(models.Model):
    """Per-user facts the auth user lacks: reviewers that came from Label Studio are external."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer")
    is_external = models.BooleanField(default=False)
    origin = models.CharField(max_length=30, blank=True, help_text="Where the account came from")

    def __str__(self):
        return str(self.user)


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Leads see every assignment, reviewers their own, anonymous readers none."""
        if is_lead(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(reviewer=user)

    def submitted(self):
        return self.filter(submitted_at__isnull=False)


class Assignment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "reviewer"], name="assignment_unique"),
        ]
        indexes = [models.Index(fields=["reviewer", "submitted_at"], name="assignment_reviewer_open")]

    def __str__(self):
        return f"{self.article} → {self.reviewer}"


class AssignmentEvent(models.Model):
    """A submit or a reopen of an assignment: who, when and why. Kept for good (append-only)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", "Submitted"
        REOPEN = "reopen", "Reopened"

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["assignment", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["submit", "reopen"]), name="assignment_event_action_valid"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M} by {self.by}"


class Origin(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    LABEL_STUDIO = "label_studio", "Label Studio"
    IMPORT = "import", "Dataset import"
    ADMIN = "admin", "Admin"


def _span_constraints(prefix: str) -> list[models.CheckConstraint]:
    start, end = f"{prefix}_start", f"{prefix}_end"
    return [
        models.CheckConstraint(
            condition=(Q(**{f"{start}__isnull": True}) & Q(**{f"{end}__isnull": True}))
            | (
                Q(**{f"{start}__isnull": False, f"{end}__isnull": False})
                & Q(**{f"{start}__gte": 0})
                & Q(**{f"{end}__gt": models.F(start)})
            ),
            name=f"annotation_{prefix}_span_valid",
        )
    ]


# Marks that arrive finished from outside Sourcemark's own review flow count as their reviewer's
# submitted work (docs/scoring.md section 1): a Label Studio annotation was submitted there, and a
# dataset import carries finished work.
SUBMITTED_ORIGINS = (Origin.LABEL_STUDIO, Origin.IMPORT)


def submitted_assignment() -> Exists:
    """On Annotation rows: whether the mark's reviewer has submitted their assignment of the
    mark's article."""
    return Exists(
        Assignment.objects.filter(
            article_id=OuterRef("sentence__article_id"), reviewer_id=OuterRef("reviewer_id"), submitted_at__isnull=False
        )
    )


def counting_condition() -> Q:
    """THE rule of which marks count (docs/scoring.md section 1), as a condition on Annotation
    rows: its reviewer has submitted the assignment of the mark's article, or the mark came
    from Label Studio or a dataset import. Every gold label, agreement figure, score, evidence
    list and export reads marks through it (`AnnotationQuerySet.counting`); `mark_counts` is the
    same rule for one mark whose assignment state is already known."""
    return Q(origin__in=SUBMITTED_ORIGINS) | Q(submitted_assignment())


def mark_counts(*, origin: str, submitted: bool) -> bool:
    """`counting_condition` for one mark: its origin, and whether its reviewer has submitted the
    article (a write path that locked the assignment knows it without another query)."""
    return origin in SUBMITTED_ORIGINS or submitted


class AnnotationQuerySet(models.QuerySet):
    def counting(self):
        """Marks that count in gold labels, agreement, scores and exports (`counting_condition`)."""
        return self.filter(counting_condition())

    def provisional(self):
        """In-progress marks: their reviewer has not submitted the article yet. They count nowhere."""
        return self.exclude(counting_condition())

    def with_counting(self):
        """Each mark with `counted` (bool): whether it counts (`counting_condition`); False is
        shown as provisional."""
        return self.annotate(counted=ExpressionWrapper(counting_condition(), output_field=BooleanField()))

    def visible_to(self, user):
        """The marks `user` may read, each with `counted` (`with_counting`).

        Leads: every mark (in-progress ones shown as provisional). A reviewer: their own marks,
        and other reviewers' counting marks on articles whose assignment the reviewer has
        submitted (blind review: nobody anchors on a colleague; in-progress marks stay their
        author's). Anonymous readers: none.
        """
        marks = self.with_counting()
        if is_lead(user):
            return marks
        if not user.is_authenticated:
            return marks.none()
        mine_submitted = Assignment.objects.filter(reviewer=user, submitted_at__isnull=False).values("article_id")
        return marks.filter(Q(reviewer=user) | (Q(sentence__article_id__in=mine_submitted) & counting_condition()))

    def pace_by_reviewer(self, *, break_after: timedelta) -> list[dict]:
        """Per reviewer with marks here: `marks`, the `first` and `last` creation times, and the
        marks made within `break_after` of the same reviewer's previous mark (`paced`) with the
        time between them summed (`active`, a timedelta). Longer gaps are breaks and count neither
        as time nor as marks.

        Two queries whatever the number of marks: one GROUP BY for the counts and times, and one
        over a window function (LAG) for the gaps. The window runs in the ORM; the seconds between
        two times are written per database (Django cannot aggregate over a window)."""
        rows = {
            row["reviewer"]: {**row, "paced": 0, "active": timedelta(0)}
            for row in self.order_by()
            .values("reviewer")
            .annotate(marks=Count("pk"), first=Min("created"), last=Max("created"))
        }
        previous = Window(Lag("created"), partition_by=[F("reviewer")], order_by=[F("created").asc(), F("pk").asc()])
        marks = self.order_by().annotate(mark_reviewer=F("reviewer"), mark_created=F("created"), previous=previous)
        inner, params = marks.values("mark_reviewer", "mark_created", "previous").query.sql_with_params()
        connection = connections[self.db]
        gap = _SECONDS_BETWEEN[connection.vendor].format(later="mark_created", earlier="previous")
        limit = break_after.total_seconds()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT mark_reviewer, SUM(CASE WHEN {gap} <= %s THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN {gap} <= %s THEN {gap} ELSE 0 END) FROM ({inner}) marks GROUP BY mark_reviewer",
                [limit, limit, *params],
            )
            for reviewer, paced, seconds in cursor.fetchall():
                rows[reviewer]["paced"] = int(paced or 0)
                rows[reviewer]["active"] = timedelta(seconds=float(seconds or 0))
        return list(rows.values())


# Seconds from `earlier` to `later` (two timestamp columns), per database.
_SECONDS_BETWEEN = {
    "postgresql": "EXTRACT(EPOCH FROM ({later} - {earlier}))",
    "sqlite": "((julianday({later}) - julianday({earlier})) * 86400.0)",
}


class Annotation(models.Model):
    """One reviewer's mark of one sentence. Spans are character offsets into the sentence text."""

    # PROTECT: a mark is never lost to a cascade; its user is deactivated and its article retired instead.
    sentence = models.ForeignKey(Sentence, on_delete=models.PROTECT, related_name="annotations")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")
    label = models.CharField(max_length=20, choices=Label.choices, db_index=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="annotations")
    source_start = models.PositiveIntegerField(null=True, blank=True)
    source_end = models.PositiveIntegerField(null=True, blank=True)
    cue_start = models.PositiveIntegerField(null=True, blank=True)
    cue_end = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    from_suggestion = models.BooleanField(default=False, help_text="Accepted unchanged from a suggestion")
    suggestion_version = models.CharField(max_length=50, blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.WEB)
    external_id = models.CharField(max_length=100, blank=True, help_text="e.g. the Label Studio annotation id")
    external_updated = models.DateTimeField(null=True, blank=True)
    external_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="Our version when the last Label Studio pull wrote or matched this mark"
    )
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    objects = AnnotationQuerySet.as_manager()

    # Not columns: `counted` from `with_counting`, `reviewer_submitted` set by the write path
    # (annotate.services); `provisional` reads either when present.
    counted: bool | None
    reviewer_submitted: bool | None

    class Meta:
        ordering = ["sentence", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["sentence", "reviewer"], name="annotation_one_per_reviewer"),
            models.CheckConstraint(condition=Q(label__in=Label.values), name="annotation_label_valid"),
            models.CheckConstraint(
                condition=~Q(label=Label.ATTRIBUTION) | Q(source__isnull=False),
                name="annotation_attribution_has_source",
            ),
            *_span_constraints("source"),
            *_span_constraints("cue"),
        ]
        indexes = [
            models.Index(fields=["reviewer", "created"], name="annotation_reviewer_created"),
            # The few marks with a span (reliability `span_units`): found without reading every mark.
            models.Index(
                fields=["sentence"],
                condition=Q(source_start__isnull=False) | Q(cue_start__isnull=False),
                name="annotation_spanned",
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} · {self.sentence_id} · {self.label}"

    @property
    def source_span(self) -> tuple[int, int] | None:
        # both ends or neither (annotation_source_span_valid)
        return None if self.source_start is None else (self.source_start, cast(int, self.source_end))

    @property
    def cue_span(self) -> tuple[int, int] | None:
        # both ends or neither (annotation_cue_span_valid)
        return None if self.cue_start is None else (self.cue_start, cast(int, self.cue_end))

    @property
    def provisional(self) -> bool:
        """True while the mark does not count (its reviewer has not submitted the article). Read
        from `counted` when the queryset annotated it (`with_counting`), else from
        `reviewer_submitted` when the write path knows it (annotate.services), else one query."""
        if getattr(self, "counted", None) is None:
            submitted = getattr(self, "reviewer_submitted", None)
            if submitted is None:
                self.counted = Annotation.objects.filter(pk=self.pk).counting().exists()
            else:
                self.counted = mark_counts(origin=self.origin, submitted=submitted)
        return not self.counted


class AnnotationRevision(models.Model):
    """A past or present value of an annotation; one row per change, kept after deletion.
    Append-only: written by annotate.services only, never changed or deleted (every foreign key
    that would cascade into it is PROTECT)."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"

    # The mark's id, kept after the mark is deleted (no constraint, nothing cascades): deleting a
    # mark changes none of its revisions.
    annotation = models.ForeignKey(
        Annotation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="revisions",
    )
    sentence = models.ForeignKey(Sentence, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.PositiveIntegerField()
    label = models.CharField(max_length=20, choices=Label.choices)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_start = models.PositiveIntegerField(null=True, blank=True)
    source_end = models.PositiveIntegerField(null=True, blank=True)
    cue_start = models.PositiveIntegerField(null=True, blank=True)
    cue_end = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sentence", "reviewer", "changed_at", "id"]
        # The score refresh asks which marks changed since a run (reliability `changed_articles`).
        indexes = [models.Index(fields=["changed_at"], name="revision_changed_at")]

    def __str__(self):
        return f"{self.action} v{self.version} {self.label}"


class Adjudication(models.Model):
    """A lead's final mark of a disputed sentence; it overrides the reviewers' marks in gold labels."""

    # A changed decision keeps the one before as a line of its note starting with this.
    HISTORY_PREFIX = "previous: "

    sentence = models.OneToOneField(Sentence, on_delete=models.PROTECT, related_name="adjudication")
    label = models.CharField(max_length=20, choices=Label.choices)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adjudications")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(condition=Q(label__in=Label.values), name="adjudication_label_valid"),
        ]

    def __str__(self):
        return f"{self.sentence_id}: {self.label}"

    @classmethod
    def without_history(cls, note: str) -> str:
        """The lead's own lines of a note, without the history lines the decisions wrote."""
        return "\n".join(line for line in note.splitlines() if not line.startswith(cls.HISTORY_PREFIX))


class FlagReason(models.TextChoices):
    BAD_SPLIT = "bad_split", "Bad sentence split"
    NOT_NEWS = "not_news", "Not news"
    DUPLICATE = "duplicate", "Duplicate"
    OTHER = "other", "Other problem"


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def by_reviewer(self, user):
        return self.filter(reviewer=user)


class Flag(models.Model):
    """A reviewer's report that a sentence, or a whole article (`sentence` empty), is a problem:
    a bad split, not news, a duplicate, or something else (then the note says what). A flagged
    sentence (every sentence, for a flagged article) need not be marked before submitting. Leads
    see open flags on their home page and resolve them with a note."""

    Reason = FlagReason

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True, help_text="What the lead did about it")

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=FlagReason.values), name="flag_reason_valid"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(note=""), name="flag_other_has_note"),
            # One open flag per reviewer and sentence, and per reviewer and whole article.
            models.UniqueConstraint(
                fields=["reviewer", "sentence"],
                condition=Q(resolved_at__isnull=True, sentence__isnull=False),
                name="flag_one_open_per_sentence",
            ),
            models.UniqueConstraint(
                fields=["reviewer", "article"],
                condition=Q(resolved_at__isnull=True, sentence__isnull=True),
                name="flag_one_open_per_article",
            ),
        ]
        indexes = [models.Index(fields=["article", "reviewer"], name="flag_article_reviewer")]

    def __str__(self):
        target = f"sentence {self.sentence_id}" if self.sentence_id else f"article {self.article_id}"
        return f"{target}: {self.get_reason_display()}{' (resolved)' if self.resolved_at else ''}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
