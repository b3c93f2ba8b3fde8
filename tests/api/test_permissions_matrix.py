"""Every API operation × role (anonymous, reviewer, other reviewer, lead) → expected status.

Operations come from the OpenAPI schema, so routes other helpers add under /api/v1/ are walked
too: ours have exact expectations; for the rest we assert no 5xx and no anonymous writes.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from annotate.models import Assignment, Outlet, Source
from annotate.services import MarkInput, flag_problem, save_annotation

from .conftest import client_for, ingest_once

ROLES = ("anonymous", "reviewer", "other", "lead")
D = 403  # denied: session auth first, so anonymous gets 403 rather than 401
NEW_TEXT = "A new article says little.\n\nOriginal Source: example.net"

# (method, path template, body) → statuses for (anonymous, reviewer, other reviewer, lead).
# The reviewer owns the annotation; both reviewers are assigned to the article; nobody submitted.
EXPECTED = [
    ("get", "/api/v1/outlets/", None, (D, 200, 200, 200)),
    ("post", "/api/v1/outlets/", {"domain": "example.org"}, (D, 403, 403, 201)),
    ("get", "/api/v1/outlets/{outlet}/", None, (D, 200, 200, 200)),
    ("put", "/api/v1/outlets/{outlet}/", {"domain": "empty.example", "name": "E"}, (D, 403, 403, 200)),
    ("patch", "/api/v1/outlets/{outlet}/", {"name": "E"}, (D, 403, 403, 200)),
    ("delete", "/api/v1/outlets/{outlet}/", None, (D, 403, 403, 204)),
    ("post", "/api/v1/outlets/{outlet}/retire/", None, (D, 403, 403, 200)),
    ("post", "/api/v1/outlets/{outlet}/restore/", None, (D, 403, 403, 200)),
    ("get", "/api/v1/articles/", None, (D, 200, 200, 200)),
    ("post", "/api/v1/articles/", {"text": NEW_TEXT}, (D, 403, 403, 201)),
    ("post", "/api/v1/articles/batch/", {"articles": [{"text": "New.", "outlet": "a.net"}]}, (D, 403, 403, 201)),
    ("get", "/api/v1/articles/{article}/", None, (D, 200, 200, 200)),
    # The article has a mark: it is never deleted (409 tells to retire it).
    ("delete", "/api/v1/articles/{article}/", None, (D, 403, 403, 409)),
    ("post", "/api/v1/articles/{article}/retire/", None, (D, 403, 403, 200)),
    ("post", "/api/v1/articles/{article}/restore/", None, (D, 403, 403, 200)),
    ("get", "/api/v1/articles/{article}/sentences/", None, (D, 200, 200, 200)),
    ("get", "/api/v1/sources/", None, (D, 200, 200, 200)),
    ("post", "/api/v1/sources/", {"name": "Reuters", "kind": "media"}, (D, 201, 201, 201)),
    ("get", "/api/v1/sources/{source}/", None, (D, 200, 200, 200)),
    ("put", "/api/v1/sources/{source}/", {"name": "AP", "kind": "media"}, (D, 403, 403, 200)),
    ("patch", "/api/v1/sources/{source}/", {"name": "AP"}, (D, 403, 403, 200)),
    ("delete", "/api/v1/sources/{source}/", None, (D, 403, 403, 204)),
    ("get", "/api/v1/annotations/", None, (D, 200, 200, 200)),
    ("post", "/api/v1/annotations/", {"sentence": "{sentence}", "label": "claim"}, (D, 201, 201, 201)),
    ("get", "/api/v1/annotations/{annotation}/", None, (D, 200, 404, 200)),
    (
        "put",
        "/api/v1/annotations/{annotation}/",
        {"sentence": "{marked}", "label": "analysis", "version": 1},
        (D, 200, 404, 200),
    ),
    ("patch", "/api/v1/annotations/{annotation}/", {"label": "analysis", "version": 1}, (D, 200, 404, 200)),
    ("delete", "/api/v1/annotations/{annotation}/", None, (D, 204, 404, 204)),
    ("get", "/api/v1/annotations/{annotation}/history/", None, (D, 200, 404, 200)),
    ("get", "/api/v1/assignments/", None, (D, 200, 200, 200)),
    ("post", "/api/v1/assignments/", {"article": "{other_article}", "reviewer": "reviewer1"}, (D, 403, 403, 201)),
    ("get", "/api/v1/assignments/{assignment}/", None, (D, 200, 404, 200)),
    ("delete", "/api/v1/assignments/{assignment}/", None, (D, 403, 403, 204)),
    ("post", "/api/v1/assignments/{assignment}/submit/", None, (D, 400, 404, 400)),
    ("post", "/api/v1/assignments/{assignment}/reopen/", None, (D, 403, 403, 400)),  # not submitted
    ("get", "/api/v1/assignments/{assignment}/history/", None, (D, 403, 403, 200)),
    ("get", "/api/v1/flags/", None, (D, 200, 200, 200)),
    (
        "post",
        "/api/v1/flags/",
        {"article": "{article}", "sentence": "{sentence}", "reason": "bad_split"},
        (D, 201, 201, 201),
    ),
    ("get", "/api/v1/flags/{flag}/", None, (D, 200, 404, 200)),
    ("delete", "/api/v1/flags/{flag}/", None, (D, 204, 404, 403)),  # leads resolve, they do not withdraw
    ("post", "/api/v1/flags/{flag}/resolve/", {"resolution": "split fixed"}, (D, 403, 403, 200)),
    ("post", "/api/v1/auth/token/", {"username": "reviewer1", "password": "pw-for-tests-1"}, (200, 200, 200, 200)),
    ("get", "/api/v1/schema/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/docs/", None, (200, 200, 200, 200)),
]
OURS = (
    "/api/v1/outlets",
    "/api/v1/articles",
    "/api/v1/sources",
    "/api/v1/annotations",
    "/api/v1/assignments",
    "/api/v1/flags",
    "/api/v1/auth",
    "/api/v1/schema",
    "/api/v1/docs",
)


def schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def _template(path: str) -> str:
    """Our template for a schema path: `{id}` named after the resource."""
    for resource, name in (
        ("outlets", "outlet"),
        ("articles", "article"),
        ("sources", "source"),
        ("annotations", "annotation"),
        ("assignments", "assignment"),
        ("flags", "flag"),
    ):
        if path.startswith(f"/api/v1/{resource}/{{id}}"):
            return path.replace("{id}", "{" + name + "}")
    return path


def test_every_operation_of_ours_has_an_expectation():
    ours = {(method, _template(path)) for method, path in schema_operations() if path.startswith(OURS)}
    expected = {(method, path) for method, path, _, _ in EXPECTED if path not in ("/api/v1/schema/", "/api/v1/docs/")}
    assert ours == expected


@pytest.fixture
def world(assigned_article, reviewer, reviewer2, lead):
    other_article = ingest_once(NEW_TEXT.replace("little", "less"))
    marked = assigned_article.sentences.get(position=1)
    annotation, _ = save_annotation(reviewer=reviewer, sentence=marked, mark=MarkInput(label="claim"))
    return {
        "users": {"anonymous": None, "reviewer": reviewer, "other": reviewer2, "lead": lead},
        "ids": {
            "outlet": Outlet.objects.create(domain="empty.example").pk,
            "article": assigned_article.pk,
            "other_article": other_article.pk,
            "source": Source.objects.create(name="Associated Press", kind="media").pk,
            "annotation": annotation.pk,
            "marked": marked.pk,
            "sentence": assigned_article.sentences.get(position=2).pk,
            "assignment": Assignment.objects.get(article=assigned_article, reviewer=reviewer).pk,
            "flag": flag_problem(
                reviewer=reviewer,
                article=assigned_article,
                sentence=assigned_article.sentences.get(position=3),
                reason="bad_split",
            ).pk,
        },
    }


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "statuses"), EXPECTED)
def test_permission_matrix(world, role, method, path, body, statuses):
    expected = statuses[ROLES.index(role)]
    client = client_for(world["users"][role])
    url = path.format(**world["ids"])
    kwargs = {"format": "json"} if body is not None else {}
    response = (
        getattr(client, method)(url, _fill(body, world["ids"]), **kwargs)
        if body is not None
        else getattr(client, method)(url)
    )
    assert response.status_code == expected, getattr(response, "data", response.content[:300])


def _foreign_operations() -> list[tuple[str, str]]:
    return [(m, p) for m, p in schema_operations() if not p.startswith(OURS)]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path"),
    _foreign_operations()
    or [pytest.param("get", "", marks=pytest.mark.skip(reason="no other routes under /api/v1/ yet"))],
)
def test_other_routes_never_fail_and_refuse_anonymous_writes(world, role, method, path):
    client = client_for(world["users"][role])
    url = path.replace("{id}", "1")
    for name in ("{domain}", "{pk}", "{outlet}", "{slug}"):
        url = url.replace(name, "1")
    response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
    assert response.status_code < 500
    if role == "anonymous" and method != "get":
        assert response.status_code in (401, 403, 405)
