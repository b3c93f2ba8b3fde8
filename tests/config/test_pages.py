"""Site-wide page behaviour: where signing in leads, the leads' home and navigation counts, one
rule for forbidden pages (sign-in for anonymous visitors, a styled 403 for the signed-in), and
styled 404/500 pages with DEBUG off."""

import pytest
from django.test import Client
from django.urls import path, reverse

from annotate.codebook import Label
from annotate.models import Article, Assignment
from annotate.services import MarkInput, flag_problem, save_annotation, submit_assignment
from config.urls import urlpatterns as site_urls


def submitted_work(article, reviewers, disputes: dict[int, tuple[str, str]]) -> None:
    """Two reviewers mark every sentence (analysis, except where `disputes` gives each their own
    label) and submit: only submitted work counts, so only then are the disputes in the queue."""
    for index, reviewer in enumerate(reviewers):
        assignment = Assignment.objects.get_or_create(article=article, reviewer=reviewer)[0]
        for sentence in article.sentences.filter(reviewable=True):
            label = disputes.get(sentence.position, (Label.ANALYSIS, Label.ANALYSIS))[index]
            save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=label))
        submit_assignment(assignment=assignment)


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *site_urls]
handler500 = "config.views.server_error"  # as config/urls.py

# Every page that is for leads only: GET pages and POST actions.
LEAD_PAGES = [
    ("get", "/lead/"),
    ("get", "/annotate/assign/"),
    ("get", "/annotate/progress/"),
    ("get", "/annotate/flags/"),
    ("get", "/adjudicate/"),
    ("get", "/exports/"),
    ("get", "/exports/1/download/"),
    ("post", "/annotate/flags/1/resolve/"),
    ("post", "/adjudicate/1/"),
    ("post", "/outlets/publish/"),
    ("post", "/outlets/recompute/"),
]
SIGNED_IN_PAGES = ["/annotate/", "/annotate/continue/", "/annotate/articles/1/", "/start/"]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), LEAD_PAGES + [("get", url) for url in SIGNED_IN_PAGES])
def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), LEAD_PAGES)
def test_reviewers_get_a_styled_forbidden_page_on_lead_pages(client, reviewer, method, url):
    client.force_login(reviewer)
    response = getattr(client, method)(url)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You can't open this page" in html
    assert "Only leads can open this page." in html
    assert "signed in as <strong>reviewer1</strong>" in html
    assert 'href="/static/css/site.css"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", [url for method, url in LEAD_PAGES if method == "get" and "download" not in url])
def test_leads_open_every_lead_page(client, lead, url):
    client.force_login(lead)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_signing_in_leads_leads_to_their_home_and_reviewers_to_their_queue(lead, reviewer):
    for user, home in ((lead, "/lead/"), (reviewer, "/annotate/")):
        client = Client()
        response = client.post(reverse("login"), {"username": user.username, "password": "pw-for-tests-1"})
        assert response.url == reverse("landing")
        assert client.get(response.url).url == home
    response = Client().post(
        reverse("login") + "?next=/annotate/progress/", {"username": "lead", "password": "pw-for-tests-1"}
    )
    assert response.url == "/annotate/progress/"  # an explicit next still wins


@pytest.mark.django_db
def test_the_lead_home_promises_user_accounts_only_to_who_may_change_them(client, lead, make_user):
    """Leads fix data in the admin but have no permission on user accounts (403 there): the
    admin link said "fix data, users" to them too."""
    client.force_login(lead)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert "(fix data)" in client.get(reverse("lead-home")).content.decode()
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert "(fix data, users)" in client.get(reverse("lead-home")).content.decode()


def test_the_lead_home_shows_what_waits_and_the_navigation_counts(
    client, lead, reviewer, reviewer2, sample_article, django_assert_max_num_queries
):
    # Two disputed sentences: the reviewers disagree on positions 0 and 1.
    submitted_work(
        sample_article, [reviewer, reviewer2], {0: (Label.CLAIM, Label.ANALYSIS), 1: (Label.OTHER, Label.CLAIM)}
    )
    flag_problem(reviewer=reviewer, article=sample_article, reason="duplicate")
    client.force_login(lead)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("lead-home"))
    html = response.content.decode()
    assert '<p class="figure" id="home-disputed">2</p>' in html
    assert '<p class="figure" id="home-flags">1</p>' in html
    assert 'id="nav-adjudicate">Adjudication <span class="count">2<' in html
    assert 'id="nav-flags">Flags <span class="count">1<' in html
    for name in ("reliability:adjudicate", "annotate:flags", "annotate:assign", "annotate:progress", "exports:list"):
        assert f'href="{reverse(name)}"' in html
    assert 'href="/outlets/"' in html
    assert "Duplicate" in html
    assert "whole article" in html
    assert "2 / 2" in html  # assignments submitted
    # Reviewers see neither the counts nor the lead links.
    client.force_login(reviewer)
    html = client.get(reverse("annotate:queue")).content.decode()
    assert "nav-adjudicate" not in html
    assert "Lead home" not in html


@pytest.mark.django_db
def test_leads_without_assignments_are_pointed_to_their_home_from_the_queue(client, lead):
    client.force_login(lead)
    assert 'href="/lead/"' in client.get(reverse("annotate:queue")).content.decode()


@pytest.mark.django_db
def test_not_found_is_a_styled_page_with_the_reason(client, reviewer, sample_article):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Nothing lives at this address." in html
    assert 'href="/static/css/site.css"' in html
    client.force_login(reviewer)
    response = client.get(reverse("annotate:article", args=[sample_article.pk]))  # not assigned
    assert response.status_code == 404
    assert "No such article, or it is not assigned to you." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_server_errors_are_a_styled_page_with_debug_off(settings):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/static/css/site.css"' in html
    assert "RuntimeError" not in html
    assert "a bug" not in html


@pytest.mark.django_db
def test_an_unknown_api_address_is_a_json_404(client, lead):
    # docs/api.md: every client mistake is a 4xx JSON body; a script reads no HTML page.
    for user in (None, lead):
        if user:
            client.force_login(user)
        response = client.get("/api/v1/artikles/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found: no API route /api/v1/artikles/ (see /api/v1/docs/)."}
    assert "text/html" in client.get("/no/such/page/")["Content-Type"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_write_to_an_api_address_without_its_slash_is_a_404_naming_the_address(client, lead, settings, debug):
    # Django redirected it (301, and a client repeats the POST as a GET: a 200 list, nothing stored)
    # or, with DEBUG, raised a RuntimeError (500).
    settings.DEBUG = debug
    client.force_login(lead)
    response = client.post("/api/v1/articles", {"text": "It rained.", "outlet": "example.org"}, "application/json")
    assert response.status_code == 404
    if not debug:  # with DEBUG, Django's technical 404 page answers instead of handler404
        assert response.json() == {
            "detail": "Not found: /api/v1/articles has no route; the address ends in a slash: /api/v1/articles/"
        }
    assert not Article.objects.exists()
    assert client.get("/api/v1/articles").status_code == 301


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_under_the_api_is_json():
    response = Client(raise_request_exception=False).get("/api/v1/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


@pytest.mark.django_db
def test_an_expired_form_is_a_styled_page(reviewer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


@pytest.mark.django_db
def test_the_navigation_count_is_cached_and_cleared_by_a_change(client, lead, reviewer, reviewer2, sample_article):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submitted_work(
        sample_article, [reviewer, reviewer2], {0: (Label.CLAIM, Label.ANALYSIS), 1: (Label.OTHER, Label.CLAIM)}
    )
    client.force_login(lead)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("annotate:flags")).content.decode()
        counts.append(len(queries))
        assert 'id="nav-adjudicate">Adjudication <span class="count">2<' in html
    assert counts[1] == counts[0] - 1  # the second page reads the count from the cache
    client.post(
        reverse("reliability:adjudicate-sentence", args=[sample_article.sentences.get(position=0).pk]),
        {"label": "claim"},
    )
    html = client.get(reverse("annotate:flags")).content.decode()
    assert 'id="nav-adjudicate">Adjudication <span class="count">1<' in html


@pytest.mark.django_db
def test_a_bad_request_is_a_styled_page_with_debug_off(settings):
    settings.ALLOWED_HOSTS = ["sourcemark.example"]
    response = Client().get("/", HTTP_HOST="not-allowed.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The request could not be understood" in html
    assert "<title>Bad request · Sourcemark</title>" in html
    assert 'href="/static/css/site.css"' in html
