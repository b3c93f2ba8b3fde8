"""Who may see what (issue 11 and issue 13's "one rule, one place"), role by route.

Every page of the URL conf (the admin aside) and every GET operation of the OpenAPI schema is
requested as five roles: anonymous, a reviewer before submitting the article (the author of an
in-progress mark), a reviewer after submitting it, another reviewer, and a lead. Routes added
later are walked too: they are held to the invariants below; ours also to exact statuses.

Invariants, on every route and role:
- no server error;
- the in-progress mark's note is shown only to its author and to leads (in-progress work is
  visible to nobody else: docs/scoring.md section 1);
- anonymous readers never see a reviewer's name;
- reviewers never see the names behind reviewer-pair agreement (leads only): the pairs of the
  scored outlet, whose articles no reviewer here is assigned to.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from annotate.codebook import Label, SourceKind
from annotate.models import Adjudication, Annotation, Assignment, Sentence
from reliability.services import publish_run, recompute_outlet_scores
from tests.reliability.conftest import Builder, scored_outlet

ROLES = ("anonymous", "before", "after", "other", "lead")
SECRET = "in-progress-note-7f3a"
R = 302  # to the sign-in page
D = 403
N = 404
M = 405

# Page route name -> statuses for (anonymous, before, after, other, lead); GET without a query.
PAGES = {
    "home": (200, 200, 200, 200, 200),
    "health": (200, 200, 200, 200, 200),
    "guidelines": (200, 200, 200, 200, 200),
    "login": (200, R, R, R, R),
    "logout": (M, M, M, M, M),
    "annotate:queue": (R, 200, 200, 200, 200),
    "annotate:continue": (R, R, R, R, R),
    "annotate:article": (R, 200, 200, N, 200),
    "annotate:assign": (R, D, D, D, 200),
    "annotate:progress": (R, D, D, D, 200),
    "annotate:flags": (R, D, D, D, 200),
    "annotate:resolve-flag": (M, M, M, M, M),
    "landing": (R, R, R, R, R),  # to sign in; signed in: to the queue, leads to /lead/
    "lead-home": (R, D, D, D, 200),
    "exports:list": (R, D, D, D, 200),
    "exports:download": (R, D, D, D, N),
    "reliability:outlet-list": (200, 200, 200, 200, 200),
    "reliability:publish": (R, D, D, D, N),  # no ?run=: which run?
    "reliability:recompute": (M, M, M, M, M),
    "reliability:outlet-detail": (200, 200, 200, 200, 200),
    "reliability:outlet-evidence": (200, 200, 200, 200, 200),
    "reliability:source-detail": (200, 200, 200, 200, 200),
    "reliability:method": (200, 200, 200, 200, 200),
    "reliability:adjudicate": (R, D, D, D, 200),
    "reliability:adjudicate-sentence": (M, M, M, M, M),
}
# API path (schema form) -> statuses for the same roles.
API = {
    "/api/v1/auth/token/": None,  # POST only: not a GET operation
    "/api/v1/outlets/": (D, 200, 200, 200, 200),
    "/api/v1/outlets/{id}/": (D, 200, 200, 200, 200),
    "/api/v1/articles/": (D, 200, 200, 200, 200),
    "/api/v1/articles/{id}/": (D, 200, 200, N, 200),
    "/api/v1/articles/{id}/sentences/": (D, 200, 200, N, 200),
    "/api/v1/sources/": (D, 200, 200, 200, 200),
    "/api/v1/sources/{id}/": (D, 200, 200, 200, 200),
    "/api/v1/annotations/": (D, 200, 200, 200, 200),
    "/api/v1/annotations/{id}/": (D, 200, N, N, 200),
    "/api/v1/annotations/{id}/history/": (D, 200, N, N, 200),
    "/api/v1/assignments/": (D, 200, 200, 200, 200),
    "/api/v1/assignments/{id}/": (D, 200, N, N, 200),
    "/api/v1/assignments/{id}/history/": (D, D, D, D, 200),
    "/api/v1/adjudications/queue/": (D, D, D, D, 200),
    "/api/v1/adjudications/": (D, D, D, D, 200),
    "/api/v1/adjudications/{id}/": (D, D, D, D, 200),
    "/api/v1/scores/": (200, 200, 200, 200, 200),
    "/api/v1/scores/{id}/": (200, 200, 200, 200, 200),
    "/api/v1/sentences/{id}/suggestion/": (D, 200, 200, N, 200),
    "/api/v1/exports/": (D, D, D, D, 200),
    "/api/v1/exports/{id}/": (D, D, D, D, N),
    "/api/v1/exports/{id}/download/": (D, D, D, D, N),
    "/api/v1/schema/": (200, 200, 200, 200, 200),
    "/api/v1/docs/": (200, 200, 200, 200, 200),
}
OUR_PAGE_NAMESPACES = ("annotate", "reliability", "exports")


def page_routes() -> list[tuple[str, tuple[str, ...]]]:
    """(route name, its URL parameters) of every page outside the admin and the API."""
    found = []

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner not in ("admin", "api"):
                    walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((name, tuple(pattern.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


def api_routes() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, item in schema["paths"].items() if "get" in item)


def test_every_route_of_ours_has_expected_statuses():
    ours = {name for name, _ in page_routes() if name.split(":")[0] in OUR_PAGE_NAMESPACES or ":" not in name}
    assert ours <= set(PAGES), ours - set(PAGES)
    known_api = ("/api/v1/outlets", "/api/v1/articles", "/api/v1/sources", "/api/v1/annotations")
    known_api += ("/api/v1/assignments", "/api/v1/adjudications", "/api/v1/scores", "/api/v1/sentences")
    known_api += ("/api/v1/exports", "/api/v1/schema", "/api/v1/docs")
    assert {path for path in api_routes() if path.startswith(known_api)} <= set(API)


@pytest.fixture
def world(db, make_user):
    """A scored, published outlet (its reviewer pairs named in the stored figures), article A
    assigned to `after` (submitted, every sentence a claim) and `before` (open: one in-progress
    attribution with a note), `other` assigned to another article, a dispute and an adjudication."""
    build = Builder()
    outlet = scored_outlet(build, "scored.example")
    before, after, other = make_user("bob-before"), make_user("alice-after"), make_user("carol-other")
    lead = make_user("dana-lead", lead=True)
    article = build.article(outlet, 3)
    mine = Assignment.objects.create(article=article, reviewer=after)
    Assignment.objects.create(article=article, reviewer=before)
    for sentence in article.sentences.all():
        Annotation.objects.create(sentence=sentence, reviewer=after, label=Label.CLAIM)
    mine.submitted_at = timezone.now()
    mine.save()
    zebra = build.source("Zebra Provisional", SourceKind.PERSON)
    secret_sentence = article.sentences.get(position=0)
    provisional = Annotation.objects.create(
        sentence=secret_sentence, reviewer=before, label=Label.ATTRIBUTION, source=zebra, note=SECRET
    )
    elsewhere = build.article(outlet, 2)
    Assignment.objects.create(article=elsewhere, reviewer=other, submitted_at=timezone.now())
    disputed = elsewhere.sentences.get(position=0)
    for name, label in (("erin-x", Label.CLAIM), ("frank-y", Label.ANALYSIS)):
        user = make_user(name)
        Assignment.objects.create(article=elsewhere, reviewer=user, submitted_at=timezone.now())
        Annotation.objects.create(sentence=disputed, reviewer=user, label=label)
    adjudication = Adjudication.objects.create(sentence=elsewhere.sentences.get(position=1), label="claim", lead=lead)
    run = publish_run(run=recompute_outlet_scores(), by=lead)
    return {
        "users": {"anonymous": None, "before": before, "after": after, "other": other, "lead": lead},
        "people": [before.username, after.username, other.username, lead.username, "erin-x", "frank-y"],
        "pair_names": [user.username for user in build.users],
        "pages": {
            "annotate:article": {"pk": article.pk},
            "exports:download": {"pk": 999999},
            "reliability:outlet-detail": {"domain": "scored.example"},
            "reliability:outlet-evidence": {"domain": "scored.example"},
            "reliability:source-detail": {"pk": zebra.pk},
            "reliability:adjudicate-sentence": {"sentence_id": disputed.pk},
        },
        "api": {
            "/api/v1/outlets/": outlet.pk,
            "/api/v1/articles/": article.pk,
            "/api/v1/sources/": zebra.pk,
            "/api/v1/annotations/": provisional.pk,
            "/api/v1/assignments/": Assignment.objects.get(article=article, reviewer=before).pk,
            "/api/v1/adjudications/": adjudication.pk,
            "/api/v1/scores/": run.snapshots.get(outlet=outlet).pk,
            "/api/v1/sentences/": secret_sentence.pk,
            "/api/v1/exports/": 999999,
        },
        "default_id": provisional.pk,  # a route nobody described yet gets the in-progress mark's id
        "secret_sentence": secret_sentence,
        "zebra": zebra,
    }


def page_url(world, name: str, params: tuple[str, ...]) -> str:
    kwargs = world["pages"].get(name)
    if kwargs is None:
        kwargs = {param: "scored.example" if param in ("domain", "slug") else world["default_id"] for param in params}
    return reverse(name, kwargs=kwargs)


def api_url(world, path: str) -> str:
    prefix = next((p for p in world["api"] if path.startswith(p)), None)
    value = world["api"][prefix] if prefix else world["default_id"]
    return re.sub(r"\{[^}]+\}", str(value), path)


def check_invariants(world, role: str, response) -> None:
    assert response.status_code < 500, response.content[:300]
    body = response.content.decode(errors="replace")
    if role not in ("before", "lead"):
        assert SECRET not in body, "an in-progress mark leaked"
    if role == "anonymous":
        for name in world["people"] + world["pair_names"]:
            assert name not in body, f"anonymous readers see {name}"
    if role != "lead":
        for name in world["pair_names"]:
            assert name not in body, f"a reviewer sees reviewer-pair agreement naming {name}"


def _get(world, role: str, url: str, *, api: bool):
    user = world["users"][role]
    if api:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client.get(url)
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "params"), page_routes(), ids=[name for name, _ in page_routes()])
def test_pages_by_role(world, role, name, params):
    response = _get(world, role, page_url(world, name, params), api=False)
    check_invariants(world, role, response)
    if name in PAGES:
        assert response.status_code == PAGES[name][ROLES.index(role)], (name, role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", api_routes())
def test_api_by_role(world, role, path):
    response = _get(world, role, api_url(world, path), api=True)
    check_invariants(world, role, response)
    if API.get(path):
        assert response.status_code == API[path][ROLES.index(role)], (path, role)


@pytest.mark.django_db
def test_an_in_progress_mark_is_on_no_score_page(world, client):
    assert Sentence.objects.filter(pk=world["secret_sentence"].pk).exists()
    for role in ROLES:
        response = _get(world, role, reverse("reliability:source-detail", args=[world["zebra"].pk]), api=False)
        assert response.context["page"].paginator.count == 0, role
