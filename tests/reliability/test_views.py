"""Score pages: leaderboard, outlet, evidence, source, method; visibility of published runs."""

import re

from django.urls import reverse

from annotate.models import Article, Outlet, Source
from reliability.models import ScoreRun
from reliability.scoring import METHOD_VERSION
from reliability.services import recompute_outlet_scores

from .conftest import scored_outlet


def test_leaderboard_shows_forest_plot_scores_and_insufficient_evidence(client, published_and_draft):
    response = client.get(reverse("reliability:outlet-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert "65.0" in html
    assert "insufficient evidence" in html
    assert f"method v{METHOD_VERSION}" in html.lower()
    assert ' style="' not in html
    assert "<script>" not in html


def test_anonymous_sees_only_the_published_run(client, published_and_draft):
    published, draft = published_and_draft
    html = client.get(reverse("reliability:outlet-list")).content.decode()
    assert "Publish run" not in html
    assert "not published" not in html


def test_lead_sees_the_latest_run_and_can_publish(client, lead, published_and_draft):
    published, draft = published_and_draft
    client.force_login(lead)
    html = client.get(reverse("reliability:outlet-list")).content.decode()
    assert f"Review and publish run {draft.pk}" in html
    confirm = client.get(reverse("reliability:publish"), {"run": draft.pk}).content.decode()
    assert f"Publish run {draft.pk}?" in confirm
    assert not ScoreRun.objects.get(pk=draft.pk).published  # looking is not publishing
    response = client.post(reverse("reliability:publish"), {"run": draft.pk})
    assert response.status_code == 302
    assert ScoreRun.objects.get(pk=draft.pk).published


def test_reviewer_cannot_publish(client, reviewer, published_and_draft):
    _, draft = published_and_draft
    client.force_login(reviewer)
    assert client.post(reverse("reliability:publish"), {"run": draft.pk}).status_code == 403
    assert not ScoreRun.objects.get(pk=draft.pk).published


def test_private_scores_send_anonymous_to_login(client, settings, published_and_draft):
    settings.PUBLIC_SCORES = False
    response = client.get(reverse("reliability:outlet-list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_no_published_run_says_so(client, build):
    build.outlet("a.example")
    recompute_outlet_scores()
    html = client.get(reverse("reliability:outlet-list")).content.decode()
    assert "No published scores yet" in html


def test_leaderboard_sorts_server_side(client, lead, build):
    scored_outlet(build, "b-scored.example")
    build.outlet("a-thin.example")
    recompute_outlet_scores()
    client.force_login(lead)
    by_domain = client.get(reverse("reliability:outlet-list") + "?sort=domain").content.decode()
    by_score = client.get(reverse("reliability:outlet-list") + "?sort=score").content.decode()
    assert by_domain.index("a-thin.example") < by_domain.index("b-scored.example")
    assert by_score.index(">b-scored.example<") < by_score.index(">a-thin.example<")


def test_leaderboard_query_count_is_constant(client, lead, build, django_assert_max_num_queries):
    client.force_login(lead)
    for i in range(2):
        scored_outlet(build, f"o{i}.example", articles=1)
    recompute_outlet_scores()
    url = reverse("reliability:outlet-list")
    client.get(url)
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for i in range(2, 8):
        scored_outlet(build, f"o{i}.example", articles=1)
    recompute_outlet_scores()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_outlet_page_shows_indicators_charts_and_evidence_links(client, published_and_draft):
    response = client.get(reverse("reliability:outlet-detail", args=["scored.example"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sourcing rate" in html
    assert "30 / 50" in html
    assert "Side balance" in html
    assert "evidence/?indicator=anonymous_share&amp;part=x" in html
    assert "Most-cited sources" in html
    assert "Reviewer agreement: <strong>high</strong>" in html  # the reviewers agree; a word about them, not the outlet
    assert html.count("<svg") >= 2
    for article in Article.objects.filter(outlet__domain="scored.example"):  # listed by title, linked
        assert f'{reverse("annotate:article", args=[article.pk])}">{article.title}</a>' in html


def test_outlet_page_query_count_is_constant_in_articles(client, lead, build, django_assert_max_num_queries):
    client.force_login(lead)
    outlet = scored_outlet(build, "grow.example", articles=5)
    recompute_outlet_scores()
    url = reverse("reliability:outlet-detail", args=[outlet.domain])
    client.get(url)
    with django_assert_max_num_queries(13) as small:  # 10, plus 3 for the rewrites section
        client.get(url)
    scored_outlet(build, "other.example", articles=1)
    for _ in range(5):
        from .conftest import example_one

        example_one(build, outlet)
    recompute_outlet_scores()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_thin_outlet_page_says_insufficient_evidence(client, published_and_draft):
    html = client.get(reverse("reliability:outlet-detail", args=["thin.example"])).content.decode()
    assert "Insufficient evidence" in html


def test_evidence_lists_the_sentences_in_x_and_n(client, lead, published_and_draft):
    url = reverse("reliability:outlet-evidence", args=["scored.example"])
    x = client.get(url, {"indicator": "anonymous_share", "part": "x"})
    n = client.get(url, {"indicator": "anonymous_share", "part": "n"})
    assert x.context["page"].paginator.count == 10
    assert n.context["page"].paginator.count == 30
    # Anonymous readers cannot open the annotation page: no link to it; leads get one.
    assert not re.search(r"/annotate/articles/\d+/#s-\d+", x.content.decode())
    client.force_login(lead)
    x = client.get(url, {"indicator": "anonymous_share", "part": "x"})
    assert re.search(r"/annotate/articles/\d+/#s-\d+", x.content.decode())
    assert client.get(url, {"indicator": "nope"}).status_code == 404


def test_source_page_lists_attributions_across_outlets(client, build, published_and_draft):
    source = Source.objects.filter(kind="anonymous").first()
    response = client.get(reverse("reliability:source-detail", args=[source.pk]))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2
    assert "scored.example" in response.content.decode()


def test_method_page_explains_the_numbers(client, db):
    html = client.get(reverse("reliability:method")).content.decode()
    assert "Krippendorff" in html
    assert "bootstrap" in html
    assert "Insufficient evidence" in html


# --- Query counts of the other score pages do not grow with the corpus (issue 17, goal 6) -------


def _grow(build, outlet, articles: int, source: Source) -> None:
    """More articles in `outlet` (worked example 1, plus a sentence attributed to `source` by both
    reviewers) and another outlet, for a second run."""
    from annotate.codebook import Label

    from .conftest import example_one

    scored_outlet(build, f"more{articles}.example", articles=1)
    for _ in range(articles):
        example_one(build, outlet)
        (sentence,) = build.article(outlet, 1).sentences.all()
        build.marks(sentence, [Label.ATTRIBUTION] * 2, [source, source])


def _queries_at_two_sizes(client, build, django_assert_max_num_queries, url_of, limit: int) -> tuple:
    """The page at `url_of(outlet, source)` after a small run and after a larger one: the second
    load runs no more queries than the first. Returns both responses."""
    outlet = scored_outlet(build, "grow.example", articles=5)
    source = Source.objects.filter(kind="person").order_by("pk").first()
    recompute_outlet_scores()
    client.get(url_of(outlet, source))  # warm per-process caches (the session, the content types)
    with django_assert_max_num_queries(limit) as small:
        before = client.get(url_of(outlet, source))
    _grow(build, outlet, 6, source)
    recompute_outlet_scores()
    with django_assert_max_num_queries(len(small.captured_queries)):
        after = client.get(url_of(outlet, source))
    assert before.status_code == after.status_code == 200
    return before, after


def test_evidence_page_query_count_is_constant_in_sentences(client, lead, build, django_assert_max_num_queries):
    client.force_login(lead)
    url = reverse("reliability:outlet-evidence", args=["grow.example"])
    before, after = _queries_at_two_sizes(
        client, build, django_assert_max_num_queries, lambda *_: f"{url}?indicator=sourcing_rate&part=n", 12
    )
    assert after.context["page"].paginator.count > before.context["page"].paginator.count


def test_source_page_query_count_is_constant_in_attributions(client, lead, build, django_assert_max_num_queries):
    client.force_login(lead)
    before, after = _queries_at_two_sizes(
        client,
        build,
        django_assert_max_num_queries,
        lambda outlet, source: reverse("reliability:source-detail", args=[source.pk]),
        12,
    )
    assert after.context["page"].paginator.count > before.context["page"].paginator.count


def test_publish_review_query_count_is_constant_in_changes(client, lead, build, django_assert_max_num_queries):
    client.force_login(lead)

    def url_of(*_):
        newest = ScoreRun.objects.order_by("-computed_at", "-pk").first()
        return f"{reverse('reliability:publish')}?run={newest.pk}"

    before, after = _queries_at_two_sizes(client, build, django_assert_max_num_queries, url_of, 14)
    assert after.context["changes"].added > before.context["changes"].added


def test_an_outlet_missing_from_the_latest_run_says_so(client, lead, build):
    """An outlet added (or brought back into service) after the latest run is not in it: its page
    said "No score for this outlet yet", though a published run may score it."""
    scored_outlet(build, "scored.example")
    run = recompute_outlet_scores()
    build.outlet("later.example")
    client.force_login(lead)
    html = client.get(reverse("reliability:outlet-detail", args=["later.example"])).content.decode()
    assert f"Not in run {run.pk}" in html
    assert "No score for this outlet yet" not in html
    Outlet.objects.filter(domain="later.example").update(retired=True)
    html = client.get(reverse("reliability:outlet-detail", args=["later.example"])).content.decode()
    assert "the outlet is retired" in html
