"""Pages: claim groups (list and one group: who carried it first, with which sources, its status),
an article's links and claims, and the leads' review queue; leads merge, split, detach, decide
pairs and confirm or reject links here."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotate.models import Article, Sentence, is_lead, sentence_name
from annotate.roles import lead_required

from . import queries, services
from .forms import GroupFilterForm, LinkDecisionForm, MergeForm, PairDecisionForm, SplitForm
from .matching import AUTO_THRESHOLD, REVIEW_THRESHOLD
from .models import ArticleLink, ClaimGroup


def _readable(request) -> bool:
    """Same rule as the outlet pages: anyone when PUBLIC_SCORES, else signed-in users."""
    return request.user.is_authenticated or settings.PUBLIC_SCORES


def group_list(request):
    if not _readable(request):
        return redirect_to_login(request.get_full_path())
    form = GroupFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    found = queries.groups(**{key: value for key, value in filters.items() if value})
    page = Paginator(queries.with_members(found), 25).get_page(request.GET.get("page"))
    return render(request, "claims/group_list.html", {"form": form, "page": page})


def group_detail(request, pk):
    if not _readable(request):
        return redirect_to_login(request.get_full_path())
    group = get_object_or_404(ClaimGroup, pk=pk)
    lead = is_lead(request.user)
    return render(request, "claims/group_detail.html", {
        "group": group,
        "outlets": queries.group_outlets(group),
        "lead": lead,
        "merge_form": MergeForm() if lead else None,
    })  # fmt: skip


def article_claims(request, pk):
    if not _readable(request):
        return redirect_to_login(request.get_full_path())
    article = get_object_or_404(Article.objects.select_related("outlet"), pk=pk)
    sentences = list(article.sentences.filter(reviewable=True).with_number().order_by("position"))
    group_of = queries.groups_of_sentences(s.pk for s in sentences)
    for sentence in sentences:
        sentence.group_id = group_of.get(sentence.pk)
    return render(request, "claims/article.html", {
        "article": article,
        "links": queries.links_of_articles([article.pk]).get(article.pk, []),
        "rewritten_by": article.rewritten_by.standing().select_related("article__outlet"),
        "sentences": sentences,
        "lead": is_lead(request.user),
    })  # fmt: skip


@lead_required
def review(request):
    page = Paginator(queries.review_pairs(), 25).get_page(request.GET.get("page"))
    return render(request, "claims/review.html", {
        "page": page, "links": queries.pending_links()[:50], "auto": AUTO_THRESHOLD, "review": REVIEW_THRESHOLD,
    })  # fmt: skip


@require_POST
@lead_required
def decide_pair(request):
    form = PairDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose two sentences and a decision.")
        return redirect("claims:review")
    named = Sentence.objects.with_number().select_related("article")
    first = get_object_or_404(named, pk=form.cleaned_data["first"])
    second = get_object_or_404(named, pk=form.cleaned_data["second"])
    try:
        services.decide_pair(first=first, second=second, same=form.cleaned_data["same"], lead=request.user,
                             note=form.cleaned_data["note"])  # fmt: skip
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        return redirect("claims:review")
    verdict = "the same claim" if form.cleaned_data["same"] else "not the same claim"
    messages.success(request, f"{sentence_name(first)} and {sentence_name(second, lower=True)}: {verdict}.")
    return redirect("claims:review")


@require_POST
@lead_required
def merge(request, pk):
    group = get_object_or_404(ClaimGroup, pk=pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the number of the claim to merge with.")
        return redirect(group)
    other = ClaimGroup.objects.filter(pk=form.cleaned_data["other"]).first()
    if other is None:
        messages.error(request, f"There is no claim {form.cleaned_data['other']}.")
        return redirect(group)
    try:
        merged = services.merge_groups(group=group, other=other, lead=request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        return redirect(group)
    messages.success(request, f"Claims {group.pk} and {other.pk} are one claim now.")
    return redirect(merged)


@require_POST
@lead_required
def split(request, pk):
    group = get_object_or_404(ClaimGroup, pk=pk)
    form = SplitForm(request.POST, group=group)
    if not form.is_valid():
        messages.error(request, "Choose the sentences to split off.")
        return redirect(group)
    try:
        services.split_group(group=group, sentence_ids=form.cleaned_data["sentences"], lead=request.user,
                             note=form.cleaned_data["note"])  # fmt: skip
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        return redirect(group)
    messages.success(request, f"Split {len(form.cleaned_data['sentences'])} sentence(s) off claim {group.pk}.")
    if ClaimGroup.objects.filter(pk=group.pk).exists():
        return redirect(group)
    return redirect("claims:list")


@require_POST
@lead_required
def detach(request, pk, sentence_id):
    group = get_object_or_404(ClaimGroup, pk=pk)
    sentence = get_object_or_404(
        Sentence.objects.with_number().select_related("article"), pk=sentence_id, claim_membership__group=group
    )
    services.detach_sentence(sentence=sentence, lead=request.user, note=request.POST.get("note", "")[:500])
    messages.success(request, f"{sentence_name(sentence)} is in no claim group now.")
    if ClaimGroup.objects.filter(pk=group.pk).exists():
        return redirect(group)
    return redirect("claims:list")


@require_POST
@lead_required
def review_link(request, pk):
    link = get_object_or_404(ArticleLink, pk=pk)
    form = LinkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Confirm or reject the link.")
    else:
        services.review_link(link=link, confirm=form.cleaned_data["decision"] == "confirm", lead=request.user)
        messages.success(request, f"Link {link.pk} {link.get_status_display()}.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "claims:review")
