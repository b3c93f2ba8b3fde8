"""HTML pages of the annotation workspace: my queue, the keyboard-first annotation page,
the guidelines, and the leads' assignment, progress and flags pages. What each page shows is
built in presenters.py; writes go through services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import presenters
from .forms import AssignForm
from .models import Article, Assignment, Flag, Sentence, is_lead
from .roles import lead_required
from .services import resolve_flag


def guidelines(request):
    return render(request, "annotate/guidelines.html", presenters.guidelines())


def _open_assignments(user):
    """The user's assignments in queue order (retired articles and outlets leave the queue), with
    `total` reviewable sentences, `marked` ones, and `left`: those neither marked nor flagged (0
    when the whole article is flagged)."""
    left = (
        Sentence.objects.filter(article=OuterRef("article"))
        .left_for(user)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
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
            left=Coalesce(Subquery(left, output_field=IntegerField()), 0),
        )
        # open ones (no submitted_at) first on every database: PostgreSQL sorts NULL last by default
        .order_by(F("submitted_at").asc(nulls_first=True), "created", "id")
    )


@login_required
def queue(request):
    assignments = list(_open_assignments(request.user))
    unfinished = [a for a in assignments if a.submitted_at is None]
    return render(request, "annotate/queue.html", {"assignments": assignments, "unfinished": len(unfinished)})


@login_required
def continue_work(request):
    """Go to the first unmarked sentence of the next unfinished article."""
    for assignment in _open_assignments(request.user):
        if assignment.submitted_at is not None:
            continue
        first = (
            Sentence.objects.filter(article_id=assignment.article_id)
            .left_for(request.user)
            .order_by("position")
            .values_list("position", flat=True)
            .first()
        )
        url = reverse("annotate:article", args=[assignment.article_id])
        # A fully marked article still waits for its "submit" step.
        return redirect(f"{url}#s-{first}" if first is not None else f"{url}#submit")
    messages.info(request, "Nothing left to annotate: every article assigned to you is submitted.")
    return redirect("annotate:queue")


@login_required
def article(request, pk):
    article = Article.objects.readable_by(request.user).select_related("outlet", "topic").filter(pk=pk).first()
    if article is None:
        raise Http404("No such article, or it is not assigned to you.")
    assignment = Assignment.objects.filter(article=article, reviewer=request.user).first()
    lead = is_lead(request.user)
    page = presenters.article_page(
        article=article, user=request.user, assignment=assignment, lead=lead, csrf=get_token(request)
    )
    return render(request, "annotate/article.html", page.context())


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


@lead_required
def progress(request):
    context = {
        "reviewers": presenters.progress_rows(),
        "break_minutes": int(presenters.BREAK_AFTER.total_seconds() // 60),
        "min_minutes": int(presenters.MIN_ACTIVE.total_seconds() // 60),
        "min_marks": presenters.MIN_PACED_MARKS,
    }
    return render(request, "annotate/progress.html", context)


@lead_required
def flags(request):
    """Reviewers' flags: open ones first (oldest first), then the resolved ones."""
    show = "resolved" if request.GET.get("show") == "resolved" else "open"
    rows = Flag.objects.select_related("article__outlet", "sentence", "reviewer", "resolved_by")
    if show == "open":
        rows = rows.open().order_by("created", "id")
    else:
        rows = rows.exclude(resolved_at=None).order_by("-resolved_at", "-id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    numbers = dict(
        Sentence.objects.with_number()
        .filter(pk__in=[flag.sentence_id for flag in page if flag.sentence_id])
        .values_list("pk", "number")
    )
    for flag in page:
        flag.sentence_number = numbers.get(flag.sentence_id)
    return render(request, "annotate/flags.html", {"page": page, "show": show})


@require_POST
@lead_required
def resolve(request, pk):
    flag = get_object_or_404(Flag, pk=pk)
    try:
        resolve_flag(flag=flag, lead=request.user, resolution=request.POST.get("resolution", ""))
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, f"Flag on “{flag.article.title}” resolved.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else "annotate:flags")
