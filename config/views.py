"""Site-wide pages: the front page, the leads' home, the health check, the sign-in page and the
500 handler."""

import logging
import sys

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import is_valid_path
from django.views import defaults
from django.views.decorators.cache import never_cache

from annotate.models import Assignment, Flag, is_lead
from annotate.roles import lead_required
from datasets.models import ExportJob
from reliability import queries
from reliability.models import ScoreRun
from reliability.views import SORTS

from .context_processors import disputed_count
from .exceptions import is_database_busy
from .middleware import database_busy_response
from .throttling import LoginThrottle

logger = logging.getLogger(__name__)


def home(request):
    """The front page: what is in the corpus, the latest readable scores, and for signed-in
    users their next step (reviewers: their queue; leads: disputes, unassigned articles)."""
    run = ScoreRun.objects.readable_by(request.user).first()
    top = (
        list(run.snapshots.select_related("outlet").filter(insufficient_evidence=False).order_by(*SORTS["score"])[:5])
        if run
        else []
    )
    context = {"counts": queries.corpus_counts(), "run": run, "top": top}
    if request.user.is_authenticated:
        context["open_assignments"] = request.user.assignments.filter(submitted_at__isnull=True).count()
    if is_lead(request.user):
        context["lead"] = {
            "disputed": disputed_count(fresh=True),  # also refreshes the navigation's cached count
            "unassigned": queries.unassigned_articles().count(),
        }
    return render(request, "home.html", context)


@login_required
def landing(request):
    """Where signing in leads: leads to their home, reviewers to their queue."""
    return redirect("lead-home" if is_lead(request.user) else "annotate:queue")


@lead_required
def lead_home(request):
    """The leads' home: what waits for them (disputes, flags), and assignment, progress, exports
    and score runs one click away, each with the figure that says whether it needs attention."""
    flags = Flag.objects.open().select_related("article", "reviewer").order_by("created", "id")
    assignments = Assignment.objects.aggregate(
        total=Count("pk"),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        reviewers=Count("reviewer", distinct=True),
    )
    runs = ScoreRun.objects.all()
    context = {
        "disputed": disputed_count(fresh=True),  # also refreshes the navigation's cached count
        "flags": list(flags[:5]),
        "flag_count": flags.count(),
        "unassigned": queries.unassigned_articles().count(),
        "assignments": assignments,
        "own_open": request.user.assignments.filter(submitted_at__isnull=True).count(),
        "export": ExportJob.objects.select_related("created_by").first(),
        "run": runs.first(),
        "published": runs.filter(published=True).first(),
    }
    return render(request, "lead_home.html", context)


@never_cache
def health(request):
    """Liveness and database check for load balancers, over plain HTTP too (SECURE_REDIRECT_EXEMPT).
    The answer says only ok/unavailable; why the database is unavailable (host, port, database
    name) goes to the server's log, never to whoever asks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        logger.warning("health: database unavailable: %s", " ".join(str(exc).split())[:500])
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """handler404: an address under /api/ that no route serves is a JSON body, as every other API
    answer; elsewhere Django's page (templates/404.html)."""
    if _is_api(request):
        if not request.path_info.endswith("/") and is_valid_path(request.path_info + "/"):
            detail = f"Not found: {request.path} has no route; the address ends in a slash: {request.path}/"
        else:
            detail = f"Not found: no API route {request.path} (see /api/v1/docs/)."
        return JsonResponse({"detail": detail}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: a database lock not granted in time after the view ran (e.g. saving the
    session) is a 503 with Retry-After like any other; everything else is Django's 500 page, or
    a JSON body under /api/."""
    if is_database_busy(sys.exc_info()[1]):
        return database_busy_response()
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def login_view(request, *args, **kwargs):
    """Django's login page, with failed attempts throttled per address and username."""
    throttle = LoginThrottle(request, request.POST.get("username", "")) if request.method == "POST" else None
    if throttle is not None and (wait := throttle.retry_after()) is not None:
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
        form.full_clean()  # unbound: no errors of its own, only the refusal below
        form.cleaned_data = {}
        form.add_error(None, f"Too many failed sign-ins. Try again in {wait} seconds.")
        response: HttpResponseBase = render(request, "registration/login.html", {"form": form}, status=429)
        response["Retry-After"] = str(wait)
        return response
    response = auth_views.LoginView.as_view(redirect_authenticated_user=True)(request, *args, **kwargs)
    if throttle is not None:
        if response.status_code == 302 and request.user.is_authenticated:
            throttle.succeeded()
        else:
            throttle.failed()
    return response
