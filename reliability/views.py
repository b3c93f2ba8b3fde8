"""Pages: the outlet leaderboard (forest plot), outlet pages with the evidence behind every
number, source pages, the method page and the leads' adjudication queue."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotate.codebook import LABEL_KEYS, Label
from annotate.models import Annotation, Article, Outlet, Sentence, Source, sentence_name, sentence_number
from annotate.roles import lead_required
from claims import queries as claims_queries
from claims.matching import AUTO_THRESHOLD, MEASURED_PRECISION, REVIEW_THRESHOLD
from reliability import charts, queries
from reliability.models import RunSentence, ScoreRun, ScoreSnapshot, can_read_scores
from reliability.scoring import INDICATORS, METHOD_VERSION, MethodSettings
from reliability.services import adjudicate_sentence, publish_run, publishable_error
from reliability.tasks import recompute_scores_task

INDICATOR_NAMES = {
    "sourcing_rate": "Sourcing rate",
    "named_share": "Named-source share",
    "anonymous_share": "Anonymous share",
    "second_hand_share": "Second-hand share",
    "analysis_share": "Analysis share",
    # Method version 2: claims across outlets (docs/claims.md).
    "original_share": "Original reporting share",
    "first_share": "First-to-report share",
    "weak_claim_share": "Single-source or unsourced claims",
    "corroboration_rate": "Corroboration rate",
}
# What each indicator's x / n counts (method v2's claims indicators count articles or claims).
SHARED_CLAIMS = "claims shared with other outlets"
INDICATOR_UNITS = {"original_share": "articles", "first_share": SHARED_CLAIMS, "weak_claim_share": SHARED_CLAIMS}
DIRECTIONS = {"higher_is_better": "higher is better", "lower_is_better": "lower is better", "not_scored": "not scored"}
SORTS = {
    "score": [F("score").desc(nulls_last=True), "outlet__domain"],
    "-score": [F("score").asc(nulls_last=True), "outlet__domain"],
    "domain": ["outlet__domain"],
    "articles": ["-article_count", "outlet__domain"],
    "alpha": [F("alpha").desc(nulls_last=True), "outlet__domain"],
}


def _latest_run(request):
    """The newest run this reader may see (leads: any run; others: published runs), None when
    there is none."""
    return ScoreRun.objects.readable_by(request.user).first()


def scores_readable(view):
    """Score pages: anonymous visitors go to the sign-in page unless PUBLIC_SCORES is on."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_read_scores(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@scores_readable
def outlet_list(request):
    runs = ScoreRun.objects.readable_by(request.user)
    run = runs.first()
    sort = request.GET.get("sort", "score") if request.GET.get("sort") in SORTS else "score"
    snapshots = list(run.snapshots.select_related("outlet").order_by(*SORTS[sort])) if run else []
    plot = charts.forest_plot(
        [
            (
                s.outlet.domain,
                s.outlet.get_absolute_url(),
                None if s.insufficient_evidence else s.score,
                s.score_low,
                s.score_high,
            )
            for s in snapshots
        ]
    )
    unscored = Outlet.objects.exclude(score_snapshots__run=run).order_by("domain") if run else Outlet.objects.all()
    return render(
        request,
        "reliability/outlet_list.html",
        {
            "run": run,
            "run_figures": run.figures_for(request.user) if run else {},
            "snapshots": snapshots,
            "plot": plot,
            "sort": sort,
            "sorts": list(SORTS),
            "unscored": unscored,
            "latest_published": runs.filter(published=True).first() if run else None,
        },
    )


@lead_required
def publish(request):
    """GET ?run=N: what run N changes against the published run, with a confirm button; POST
    run=N publishes exactly run N (never a newer one computed meanwhile)."""
    requested = request.POST.get("run") or request.GET.get("run") or ""
    if not requested.isdigit():
        raise Http404("Which run? Give its id as `run`.")
    run = get_object_or_404(ScoreRun, pk=requested)
    if request.method == "POST":
        try:
            reviewed = request.POST.get("revision", "")
            publish_run(run=run, by=request.user, revision=int(reviewed) if reviewed.isdigit() else None)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Run {run.pk} is published.")
        return redirect("reliability:outlet-list")
    previous = ScoreRun.objects.filter(published=True).exclude(pk=run.pk).first()
    return render(
        request,
        "reliability/publish.html",
        {
            "run": run,
            "previous": previous,
            "error": publishable_error(run),
            "changes": queries.run_changes(run.pk, previous.pk if previous else None),
        },
    )


@require_POST
@lead_required
def recompute(request):
    recompute_scores_task.enqueue(full=True)
    messages.success(request, "Recompute queued; the leaderboard shows the new run once the worker finishes it.")
    return redirect("reliability:outlet-list")


@scores_readable
def outlet_detail(request, domain):
    outlet = get_object_or_404(Outlet, domain=domain)
    runs = ScoreRun.objects.readable_by(request.user)
    run = runs.first()
    snapshot = ScoreSnapshot.objects.filter(run=run, outlet=outlet).first() if run else None
    history = list(
        ScoreSnapshot.objects.filter(outlet=outlet, run__in=runs)
        .order_by("computed_at")
        .values("computed_at", "score", "score_low", "score_high", "insufficient_evidence")[:200]
    )
    figures = snapshot.figures_for(request.user) if snapshot else {}
    indicators = [
        {
            "key": key,
            "name": INDICATOR_NAMES[key],
            "direction_text": DIRECTIONS[INDICATORS[key][2]],
            "unit": INDICATOR_UNITS.get(key, "sentences"),
            **figures.get("indicators", {}).get(key, {}),
        }
        for key in INDICATORS
        # A snapshot of an older method version shows the indicators it has.
        if not figures or key in figures.get("indicators", {})
    ]
    monthly = figures.get("monthly", [])
    titles = dict(
        Article.objects.filter(pk__in=[a["id"] for a in figures.get("articles", [])]).values_list("pk", "title")
    )
    articles = [
        {**a, "title": titles.get(a["id"], f"article {a['id']} (deleted)")} for a in figures.get("articles", [])
    ]
    return render(
        request,
        "reliability/outlet_detail.html",
        {
            "articles": articles,
            "outlet": outlet,
            "run": run,
            "snapshot": snapshot,
            "figures": figures,
            "indicators": indicators,
            "sides": charts.side_bar(figures.get("counts", {}).get("sides", {})),
            "trend": charts.trend_line([(m["month"], m["score"]) for m in monthly]),
            "monthly": monthly,
            "history": charts.trend_line(list(zip(_run_labels(history), [h["score"] for h in history], strict=True))),
            "history_rows": history,
            "rewrites": claims_queries.outlet_rewrites(outlet),
        },
    )


def _run_labels(history: list[dict]) -> list[str]:
    """x labels of the score history: the run's date, with the time when two runs share a day."""
    days = [h["computed_at"].strftime("%Y-%m-%d") for h in history]
    if len(set(days)) == len(days):
        return days
    return [h["computed_at"].strftime("%Y-%m-%d %H:%M") for h in history]


def _run_for(request):
    """The run a score page shows: `?run=<id>` among the runs this reader may see (404 for any
    other), else the newest of them (None when there is none)."""
    runs = ScoreRun.objects.readable_by(request.user)
    requested = request.GET.get("run")
    if requested:
        if not requested.isdigit():
            raise Http404("Unknown run.")
        return get_object_or_404(runs, pk=requested)
    return runs.first()


@scores_readable
def outlet_evidence(request, domain):
    outlet = get_object_or_404(Outlet, domain=domain)
    indicator, part = request.GET.get("indicator", "sourcing_rate"), request.GET.get("part", "x")
    if indicator not in INDICATOR_NAMES or part not in ("x", "n"):
        raise Http404("Unknown indicator or part.")
    run = _run_for(request)
    snapshot = ScoreSnapshot.objects.filter(run=run, outlet=outlet).first() if run else None
    figure = snapshot.figures.get("indicators", {}).get(indicator, {}).get(part) if snapshot else None
    # Sentences for most indicators; claim groups (first-to-report, single-source or unsourced
    # share) and articles (original reporting share) for the claims indicators of method v2.
    kind = "sentences"
    rows: list[dict] | QuerySet
    if indicator in queries.CLAIM_EVIDENCE_INDICATORS:
        kind, rows = "claims", queries.claim_evidence(run.pk, outlet.pk, indicator, part) if run else []
    elif indicator in queries.ARTICLE_EVIDENCE_INDICATORS:
        kind, rows = "articles", _article_evidence(snapshot, part)
    else:
        rows = queries.evidence_sentences(run.pk, outlet.pk, indicator, part) if run else RunSentence.objects.none()
        rows = rows.annotate(number=sentence_number("sentence__"))
    return render(
        request,
        "reliability/outlet_evidence.html",
        {
            "outlet": outlet,
            "run": run,
            "figure": figure,
            "indicator": indicator,
            "indicator_name": INDICATOR_NAMES[indicator],
            "kind": kind,
            "part": part,
            "page": Paginator(rows, 100).get_page(request.GET.get("page")),
            "indicators": INDICATOR_NAMES,
        },
    )


def _article_evidence(snapshot, part: str) -> list[dict]:
    """The outlet's articles the run counted (n), or those that restate no other outlet (x), from
    the snapshot's frozen per-article figures, with their titles."""
    rows = [
        row for row in (snapshot.figures.get("articles", []) if snapshot else []) if part == "n" or row.get("original")
    ]
    titles = dict(Article.objects.filter(pk__in=[row["id"] for row in rows]).values_list("pk", "title"))
    return [{**row, "title": titles.get(row["id"], f"article {row['id']}")} for row in rows]


@scores_readable
def source_detail(request, pk):
    source = get_object_or_404(Source.objects.select_related("side__topic"), pk=pk)
    run = _run_for(request)
    rows = queries.source_attributions(run.pk, source.pk) if run else RunSentence.objects.none()
    rows = rows.annotate(number=sentence_number("sentence__"))
    return render(
        request,
        "reliability/source_detail.html",
        {
            "source": source,
            "run": run,
            "page": Paginator(rows, 100).get_page(request.GET.get("page")),
            "outlets": queries.source_outlet_counts(run.pk, source.pk) if run else [],
        },
    )


def method(request):
    return render(request, "reliability/method.html", {
        "method": MethodSettings(), "method_version": METHOD_VERSION,
        "claims_auto": AUTO_THRESHOLD, "claims_review": REVIEW_THRESHOLD, "claims_precision": MEASURED_PRECISION,
    })  # fmt: skip


@lead_required
def adjudication_queue(request):
    marks = Annotation.objects.visible_to(request.user).select_related("reviewer", "source").order_by("reviewer")
    disputed = (
        queries.disputed_sentences()
        .with_number()
        .select_related("article__outlet")
        .prefetch_related(Prefetch("annotations", queryset=marks))
    )
    page = Paginator(disputed, 25).get_page(request.GET.get("page"))
    for sentence in page:
        seen: dict[int, Source] = {}
        for mark in sentence.annotations.all():
            if mark.source_id and mark.counted:
                seen.setdefault(mark.source_id, mark.source)
        # Keys a-h choose a source within one dispute (the page script maps them).
        choices = list(seen.values())[:8]
        sentence.source_choices = [{"key": k, "source": src} for k, src in zip("abcdefgh", choices, strict=False)]
    keys = [{"value": label.value, "name": label.label, "key": LABEL_KEYS[label]} for label in Label]
    return render(request, "reliability/adjudicate.html", {"page": page, "labels": keys})


@require_POST
@lead_required
def adjudicate(request, sentence_id):
    sentence = get_object_or_404(Sentence.objects.with_number().select_related("article"), pk=sentence_id)
    source_id = request.POST.get("source") or None
    source = get_object_or_404(Source, pk=source_id) if source_id else None
    label = request.POST.get("label", "")
    if label != Label.ATTRIBUTION:
        source = None
    try:
        adjudicate_sentence(
            sentence=sentence, label=label, source=source, lead=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, f"{sentence_name(sentence)}: " + "; ".join(error.messages))
    else:
        messages.success(request, f"{sentence_name(sentence)} settled as {label}.")
    page = request.POST.get("page")
    return redirect(reverse("reliability:adjudicate") + (f"?page={page}" if page else ""))
