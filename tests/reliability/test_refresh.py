"""The automatic recompute after marks change refreshes the newest unpublished run, recomputing only
the outlets the change touches, and ends with exactly what a full recompute gives (issue 17, goal 3);
published runs stay frozen and a publish names the revision it reviewed."""

import dataclasses
import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse

from annotate.codebook import Label, SourceKind
from annotate.models import Annotation, AnnotationRevision, Assignment, AssignmentEvent, Outlet, Sentence, Source
from annotate.services import change_annotation, delete_annotation, reopen_assignment
from claims.models import ArticleLink
from reliability import services
from reliability.models import RunClaim, RunOutletParts, RunSentence, ScoreRun, ScoreSnapshot
from reliability.services import (
    adjudicate_sentence,
    publish_run,
    recompute_outlet_scores,
    refresh_run,
    update_outlet_scores,
)

from .conftest import example_one, scored_outlet
from .test_claims_indicators import corpus  # noqa: F401  (a fixture: claims across two outlets)

pytestmark = pytest.mark.django_db


def state(run: ScoreRun) -> dict:
    """Everything a run stores, without its id and times: figures, snapshots, record, claims record."""
    run.refresh_from_db()
    record = run.sentences.values_list(
        "sentence_id", "article_id", "outlet_id", "label", "label_source", "source_id", "source_kind",
        "claim_marks", "attribution_marks", "analysis_marks", "other_marks",
    )  # fmt: skip
    claims = run.claims.values_list("sentence_id", "article_id", "outlet_id", "group_id", "status", "first")
    snapshots = run.snapshots.values_list(
        "outlet_id", "method_version", "score", "score_low", "score_high", "insufficient_evidence",
        "article_count", "sentence_count", "alpha", "figures",
    )  # fmt: skip
    return {
        "run": (run.method_version, run.method_settings, run.overall_alpha, run.figures, run.sentence_count),
        "record": sorted(record),
        "claims": sorted(claims),
        "snapshots": sorted(snapshots, key=lambda row: row[0]),
    }


def assert_same_as_full(refreshed: ScoreRun) -> ScoreRun:
    full = recompute_outlet_scores()
    assert state(refreshed) == state(full)
    return full


@pytest.fixture
def outlets(build, lead):
    """Three outlets, two of them with enough articles for a score (bootstrap and intervals), a thin
    one and a disputed sentence, all through real marks."""
    scored = [scored_outlet(build, f"o{i}.example", articles=5 if i < 2 else 3) for i in range(3)]
    thin = build.outlet("thin.example")
    (sentence,) = build.article(thin, 1).sentences.all()
    build.marks(sentence, [Label.CLAIM, Label.ANALYSIS])
    return scored


def test_one_changed_mark_refreshes_its_outlet_and_gives_the_full_recompute(outlets, lead):
    run = recompute_outlet_scores()
    parts_before = dict(RunOutletParts.objects.filter(run=run).values_list("outlet_id", "parts"))
    mark = Annotation.objects.filter(sentence__article__outlet=outlets[1], label=Label.CLAIM).first()
    change_annotation(annotation_id=mark.pk, changes={"label": Label.ANALYSIS}, expected_version=None, changed_by=lead)
    refreshed = update_outlet_scores()
    assert refreshed.pk == run.pk
    assert refreshed.revision == 1
    assert ScoreRun.objects.count() == 1
    parts_after = dict(RunOutletParts.objects.filter(run=run).values_list("outlet_id", "parts"))
    changed = {outlet for outlet in parts_before if parts_before[outlet] != parts_after[outlet]}
    assert changed == {outlets[1].pk}  # only the touched outlet's parts were recomputed
    assert_same_as_full(refreshed)


def test_nothing_changed_leaves_the_run_as_it_is(outlets):
    run = recompute_outlet_scores()
    assert update_outlet_scores().pk == run.pk
    run.refresh_from_db()
    assert run.revision == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_refresh_to_the_full_recompute(outlets, lead, build, seed):
    """Rounds of random writes through the real services (relabel, resource, delete, adjudicate,
    reopen); after each, the refreshed run equals a full recompute, record and claims included."""
    rng = random.Random(seed)
    sources = list(Source.objects.order_by("pk"))
    run = recompute_outlet_scores()
    for _ in range(4):
        for _ in range(rng.randint(1, 3)):
            action = rng.choice(["relabel", "relabel", "delete", "adjudicate", "reopen"])
            if action in ("relabel", "delete"):
                mark = rng.choice(list(Annotation.objects.order_by("pk")))
                if action == "delete":
                    delete_annotation(annotation=mark, changed_by=lead)
                    continue
                label = rng.choice(list(Label.values))
                source = rng.choice(sources) if label == Label.ATTRIBUTION else None
                change_annotation(
                    annotation_id=mark.pk,
                    changes={"label": label, "source": source},
                    expected_version=None,
                    changed_by=lead,
                )
            elif action == "adjudicate":
                sentence = rng.choice(list(Sentence.objects.order_by("pk")))
                label = rng.choice(list(Label.values))
                source = rng.choice(sources) if label == Label.ATTRIBUTION else None
                adjudicate_sentence(sentence=sentence, label=label, lead=lead, source=source)
            else:
                submitted = list(Assignment.objects.filter(submitted_at__isnull=False).order_by("pk"))
                if submitted:
                    reopen_assignment(assignment=rng.choice(submitted), by=lead, note="test")
        refreshed = update_outlet_scores()
        assert refreshed.pk == run.pk
        run = assert_same_as_full(refreshed)  # the full run is now the newest: the next refresh's


def test_a_mark_in_one_outlet_moves_the_claims_of_another(corpus, lead):  # noqa: F811
    """Claims cross outlets: relabelling the original's attributions changes the rewrite's claim
    statuses; the refresh rewrites the whole claims record and still equals the full recompute."""
    run = recompute_outlet_scores()
    assert RunClaim.objects.filter(run=run).exists()
    marks = Annotation.objects.filter(sentence__article=corpus["original"], label=Label.ATTRIBUTION)
    for mark in marks:
        change_annotation(
            annotation_id=mark.pk,
            changes={"label": Label.CLAIM, "source": None},
            expected_version=None,
            changed_by=lead,
        )
    refreshed = update_outlet_scores()
    assert refreshed.pk == run.pk
    assert_same_as_full(refreshed)


def test_a_published_run_is_never_refreshed(outlets, lead):
    published = recompute_outlet_scores()
    publish_run(run=published, by=lead)
    frozen = state(published)
    mark = Annotation.objects.filter(sentence__article__outlet=outlets[0]).first()
    change_annotation(annotation_id=mark.pk, changes={"label": Label.OTHER}, expected_version=None, changed_by=lead)
    newer = update_outlet_scores()  # a new run, computed in full
    assert newer.pk != published.pk
    assert state(published) == frozen
    with pytest.raises(ValidationError):
        refresh_run(published, [mark.sentence.article_id])
    assert state(published) == frozen


def test_publishing_a_revision_refreshed_since_it_was_reviewed_is_refused(client, outlets, lead):
    run = recompute_outlet_scores()
    client.force_login(lead)
    page = client.get(reverse("reliability:publish"), {"run": run.pk}).content.decode()
    assert 'name="revision" value="0"' in page
    mark = Annotation.objects.filter(sentence__article__outlet=outlets[0]).first()
    change_annotation(annotation_id=mark.pk, changes={"label": Label.OTHER}, expected_version=None, changed_by=lead)
    assert update_outlet_scores().pk == run.pk
    client.post(reverse("reliability:publish"), {"run": run.pk, "revision": 0})
    run.refresh_from_db()
    assert not run.published  # nothing written
    with pytest.raises(ValidationError, match="refreshed"):
        publish_run(run=run, by=lead, revision=0)
    client.post(reverse("reliability:publish"), {"run": run.pk, "revision": 1})
    run.refresh_from_db()
    assert run.published


def test_a_refresh_runs_a_constant_number_of_queries(outlets, lead, build, django_assert_max_num_queries):
    run = recompute_outlet_scores()

    def change_one():
        mark = Annotation.objects.filter(sentence__article__outlet=outlets[2]).order_by("-pk").first()
        label = Label.ANALYSIS if mark.label != Label.ANALYSIS else Label.CLAIM
        change_annotation(
            annotation_id=mark.pk, changes={"label": label, "source": None}, expected_version=None, changed_by=lead
        )

    change_one()
    with django_assert_max_num_queries(40) as small:
        update_outlet_scores()
    for i in range(3, 8):  # more outlets, articles, sources and marks
        scored_outlet(build, f"o{i}.example", articles=2)
    for _ in range(3):
        example_one(build, outlets[2])
    run = recompute_outlet_scores()
    change_one()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert update_outlet_scores().pk == run.pk


def test_a_registry_edit_waits_for_the_full_recompute(outlets, lead):
    """What a refresh does not see: a registry edit is no mark change. The refreshed run keeps the
    kinds its record had; the next full recompute applies the edit (docs/scoring.md)."""
    run = recompute_outlet_scores()
    source = Source.objects.filter(kind=SourceKind.ANONYMOUS).first()
    Source.objects.filter(pk=source.pk).update(kind=SourceKind.PERSON)
    assert update_outlet_scores().pk == run.pk  # nothing changed that a refresh looks for
    assert RunSentence.objects.filter(run=run, source=source, source_kind=SourceKind.ANONYMOUS).exists()
    full = recompute_outlet_scores()
    assert not RunSentence.objects.filter(run=full, source=source, source_kind=SourceKind.ANONYMOUS).exists()


def test_recompute_now_is_a_full_recompute_that_applies_what_a_refresh_does_not_see(client, outlets, lead):
    """A retired outlet is no mark change: the automatic refresh keeps it in its run. A lead's
    **Recompute now** makes a new run from scratch, without it, as `scores --recompute` does."""
    run = recompute_outlet_scores()
    Outlet.objects.filter(pk=outlets[2].pk).update(retired=True)
    assert update_outlet_scores().pk == run.pk
    assert run.snapshots.filter(outlet=outlets[2]).exists()
    client.force_login(lead)
    response = client.post(reverse("reliability:recompute"))
    assert response.status_code == 302
    newest = ScoreRun.objects.first()
    assert newest.pk != run.pk
    assert not newest.snapshots.filter(outlet=outlets[2]).exists()
    assert not newest.sentences.filter(outlet_id=outlets[2].pk).exists()
    assert state(newest) == state(recompute_outlet_scores())


@pytest.fixture
def made_bases(monkeypatch):
    """The outlets whose base (`services.OutletBase`: every figure the global rates do not move)
    each compose makes, rather than reuses from the run."""
    made: list[set[int]] = []
    compose, make = services._compose, services._outlet_base

    def counting_compose(*args, **kwargs):
        made.append(set())
        return compose(*args, **kwargs)

    def counting_make(outlet_id, *args, **kwargs):
        made[-1].add(outlet_id)
        return make(outlet_id, *args, **kwargs)

    monkeypatch.setattr(services, "_compose", counting_compose)
    monkeypatch.setattr(services, "_outlet_base", counting_make)
    return made


def relabel_one(outlet, lead):
    """One of the outlet's claim marks becomes analysis: its sentence is disputed, the global rates move."""
    mark = Annotation.objects.filter(sentence__article__outlet=outlet, label=Label.CLAIM).order_by("-pk").first()
    label = Label.ANALYSIS
    change_annotation(
        annotation_id=mark.pk, changes={"label": label, "source": None}, expected_version=None, changed_by=lead
    )


def test_a_refresh_makes_only_the_touched_outlets_figures_again(outlets, lead, made_bases):
    """Every other scored outlet keeps its stored base; only what the global rates move is
    rewritten (its score changes: the rates moved), and the run equals a full recompute."""
    run = recompute_outlet_scores()
    assert made_bases[-1] >= {outlet.pk for outlet in outlets}
    before = dict(ScoreSnapshot.objects.filter(run=run).values_list("outlet_id", "figures"))
    relabel_one(outlets[0], lead)
    assert update_outlet_scores().pk == run.pk
    assert outlets[1].pk not in made_bases[-1]
    assert outlets[0].pk in made_bases[-1]
    after = dict(ScoreSnapshot.objects.filter(run=run).values_list("outlet_id", "figures"))
    assert after[outlets[1].pk]["score"] != before[outlets[1].pk]["score"]
    assert after[outlets[1].pk]["articles"] == before[outlets[1].pk]["articles"]
    assert_same_as_full(run)


def test_a_run_without_stored_bases_refreshes_to_the_full_recompute(outlets, lead, made_bases):
    """A run computed before bases were kept: every outlet's base is made again, stored, and reused
    by the next refresh."""
    run = recompute_outlet_scores()
    RunOutletParts.objects.filter(run=run).update(base=None, bootstrap=None)
    relabel_one(outlets[0], lead)
    assert update_outlet_scores().pk == run.pk
    assert made_bases[-1] >= {outlet.pk for outlet in outlets}
    assert not RunOutletParts.objects.filter(run=run, base__isnull=True).exists()
    state_after = state(run)
    relabel_one(outlets[2], lead)
    assert update_outlet_scores().pk == run.pk
    assert outlets[1].pk not in made_bases[-1]
    assert state(run) != state_after
    assert_same_as_full(run)


def test_what_an_untouched_outlet_reads_besides_its_marks_makes_its_base_again(outlets, lead, made_bases):
    """A source renamed in the registry and a standing restatement link: the untouched outlets that
    show them are made again (their stored base's key no longer matches), and the refresh equals
    a full recompute (the source's name in most-cited sources, the article's restatement)."""
    run = recompute_outlet_scores()
    cited = Annotation.objects.filter(sentence__article__outlet=outlets[1], label=Label.ATTRIBUTION).first().source
    Source.objects.filter(pk=cited.pk).update(name="Renamed source")
    article = outlets[0].articles.order_by("pk").first()
    ArticleLink.objects.create(
        article=article, original_domain=outlets[1].domain, kind=ArticleLink.Kind.DECLARED, evidence="test"
    )
    relabel_one(outlets[2], lead)
    assert update_outlet_scores().pk == run.pk
    assert {outlets[0].pk, outlets[1].pk, outlets[2].pk} <= made_bases[-1]
    figures = ScoreSnapshot.objects.get(run=run, outlet=outlets[1]).figures
    assert "Renamed source" in {source["name"] for source in figures["top_sources"]}
    assert_same_as_full(run)


def test_claims_moved_in_another_outlet_make_its_base_again(corpus, lead, made_bases):  # noqa: F811
    """The corpus was marked a day ago (else every article counts as changed, `REFRESH_MARGIN`)."""
    AnnotationRevision.objects.update(changed_at=F("changed_at") - timedelta(days=1))
    AssignmentEvent.objects.update(at=F("at") - timedelta(days=1))
    run = recompute_outlet_scores()
    rewrite_outlet = corpus["rewrite"].outlet_id
    for mark in Annotation.objects.filter(sentence__article=corpus["original"], label=Label.ATTRIBUTION):
        change_annotation(
            annotation_id=mark.pk,
            changes={"label": Label.CLAIM, "source": None},
            expected_version=None,
            changed_by=lead,
        )
    assert update_outlet_scores().pk == run.pk
    assert rewrite_outlet in made_bases[-1]  # its claims' statuses moved
    assert corpus["other"].outlet_id not in made_bases[-1]
    assert_same_as_full(run)


@pytest.mark.parametrize("largest", [0, 2**15 - 1, 2**15, 2**31, 2**40])
def test_a_stored_base_reads_back_its_bootstrap_totals_whatever_their_size(largest):
    import numpy as np

    from reliability.scoring import COUNT_FIELDS, ArticleCounts, MethodSettings, PreparedOutlet

    method = MethodSettings(n_resamples=3)
    totals = np.arange(3 * len(COUNT_FIELDS), dtype=np.int64).reshape(3, len(COUNT_FIELDS))
    totals[2, 5] = largest
    base = services.OutletBase(
        prepared=PreparedOutlet(article_count=7, pooled=ArticleCounts(), k_sides=2, totals=totals, settings=method),
        months=[("2024-12", 7, ArticleCounts(claims=3))],
        key="k",
        article_ids=[1],
        source_ids=[],
        reviewer_ids=[],
    )
    stored = base.bootstrap_bytes()
    again = services.OutletBase.from_json(base.to_json(), memoryview(stored), method)
    assert again.prepared.totals.dtype == np.int64
    assert (again.prepared.totals == totals).all()
    assert again.months == base.months
    assert again.prepared == dataclasses.replace(base.prepared, totals=again.prepared.totals)


def test_snapshot_figures_are_compressed_with_lz4_on_postgresql():
    """A refresh rewrites every snapshot's figures; on a PostgreSQL server with lz4 the column uses
    it (migration 0007). SQLite has no such setting."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        if "lz4" not in cursor.fetchone()[0]:
            pytest.skip("this server has no lz4")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'reliability_scoresnapshot'::regclass AND attname = 'figures'"
        )
        assert cursor.fetchone()[0] == "l"
