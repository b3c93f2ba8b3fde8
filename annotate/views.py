"""HTML pages of the annotation workspace."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from .codebook import KIND_DEFINITIONS, LABEL_DEFINITIONS, LABEL_EXAMPLES, LABEL_KEYS, Label
from .models import Article, Assignment, Outlet, is_lead


def home(request):
    counts = {
        "outlets": Outlet.objects.count(),
        "articles": Article.objects.count(),
    }
    return render(request, "home.html", {"counts": counts, "public_scores": settings.PUBLIC_SCORES})


@never_cache
def health(request):
    """Liveness and database check for load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def login_view(request, *args, **kwargs):
    """Django's login page, with failed attempts throttled per address and username."""
    from django.contrib.auth.forms import AuthenticationForm

    from .throttling import LoginThrottle

    throttle = LoginThrottle(request, request.POST.get("username", "")) if request.method == "POST" else None
    if throttle is not None and (wait := throttle.retry_after()) is not None:
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
        form.full_clean()  # unbound: no errors of its own, only the refusal below
        form.cleaned_data = {}
        form.add_error(None, f"Too many failed sign-ins. Try again in {wait} seconds.")
        response = render(request, "registration/login.html", {"form": form}, status=429)
        response["Retry-After"] = str(wait)
        return response
    response = auth_views.LoginView.as_view(redirect_authenticated_user=True)(request, *args, **kwargs)
    if throttle is not None:
        if response.status_code == 302 and request.user.is_authenticated:
            throttle.succeeded()
        else:
            throttle.failed()
    return response


def guidelines(request):
    labels = [
        {"value": label.value, "name": label.label, "key": LABEL_KEYS[label],
         "definition": LABEL_DEFINITIONS[label], "example": LABEL_EXAMPLES[label]}
        for label in Label
    ]
    return render(request, "annotate/guidelines.html", {"labels": labels, "kinds": KIND_DEFINITIONS})


@login_required
def queue(request):
    assignments = (
        Assignment.objects.filter(reviewer=request.user)
        .select_related("article__outlet")
        .annotate(
            total=Count("article__sentences", filter=Q(article__sentences__reviewable=True), distinct=True),
            marked=Count(
                "article__sentences__annotations",
                filter=Q(article__sentences__annotations__reviewer=request.user),
                distinct=True,
            ),
        )
    )
    return render(request, "annotate/queue.html", {"assignments": assignments, "is_lead": is_lead(request.user)})


@login_required
def article(request, pk):
    article = get_object_or_404(Article.objects.select_related("outlet"), pk=pk)
    return render(request, "annotate/article.html", {"article": article, "sentences": article.sentences.all()})
