"""`manage.py assign`: overlap, reviewer and article filters, idempotence, clear errors."""

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Assignment
from tests.annotate.test_views import make_article


@pytest.fixture
def articles(db, sample_article):
    return [sample_article, make_article(4, "second"), make_article(4, "third")]


@pytest.fixture
def team(make_user, lead):
    return [make_user(name) for name in ("ann", "bob", "cid")]


def assigned() -> set[tuple[int, str]]:
    return set(Assignment.objects.values_list("article_id", "reviewer__username"))


def test_assigns_every_article_to_two_reviewers_by_default_balancing_the_load(articles, team, capsys):
    call_command("assign")
    rows = assigned()
    assert len(rows) == 6
    assert all(sum(1 for a, _ in rows if a == article.pk) == 2 for article in articles)
    loads = [sum(1 for _, name in rows if name == user.username) for user in team]
    assert sorted(loads) == [2, 2, 2]
    assert "lead" not in {name for _, name in rows}
    assert "6 new assignment(s) for 3 article(s), 3 reviewer(s), overlap 2." in capsys.readouterr().out


def test_running_again_adds_nothing(articles, team):
    call_command("assign")
    call_command("assign")
    assert Assignment.objects.count() == 6


def test_reviewers_overlap_outlet_and_article_filters(articles, team):
    call_command(
        "assign",
        "--overlap",
        "1",
        "--reviewers",
        "ann,bob",
        "--outlet",
        "example.org",
        "--article",
        str(articles[1].pk),
    )
    assert assigned() == {(articles[1].pk, "ann")}


def test_unassigned_only_touches_articles_without_reviewers(articles, team):
    call_command("assign", "--overlap", "1", "--reviewers", "ann", "--article", str(articles[0].pk))
    call_command("assign", "--overlap", "2", "--reviewers", "bob,cid", "--unassigned")
    rows = assigned()
    assert {(a, n) for a, n in rows if a == articles[0].pk} == {(articles[0].pk, "ann")}
    assert {n for a, n in rows if a == articles[2].pk} == {"bob", "cid"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--overlap", "3", "--reviewers", "ann,bob"], "needs at least 3 reviewers"),
        (["--reviewers", "ann,nobody"], "--reviewers"),
        (["--outlet", "unknown.example"], "--outlet"),
        (["--overlap", "0"], "--overlap"),
        (["--article", "999999"], "--article"),
    ],
)
def test_bad_options_fail_clearly_and_write_nothing(articles, team, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("assign", *options)
    assert not Assignment.objects.exists()
