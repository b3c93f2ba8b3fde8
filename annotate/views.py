"""HTML pages of the annotation workspace: my queue, the keyboard-first annotation page,
the guidelines, and the leads' assignment and progress pages."""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string

from .codebook import KIND_DEFINITIONS, LABEL_DEFINITIONS, LABEL_EXAMPLES, LABEL_KEYS, Label, SourceKind
from .forms import AssignForm
from .links import article_links
from .models import Annotation, Article, Assignment, Sentence, Side, is_lead
from .roles import lead_required

logger = logging.getLogger(__name__)

# Gaps between two marks longer than this count as a break, not as annotation time.
ACTIVE_GAP_SECONDS = 10 * 60


def _labels() -> list[dict]:
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


def guidelines(request):
    return render(request, "annotate/guidelines.html", {"labels": _labels(), "kinds": KIND_DEFINITIONS})


def _open_assignments(user):
    """The user's assignments with `total` reviewable sentences and `marked` ones, in queue order
    (retired articles and outlets leave the queue)."""
    return (
        Assignment.objects.filter(reviewer=user, article__retired=False, article__outlet__retired=False)
        .select_related("article__outlet")
        .annotate(
            total=Count("article__sentences", filter=Q(article__sentences__reviewable=True), distinct=True),
            marked=Count(
                "article__sentences__annotations",
                filter=Q(article__sentences__annotations__reviewer=user, article__sentences__reviewable=True),
                distinct=True,
            ),
        )
        .order_by("submitted_at", "created", "id")
    )


@login_required
def queue(request):
    assignments = list(_open_assignments(request.user))
    unfinished = [a for a in assignments if a.submitted_at is None]
    return render(
        request,
        "annotate/queue.html",
        {
            "assignments": assignments,
            "unfinished": len(unfinished),
        },
    )


@login_required
def continue_work(request):
    """Go to the first unmarked sentence of the next unfinished article."""
    for assignment in _open_assignments(request.user):
        if assignment.submitted_at is not None:
            continue
        first = (
            Sentence.objects.filter(article_id=assignment.article_id, reviewable=True)
            .exclude(annotations__reviewer=request.user)
            .order_by("position")
            .values_list("position", flat=True)
            .first()
        )
        url = reverse("annotate:article", args=[assignment.article_id])
        # A fully marked article still waits for its "submit" step.
        return redirect(f"{url}#s-{first}" if first is not None else f"{url}#submit")
    messages.info(request, "Nothing left to annotate: every article assigned to you is submitted.")
    return redirect("annotate:queue")


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
    keys = (
        "label",
        "confidence",
        "prefill",
        "source_span",
        "cue_span",
        "source_name",
        "source_kind",
        "source_id",
        "model_version",
    )
    plain = {key: value.get(key) for key in keys}
    for key in ("source_span", "cue_span"):
        plain[key] = list(plain[key]) if plain[key] else None
    return plain


def _mark(annotation: Annotation) -> dict:
    source = annotation.source
    return {
        "id": annotation.pk,
        "sentence": annotation.sentence_id,
        "label": annotation.label,
        "source": source.pk if source else None,
        "source_span": list(annotation.source_span) if annotation.source_span else None,
        "cue_span": list(annotation.cue_span) if annotation.cue_span else None,
        "note": annotation.note,
        "from_suggestion": annotation.from_suggestion,
        "suggestion_version": annotation.suggestion_version,
        "version": annotation.version,
    }


def _source(source) -> dict | None:
    if source is None:
        return None
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "side": source.side_id,
        "side_name": source.side.name if source.side else None,
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


@login_required
def article(request, pk):
    articles = Article.objects.readable_by(request.user).select_related("outlet", "topic")
    article = get_object_or_404(articles, pk=pk)  # 404: not assigned to you
    assignment = Assignment.objects.filter(article=article, reviewer=request.user).first()
    lead = is_lead(request.user)
    sentences = list(article.sentences.order_by("position"))
    mine = list(
        Annotation.objects.filter(sentence__article=article, reviewer=request.user).select_related("source__side")
    )
    sources = {a.source_id: _source(a.source) for a in mine if a.source_id}
    # Blind by default: others' marks appear only once my own work is submitted (leads always see
    # them); which ones is the visibility rule's (Annotation.objects.visible_to): in-progress marks
    # stay their author's, and leads see them tagged provisional.
    reveal = lead or (assignment is not None and assignment.submitted_at is not None)
    others = []
    if reveal:
        others = [
            {
                "sentence": a.sentence_id,
                "reviewer": a.reviewer.username,
                "label": a.label,
                "source": a.source.name if a.source else None,
                "provisional": not a.counted,
            }
            for a in Annotation.objects.visible_to(request.user)
            .filter(sentence__article=article)
            .exclude(reviewer=request.user)
            .select_related("reviewer", "source")
            .order_by("reviewer__username")
        ]
    sides = Side.objects.filter(topic=article.topic_id) if article.topic_id else Side.objects.all()
    state = {
        "article": {"id": article.pk, "title": article.title},
        "user": {"id": request.user.pk, "username": request.user.username},
        "csrf": get_token(request),
        "assignment": ({"id": assignment.pk, "submitted": assignment.submitted_at is not None} if assignment else None),
        "sentences": [
            {"id": s.pk, "position": s.position, "text": s.text, "reviewable": s.reviewable} for s in sentences
        ],
        "annotations": {str(a.sentence_id): _mark(a) for a in mine},
        "sources": {str(key): value for key, value in sources.items()},
        "suggestions": _suggestions(sentences),
        "others": others if reveal else None,
        "labels": [{"value": lab.value, "name": lab.label, "key": LABEL_KEYS[lab]} for lab in Label],
        "kinds": [{"value": kind.value, "name": kind.label} for kind in SourceKind],
        "sides": [{"id": side.pk, "name": side.name} for side in sides.order_by("name")],
        "urls": {
            "annotations": "/api/v1/annotations/",
            "sources": "/api/v1/sources/",
            "submit": f"/api/v1/assignments/{assignment.pk}/submit/" if assignment else None,
            "queue": reverse("annotate:queue"),
        },
    }
    labels_by_sentence = {a.sentence_id: a.label for a in mine}
    for sentence in sentences:
        sentence.my_label = labels_by_sentence.get(sentence.pk)
        sentence.my_label_name = Label(sentence.my_label).label if sentence.my_label else ""
    marked = sum(1 for s in sentences if s.reviewable and s.my_label)
    return render(
        request,
        "annotate/article.html",
        {
            "article": article,
            "paragraphs": _paragraphs(article, sentences),
            "state": state,
            "assignment": assignment,
            "labels": _labels(),
            "kinds": list(SourceKind),
            "marked": marked,
            "total": sum(1 for s in sentences if s.reviewable),
            "rewrite_links": article_links(article),
        },
    )


@lead_required
def assign(request):
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = form.save(assigned_by=request.user)
        messages.success(
            request,
            f"{len(created)} new assignment(s) for {form.article_count} article(s) "
            f"(overlap {form.cleaned_data['overlap']}).",
        )
        return redirect("annotate:assign")
    return render(request, "annotate/assign.html", {"form": form})


def throughput(times: list[datetime], *, gap_seconds: int = ACTIVE_GAP_SECONDS) -> tuple[float, float | None]:
    """(active hours, sentences per hour) from the sorted creation times of one reviewer's marks.

    Each mark made within `gap_seconds` of the previous one counts, with the time between them;
    longer gaps are breaks. Fewer than two marks, or no time between them, give (0, None).
    """
    seconds, counted = 0.0, 0
    for before, after in zip(times, times[1:], strict=False):
        gap = (after - before).total_seconds()
        if gap <= gap_seconds:
            seconds += gap
            counted += 1
    if seconds <= 0:
        return 0.0, None
    return seconds / 3600, counted / (seconds / 3600)


@lead_required
def progress(request):
    reviewable = (
        Sentence.objects.filter(article=OuterRef("article"), reviewable=True)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = {
        row["reviewer"]: row
        for row in Assignment.objects.order_by()
        .values("reviewer")
        .annotate(
            articles=Count("pk"),
            submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
            sentences=Coalesce(Sum(Subquery(reviewable)), 0),
        )
    }
    marks = {
        row["reviewer"]: row
        for row in Annotation.objects.order_by()
        .values("reviewer")
        .annotate(
            marks=Count("pk"),
            first=Min("created"),
            last=Max("created"),
        )
    }
    times: dict[int, list[datetime]] = {}
    for reviewer_id, created in Annotation.objects.order_by("reviewer", "created").values_list("reviewer", "created"):
        times.setdefault(reviewer_id, []).append(created)
    users = get_user_model().objects.filter(pk__in=set(rows) | set(marks)).order_by("username")
    reviewers = []
    for user in users:
        row, mark = rows.get(user.pk, {}), marks.get(user.pk, {})
        hours, per_hour = throughput(times.get(user.pk, []))
        reviewers.append(
            {
                "username": user.username,
                "articles": row.get("articles", 0),
                "submitted": row.get("submitted", 0),
                "sentences": row.get("sentences", 0),
                "marks": mark.get("marks", 0),
                "first": mark.get("first"),
                "last": mark.get("last"),
                "active_hours": hours,
                "per_hour": round(per_hour) if per_hour is not None else None,
            }
        )
    return render(request, "annotate/progress.html", {"reviewers": reviewers, "gap_minutes": ACTIVE_GAP_SECONDS // 60})
