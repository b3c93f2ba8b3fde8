"""What the reviewer pages show, built from the models: the annotation page's state (embedded in
the page, so loading it needs no API call) and the leads' progress table. Views stay thin: they
check who may look, call one of these, and render."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.module_loading import import_string

from .codebook import KIND_DEFINITIONS, LABEL_DEFINITIONS, LABEL_EXAMPLES, LABEL_KEYS, Label, SourceKind
from .links import article_links
from .models import Annotation, Article, Assignment, Flag, FlagReason, Sentence, Side

logger = logging.getLogger(__name__)


def labels() -> list[dict]:
    """The codebook's labels with their keys, definitions and examples, in codebook order."""
    return [
        {
            "value": label.value,
            "name": label.label,
            "key": LABEL_KEYS[label],
            "definition": LABEL_DEFINITIONS[label],
            "example": LABEL_EXAMPLES[label],
        }
        for label in Label
    ]


def guidelines() -> dict:
    return {"labels": labels(), "kinds": KIND_DEFINITIONS}


# ---- the annotation page -----------------------------------------------------------------------


def _suggestions(sentences: list[Sentence]) -> dict:
    """Suggested marks by sentence id, from the provider that settings.SUGGESTIONS_PROVIDER names
    (annotate imports no other app: the suggestions app plugs in here). None configured: none."""
    if not settings.SUGGESTIONS_PROVIDER:
        return {}
    try:
        found = import_string(settings.SUGGESTIONS_PROVIDER)([s for s in sentences if s.reviewable])
    except Exception:  # a broken suggester must never keep a reviewer from working
        logger.exception("suggestions failed")
        return {}
    return {str(sentence_id): _plain_suggestion(value) for sentence_id, value in (found or {}).items()}


def _plain_suggestion(value: dict) -> dict:
    keys: tuple[str, ...] = (
        "label",
        "confidence",
        "prefill",
        "source_span",
        "cue_span",
        "source_name",
        "source_kind",
        "source_id",
    )
    keys += ("model_version",)
    plain: dict[str, Any] = {key: value.get(key) for key in keys}
    for key in ("source_span", "cue_span"):
        plain[key] = list(plain[key]) if plain[key] else None
    return plain


def _mark(annotation: Annotation) -> dict:
    return {
        "id": annotation.pk,
        "sentence": annotation.sentence_id,
        "label": annotation.label,
        "source": annotation.source_id,
        "source_span": list(annotation.source_span) if annotation.source_span else None,
        "cue_span": list(annotation.cue_span) if annotation.cue_span else None,
        "note": annotation.note,
        "from_suggestion": annotation.from_suggestion,
        "suggestion_version": annotation.suggestion_version,
        "version": annotation.version,
    }


def _source(source) -> dict:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "side": source.side_id,
        "side_name": source.side.name if source.side else None,
    }


def _flag(flag: Flag) -> dict:
    return {
        "id": flag.pk,
        "sentence": flag.sentence_id,
        "reason": flag.reason,
        "reason_name": flag.get_reason_display(),
        "note": flag.note,
        "resolved": flag.resolved_at is not None,
        "resolution": flag.resolution,
    }


def _paragraphs(article: Article, sentences: list[Sentence]) -> list[list[Sentence]]:
    """Sentences grouped into the article's paragraphs (a line break between two sentences)."""
    paragraphs: list[list[Sentence]] = []
    previous_end = None
    for sentence in sentences:
        if previous_end is None or "\n" in article.text[previous_end : sentence.start]:
            paragraphs.append([])
        paragraphs[-1].append(sentence)
        previous_end = sentence.end
    return paragraphs


def _others(article: Article, user) -> list[dict]:
    """Other reviewers' marks `user` may see (the visibility rule, `Annotation.objects.visible_to`):
    in-progress marks stay their author's; leads see them tagged provisional."""
    return [
        {
            "sentence": a.sentence_id,
            "reviewer": a.reviewer.username,
            "label": a.label,
            "source": a.source.name if a.source else None,
            "provisional": not a.counted,
        }
        for a in Annotation.objects.visible_to(user)
        .filter(sentence__article=article)
        .exclude(reviewer=user)
        .select_related("reviewer", "source")
        .order_by("reviewer__username")
    ]


@dataclass
class ArticlePage:
    """Everything the annotation page renders; `state` is embedded as JSON for the page script."""

    article: Article
    assignment: Assignment | None
    paragraphs: list[list[Sentence]]
    state: dict
    marked: int
    total: int
    rewrite_links: list[dict]
    retired: bool

    def context(self) -> dict:
        return {
            "article": self.article,
            "assignment": self.assignment,
            "paragraphs": self.paragraphs,
            "state": self.state,
            "marked": self.marked,
            "total": self.total,
            "rewrite_links": self.rewrite_links,
            "retired": self.retired,
            "labels": labels(),
            "kinds": list(SourceKind),
            "flag_reasons": FlagReason.choices,
        }


def article_page(*, article: Article, user, assignment: Assignment | None, lead: bool, csrf: str) -> ArticlePage:
    """The annotation page of `article` for `user` (a constant number of queries, whatever the
    article's length). Blind review: others' marks appear only once the user's own assignment
    is submitted; leads always see them."""
    sentences = list(article.sentences.with_number().order_by("position"))
    mine = list(Annotation.objects.filter(sentence__article=article, reviewer=user).select_related("source__side"))
    flags = list(Flag.objects.filter(article=article, reviewer=user).order_by("created", "id"))
    reveal = lead or (assignment is not None and assignment.submitted_at is not None)
    # Marks of a retired article (or outlet) never change (services.ArticleRetired): a read-only page.
    retired = article.retired or article.outlet.retired
    sides = Side.objects.filter(topic=article.topic_id) if article.topic_id else Side.objects.all()
    labels_by_sentence = {a.sentence_id: a.label for a in mine}
    for sentence in sentences:
        sentence.my_label = labels_by_sentence.get(sentence.pk)
        sentence.my_label_name = Label(sentence.my_label).label if sentence.my_label else ""
    reviewable = [s for s in sentences if s.reviewable]
    state = {
        "article": {"id": article.pk, "title": article.title},
        "user": {"id": user.pk, "username": user.username},
        "csrf": csrf,
        "assignment": ({"id": assignment.pk, "submitted": assignment.submitted_at is not None} if assignment else None),
        "retired": retired,
        "sentences": [
            {"id": s.pk, "position": s.position, "number": s.number, "text": s.text, "reviewable": s.reviewable}
            for s in sentences
        ],
        "annotations": {str(a.sentence_id): _mark(a) for a in mine},
        "sources": {str(a.source_id): _source(a.source) for a in mine if a.source_id},
        "suggestions": _suggestions(sentences),
        "others": _others(article, user) if reveal else None,
        "flags": [_flag(f) for f in flags],
        "flag_reasons": [{"value": value, "name": name} for value, name in FlagReason.choices],
        "labels": [{"value": lab.value, "name": lab.label, "key": LABEL_KEYS[lab]} for lab in Label],
        "kinds": [{"value": kind.value, "name": kind.label} for kind in SourceKind],
        "sides": [{"id": side.pk, "name": side.name} for side in sides.order_by("name")],
        "urls": {
            "annotations": reverse("api:annotation-list"),
            "sources": reverse("api:source-list"),
            "flags": reverse("api:flag-list"),
            "submit": reverse("api:assignment-submit", args=[assignment.pk]) if assignment else None,
            "queue": reverse("annotate:queue"),
        },
    }
    return ArticlePage(
        article=article,
        assignment=assignment,
        paragraphs=_paragraphs(article, sentences),
        state=state,
        marked=sum(1 for s in reviewable if s.my_label),
        total=len(reviewable),
        rewrite_links=article_links(article),
        retired=retired,
    )


# ---- the leads' progress page ------------------------------------------------------------------

# Gaps between two marks longer than this count as a break, not as annotation time.
BREAK_AFTER = timedelta(minutes=10)
# A rate is shown only over a meaningful window: at least this much active time and this many
# paced marks. Below that, one quick pair of marks would read as thousands of sentences an hour.
MIN_ACTIVE = timedelta(minutes=10)
MIN_PACED_MARKS = 20


def sentences_per_hour(active: timedelta | None, paced: int) -> tuple[int | None, str]:
    """(rate, why not): sentences per hour over `active` time in which `paced` marks were made,
    or (None, the reason) when the window is too short or too thin to mean anything."""
    active = active or timedelta(0)
    if active < MIN_ACTIVE:
        minutes = int(active.total_seconds() // 60)
        return None, f"only {minutes} min of active time (a rate needs {int(MIN_ACTIVE.total_seconds() // 60)})"
    if paced < MIN_PACED_MARKS:
        return None, f"only {paced} paced marks (a rate needs {MIN_PACED_MARKS})"
    return round(paced / (active.total_seconds() / 3600)), ""


def progress_rows() -> list[dict]:
    """One row per reviewer with assignments or marks, by username: articles assigned and
    submitted, sentences assigned, marks, active time and sentences per hour (four queries,
    whatever the number of marks)."""
    reviewable = (
        Sentence.objects.filter(article=OuterRef("article"), reviewable=True)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    assigned = {
        row["reviewer"]: row
        for row in Assignment.objects.order_by()
        .values("reviewer")
        .annotate(
            articles=Count("pk"),
            submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
            sentences=Coalesce(Sum(Subquery(reviewable)), 0),
        )
    }
    paces = {row["reviewer"]: row for row in Annotation.objects.pace_by_reviewer(break_after=BREAK_AFTER)}
    users = get_user_model().objects.filter(pk__in=set(assigned) | set(paces)).order_by("username")
    rows = []
    for user in users:
        row, pace = assigned.get(user.pk, {}), paces.get(user.pk, {})
        active = pace.get("active") or timedelta(0)
        per_hour, why = sentences_per_hour(active, pace.get("paced", 0))
        rows.append(
            {
                "username": user.username,
                "articles": row.get("articles", 0),
                "submitted": row.get("submitted", 0),
                "sentences": row.get("sentences", 0),
                "marks": pace.get("marks", 0),
                "first": pace.get("first"),
                "last": pace.get("last"),
                "active_hours": active.total_seconds() / 3600,
                "per_hour": per_hour,
                "per_hour_why": why,
            }
        )
    return rows
