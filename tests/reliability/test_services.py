"""Recompute service and the `scores` command: stored runs, history, empty data."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reliability.models import ScoreRun, ScoreSnapshot
from reliability.services import publish_run, recompute_outlet_scores
from reliability.tasks import request_recompute

from .conftest import scored_outlet


def run_scores(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("scores", *args, stdout=out)
    return out.getvalue()


def test_recompute_stores_a_run_and_a_snapshot_per_outlet(build):
    scored = scored_outlet(build, "scored.example")
    thin = build.outlet("thin.example")
    run = recompute_outlet_scores()
    snapshots = {s.outlet_id: s for s in run.snapshots.all()}
    assert set(snapshots) == {scored.pk, thin.pk}
    assert snapshots[thin.pk].insufficient_evidence
    assert snapshots[thin.pk].score is None
    good = snapshots[scored.pk]
    assert not good.insufficient_evidence
    assert good.article_count == 5
    assert good.sentence_count == 75
    # Every article is example 1 and the only outlet, so smoothing toward the global rate changes nothing.
    assert good.score == pytest.approx(65.0)
    assert good.figures["indicators"]["sourcing_rate"]["x"] == 30
    assert good.alpha == pytest.approx(1.0)
    assert good.figures["counts"]["sides"] == {f"{build.topic.name}: left": 15}
    assert good.figures["top_sources"][0]["attributions"] == 3


def test_compute_runs_a_constant_number_of_queries(build, django_assert_max_num_queries):
    for i in range(3):
        scored_outlet(build, f"o{i}.example")
    # 20 on PostgreSQL, 22 on SQLite: PostgreSQL sets 2 settings and writes the record (INSERT, ANALYZE,
    # DROP of the decided rows) from another thread, outside this count (`queries.write_decided_record`).
    with django_assert_max_num_queries(27) as few:
        recompute_outlet_scores()
    for i in range(3, 6):
        scored_outlet(build, f"o{i}.example")
    with django_assert_max_num_queries(len(few.captured_queries)):
        recompute_outlet_scores()


def test_scores_command_json_shape_and_history(build):
    scored_outlet(build, "scored.example")
    first = json.loads(run_scores("--recompute", "--format", "json"))
    second = json.loads(run_scores("--recompute", "--format", "json"))
    assert set(first) >= {"run", "method_version", "computed_at", "published", "overall_alpha", "outlets"}
    (outlet,) = first["outlets"]
    assert set(outlet) >= {
        "outlet",
        "score",
        "score_interval",
        "insufficient_evidence",
        "article_count",
        "sentence_count",
        "alpha",
        "indicators",
        "method_version",
    }
    assert outlet["outlet"] == "scored.example"
    assert outlet["article_count"] == 5
    assert second["run"] != first["run"]
    assert ScoreRun.objects.count() == 2
    assert ScoreSnapshot.objects.count() == 2


def test_scores_command_on_empty_data_says_insufficient_evidence(build):
    build.outlet("empty.example")
    out = run_scores("--recompute")
    assert "empty.example" in out
    assert "insufficient" in out
    assert "Every outlet has insufficient evidence" in out


def test_scores_command_without_a_run_explains(db):
    with pytest.raises(CommandError, match="--recompute"):
        run_scores()


def test_scores_publish_flag_publishes_latest(build):
    build.outlet("a.example")
    run_scores("--recompute", "--publish")
    assert ScoreRun.objects.get().published


def test_publish_needs_a_lead(build, reviewer, lead):
    run = recompute_outlet_scores()
    with pytest.raises(Exception, match="Only leads"):
        publish_run(run=run, by=reviewer)
    assert publish_run(run=run, by=lead).published


def test_request_recompute_debounces(build, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SCORES_RECOMPUTE_DELAY = 60
    assert request_recompute() is True  # immediate backend in tests: runs at once
    assert request_recompute() is False  # a second change within the delay is folded in
    assert ScoreRun.objects.count() == 1
    settings.SCORES_AUTO_RECOMPUTE = False
    cache.clear()
    assert request_recompute() is False


def test_retired_articles_and_outlets_leave_new_runs_and_keep_their_marks(build):
    """Issue 11: an article or outlet with marks is retired, not deleted; new runs leave it out."""
    from annotate.models import Annotation, Article, Outlet
    from annotate.services import set_retired

    scored = scored_outlet(build, "scored.example")
    gone = scored_outlet(build, "gone.example")
    marks = Annotation.objects.count()
    first = recompute_outlet_scores().snapshots.get(outlet=scored)
    assert first.article_count == 5
    one = Article.objects.filter(outlet=scored).order_by("pk").first()
    set_retired(Article.objects.filter(pk=one.pk))
    set_retired(Outlet.objects.filter(pk=gone.pk))
    run = recompute_outlet_scores()
    assert {s.outlet_id for s in run.snapshots.all()} == {scored.pk}
    assert run.snapshots.get(outlet=scored).article_count == 4
    assert Annotation.objects.count() == marks
