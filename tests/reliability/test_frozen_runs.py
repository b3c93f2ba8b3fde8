"""Issue 11, finding 3: published means frozen (docs/scoring.md section 1).

A score run records the gold label of every sentence it used; its evidence and source pages read
that record, so a published figure and the sentences behind it agree for ever. Publishing shows
what changed and publishes exactly the reviewed run; nothing a published run uses can be deleted.
"""

import random
import threading
import time
from collections import Counter, defaultdict

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from annotate.codebook import Label, SourceKind
from annotate.gold import resolve_gold_label, resolve_gold_source
from annotate.models import Adjudication, Annotation, Assignment, Origin, Outlet, Sentence, Source
from reliability import queries
from reliability.models import RunSentence, ScoreRun
from reliability.services import KEEP_UNPUBLISHED_RECORDS, publish_run, recompute_outlet_scores

from .conftest import example_one, scored_outlet

pytestmark = pytest.mark.django_db
LABELS = list(Label.values)


def python_record() -> dict[int, tuple]:
    """The reference: every counting mark loaded and decided by annotate.gold, sentence by sentence."""
    submitted = set(Assignment.objects.filter(submitted_at__isnull=False).values_list("article_id", "reviewer_id"))
    marks = defaultdict(list)
    for mark in Annotation.objects.select_related("sentence"):
        if (
            mark.origin in (Origin.LABEL_STUDIO, Origin.IMPORT)
            or (mark.sentence.article_id, mark.reviewer_id) in submitted
        ):
            marks[mark.sentence_id].append(mark)
    adjudications = {a.sentence_id: a for a in Adjudication.objects.all()}
    record = {}
    for sentence in Sentence.objects.filter(reviewable=True):
        sentence_marks, adjudication = marks.get(sentence.pk, []), adjudications.get(sentence.pk)
        if not sentence_marks and adjudication is None:
            continue
        gold = resolve_gold_label([m.label for m in sentence_marks], adjudication.label if adjudication else None)
        source = None
        if gold.label == Label.ATTRIBUTION:
            source = resolve_gold_source(
                [m.source_id for m in sentence_marks if m.label == Label.ATTRIBUTION],
                adjudication.source_id if adjudication else None,
            ).source_id
        pattern = tuple(sum(m.label == label for m in sentence_marks) for label in LABELS)
        record[sentence.pk] = (gold.label, gold.label_source, source, pattern)
    return record


def test_the_record_decides_every_gold_label_as_the_rules_do(build, lead):
    rng = random.Random(17)
    sources = [build.source(f"S{i}", kind) for i, kind in enumerate(SourceKind.values)]
    reviewers = build.reviewers(4)
    for domain in ("a.example", "b.example"):
        outlet = build.outlet(domain)
        for _ in range(4):
            article = build.article(outlet, 10)
            states = {user.pk: rng.choice(["submitted", "submitted", "open", "import"]) for user in reviewers}
            for user in reviewers:
                if states[user.pk] != "import":
                    done = timezone.now() if states[user.pk] == "submitted" else None
                    Assignment.objects.create(article=article, reviewer=user, submitted_at=done)
            for sentence in article.sentences.all():
                for user in rng.sample(reviewers, rng.choice([0, 1, 2, 3, 4])):
                    label = rng.choice(LABELS)
                    Annotation.objects.create(
                        sentence=sentence,
                        reviewer=user,
                        label=label,
                        source=rng.choice(sources[:3]) if label == Label.ATTRIBUTION else None,
                        origin=Origin.IMPORT if states[user.pk] == "import" else Origin.WEB,
                    )
                if rng.random() < 0.1:
                    label = rng.choice(LABELS)
                    build.adjudicate(sentence, label, lead, rng.choice(sources) if label == Label.ATTRIBUTION else None)
    run = ScoreRun.objects.create(method_version="test")
    written = queries.record_run_sentences(run.pk)
    rows = {
        row.sentence_id: (
            row.label,
            row.label_source,
            row.source_id,
            (row.claim_marks, row.attribution_marks, row.analysis_marks, row.other_marks),
        )
        for row in run.sentences.all()
    }
    expected = python_record()
    assert written == len(rows) == len(expected) > 40
    assert rows == expected
    assert {row[1] for row in rows.values()} == {"adjudicated", "unanimous", "majority", "disputed"}
    kinds = dict(Source.objects.values_list("pk", "kind"))
    recorded_kinds = dict(run.sentences.filter(source__isnull=False).values_list("sentence_id", "source_kind"))
    assert recorded_kinds == {sentence: kinds[row[2]] for sentence, row in rows.items() if row[2] is not None}

    # A full recompute writes the same record and counts the reviewer pairs from the same grouping
    # (two marks: from the grouped sentence; three or four: the marks joined with themselves), and
    # reads its roll-ups and claims record from the decided rows before the record is written.
    shared = ScoreRun.objects.create(method_version="test")
    pairs = queries.decide_run_sentences()
    decided_totals = queries.record_totals(shared.pk, decided=True)
    decided_patterns = queries.agreement_patterns(shared.pk, per_article=True, decided=True)
    shared_written = queries.write_decided_record(shared.pk)()
    assert decided_totals == queries.record_totals(run.pk)
    recorded_patterns = queries.agreement_patterns(run.pk, per_article=True)
    assert decided_patterns.overall == recorded_patterns.overall
    assert decided_patterns.by_outlet == recorded_patterns.by_outlet
    assert sorted(map(tuple, decided_patterns.by_article.tolist())) == sorted(
        map(tuple, recorded_patterns.by_article.tolist())
    )
    columns = ("sentence_id", "article_id", "outlet_id", "label", "label_source", "source_id", "source_kind")
    columns += ("claim_marks", "attribution_marks", "analysis_marks", "other_marks")
    assert shared_written == written
    assert set(shared.sentences.values_list(*columns)) == set(run.sentences.values_list(*columns))
    expected_pairs: dict = defaultdict(Counter)
    by_sentence = defaultdict(list)
    for sentence_id, outlet_id, reviewer_id, label in queries.counting_marks().values_list(
        "sentence_id", "sentence__article__outlet_id", "reviewer_id", "label"
    ):
        by_sentence[sentence_id].append((outlet_id, reviewer_id, label))
    for marks in by_sentence.values():
        for outlet_id, reviewer_a, label_a in marks:
            for _, reviewer_b, label_b in marks:
                if reviewer_a < reviewer_b:
                    pattern = tuple(int(label_a == label) + int(label_b == label) for label in LABELS)
                    expected_pairs[outlet_id, reviewer_a, reviewer_b][pattern] += 1
    assert pairs == queries.reviewer_pair_patterns() == dict(expected_pairs)
    assert {len(marks) for marks in by_sentence.values()} >= {2, 3, 4}
    table = queries.DECIDED_TABLE
    assert table not in connection.introspection.table_names()  # the temporary table is gone


def test_a_failed_record_write_fails_the_recompute_and_leaves_nothing(build, monkeypatch):
    """The record is written after the figures are composed (on PostgreSQL from another thread):
    its failure is the recompute's, whose transaction then leaves no run, record or snapshot."""
    scored_outlet(build, "scored.example")
    monkeypatch.setattr(
        queries,
        "_insert_record_sql",
        lambda decided, target, ordered=True: f"INSERT INTO no_such_table SELECT %s FROM {decided}",
    )
    with pytest.raises(DatabaseError, match="no_such_table"):
        recompute_outlet_scores()
    assert not ScoreRun.objects.exists()
    assert not RunSentence.objects.exists()
    assert queries.DECIDED_TABLE not in connection.introspection.table_names()


def test_a_failure_while_the_record_is_written_fails_the_recompute_and_leaves_nothing(build, monkeypatch):
    """The figures are computed while the record is written (on PostgreSQL from another thread):
    an error there waits for the write, then the transaction leaves no run, record, claims or
    snapshot."""
    from reliability import services
    from reliability.models import RunClaim, ScoreSnapshot

    scored_outlet(build, "scored.example")
    waited = []
    write = queries.write_decided_record

    def watched_write(run_id):
        wait = write(run_id)

        def watched_wait():
            waited.append(wait())
            return waited[-1]

        return watched_wait

    def failing_compose(parts, context):
        raise RuntimeError("compose failed")

    monkeypatch.setattr(queries, "write_decided_record", watched_write)
    monkeypatch.setattr(services, "_compose", failing_compose)
    with pytest.raises(RuntimeError, match="compose failed"):
        recompute_outlet_scores()
    assert waited == [80]  # the write was done before the error left the transaction
    assert not ScoreRun.objects.exists()
    assert not RunSentence.objects.exists()
    assert not RunClaim.objects.exists()
    assert not ScoreSnapshot.objects.exists()
    assert queries.DECIDED_TABLE not in connection.introspection.table_names()


@pytest.fixture
def published(build, lead):
    """A published run over a scored outlet (5 x worked example 1); then a sixth article, marked
    and submitted, changes the current gold labels (6 more analysis sentences)."""
    outlet = scored_outlet(build, "scored.example")
    run = publish_run(run=recompute_outlet_scores(), by=lead)
    article = build.article(outlet, 6)
    for sentence in article.sentences.all():
        build.marks(sentence, [Label.ANALYSIS, Label.ANALYSIS])
    return run


def test_a_published_figure_and_its_evidence_agree_after_marks_change(client, published):
    figure = published.snapshots.get().figures["indicators"]["analysis_share"]
    assert (figure["x"], figure["n"]) == (25, 75)
    url = reverse("reliability:outlet-evidence", args=["scored.example"])
    for part in ("x", "n"):
        response = client.get(url, {"indicator": "analysis_share", "part": part})
        assert response.context["run"] == published
        assert response.context["page"].paginator.count == figure[part]
    newer = recompute_outlet_scores()  # a lead's draft with the new article: its own evidence
    newer_figure = newer.snapshots.get().figures["indicators"]["analysis_share"]
    assert (newer_figure["x"], newer_figure["n"]) == (31, 81)
    assert client.get(url, {"indicator": "analysis_share", "part": "x"}).context["page"].paginator.count == 25


def test_the_source_page_lists_the_sentences_behind_the_most_cited_sources(client, published):
    top = published.snapshots.get().figures["top_sources"]
    for entry in top:
        response = client.get(reverse("reliability:source-detail", args=[entry["id"]]))
        assert response.context["page"].paginator.count == entry["attributions"]
        assert response.context["outlets"] == [{"outlet__domain": "scored.example", "sentences": entry["attributions"]}]


def test_evidence_of_an_older_readable_run_by_its_id_and_no_other(client, reviewer, published):
    draft = recompute_outlet_scores()
    url = reverse("reliability:outlet-evidence", args=["scored.example"])
    query = {"indicator": "analysis_share", "part": "x", "run": draft.pk}
    assert client.get(url, query).status_code == 404  # a draft: leads only
    client.force_login(reviewer)
    assert client.get(url, query).status_code == 404
    query["run"] = published.pk
    assert client.get(url, query).context["page"].paginator.count == 25
    assert client.get(url, {**query, "run": "x"}).status_code == 404


def test_publishing_shows_what_changed_and_publishes_exactly_the_reviewed_run(client, lead, published, build):
    reviewed = recompute_outlet_scores()
    client.force_login(lead)
    page = client.get(reverse("reliability:publish"), {"run": reviewed.pk})
    assert page.status_code == 200
    changes = page.context["changes"]
    assert (changes.added, changes.changed, changes.removed) == (6, 0, 0)
    assert [o["domain"] for o in changes.outlets] == ["scored.example"]
    (outlet,) = changes.outlets
    assert outlet["old"] == pytest.approx(65.0)
    assert outlet["delta"] == pytest.approx(round(outlet["new"], 1) - 65.0)  # as shown: before + change = now
    assert (outlet["old_sentences"], outlet["new_sentences"]) == (75, 81)
    html = page.content.decode()
    assert f"Publish run {reviewed.pk}?" in html
    assert "6 added · 0 changed" in html
    newer = recompute_outlet_scores()  # computed while the lead was reading: not what they reviewed
    response = client.post(reverse("reliability:publish"), {"run": reviewed.pk})
    assert response.status_code == 302
    reviewed.refresh_from_db()
    newer.refresh_from_db()
    assert reviewed.published
    assert reviewed.published_by == lead
    assert not newer.published


def test_a_changed_label_is_listed_with_its_old_value(client, lead, published):
    sentence = Sentence.objects.filter(article__outlet__domain="scored.example").order_by("pk").first()
    Adjudication.objects.create(sentence=sentence, label=Label.OTHER, lead=lead)
    changes = queries.run_changes(recompute_outlet_scores().pk, published.pk)
    assert (changes.added, changes.changed, changes.removed) == (6, 1, 0)
    changed = next(row for row in changes.examples if row.sentence_id == sentence.pk)
    assert (changed.old_label, changed.label, changed.label_source) == (Label.CLAIM, Label.OTHER, "adjudicated")


def test_the_publish_page_numbers_sentences_and_rounds_changes_as_shown(client, lead, published):
    """Sentences are numbered as on every other page (reviewable ones, from 1), not by their
    0-based position; an outlet's change is the difference of the two scores as shown (one
    decimal), so that 81.1 -> 81.7 reads +0.6, not the +0.5 of 81.14 -> 81.69."""
    article = published.sentences.first().article
    sentence = article.sentences.order_by("position").first()
    Adjudication.objects.create(sentence=sentence, label=Label.OTHER, lead=lead)
    run = recompute_outlet_scores()
    client.force_login(lead)
    page = client.get(reverse("reliability:publish"), {"run": run.pk})
    html = page.content.decode()
    assert f"{article.title[:20]}" in html
    assert "#0<" not in html
    assert ", sentence 1</a>" in html
    (outlet,) = page.context["changes"].outlets
    shown = f"{round(outlet['new'], 1) - round(outlet['old'], 1):+.1f}"
    assert f">{shown}</td>" in html


def test_an_older_run_than_the_published_one_is_not_published(lead, build):
    scored_outlet(build, "scored.example")
    older = recompute_outlet_scores()
    publish_run(run=recompute_outlet_scores(), by=lead)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="newer run is already published"):
        publish_run(run=older, by=lead)


def test_nothing_a_published_run_uses_can_be_deleted(published):
    with pytest.raises(ProtectedError):
        published.delete()
    with pytest.raises(ProtectedError):
        ScoreRun.objects.all().delete()
    article = published.sentences.first().article
    with pytest.raises(ProtectedError):
        article.delete()
    empty = Outlet.objects.create(domain="empty.example")
    run = publish_run(run=recompute_outlet_scores(), by=published.published_by)
    with pytest.raises(ProtectedError):
        empty.delete()  # its (insufficient-evidence) snapshot is part of a published run
    assert run.snapshots.filter(outlet=empty).exists()
    assert ScoreRun.objects.filter(published=True).count() == 2
    assert RunSentence.objects.filter(run=published).count() == 80


def test_deleting_an_outlet_or_article_a_run_uses_is_refused_by_the_api(published, lead):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(lead)
    article = published.sentences.first().article
    assert client.delete(f"/api/v1/articles/{article.pk}/").status_code == 409
    empty = Outlet.objects.create(domain="empty.example")
    recompute_outlet_scores()
    assert client.delete(f"/api/v1/outlets/{empty.pk}/").status_code == 409
    assert Outlet.objects.filter(pk=empty.pk).exists()


def committed_recompute(capture):
    """A full recompute and what runs once its transaction commits (the queued prune)."""
    with capture(execute=True):
        return recompute_outlet_scores()


def test_old_unpublished_records_are_pruned_and_can_no_longer_be_published(
    build, lead, django_capture_on_commit_callbacks
):
    scored_outlet(build, "scored.example")
    runs = [committed_recompute(django_capture_on_commit_callbacks) for _ in range(KEEP_UNPUBLISHED_RECORDS + 2)]
    kept = {run.pk for run in ScoreRun.objects.filter(record_kept=True)}
    assert kept == {run.pk for run in runs[-KEEP_UNPUBLISHED_RECORDS:]}
    assert RunSentence.objects.filter(run=runs[0]).count() == 0
    assert ScoreRun.objects.get(pk=runs[0].pk).snapshots.count() == 1  # the figures stay
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="too old"):
        publish_run(run=ScoreRun.objects.get(pk=runs[0].pk), by=lead)
    published = publish_run(run=runs[-1], by=lead)
    for _ in range(KEEP_UNPUBLISHED_RECORDS + 1):
        committed_recompute(django_capture_on_commit_callbacks)
    assert RunSentence.objects.filter(run=published).count() == 80  # published records are kept


def test_the_prune_runs_after_the_recompute_commits_and_keeps_the_rules(
    build, lead, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """A full recompute does not delete old records in its own transaction: it queues the prune
    for after its commit. Until the prune has run, the run that dropped out of the newest three
    keeps its record but is already refused publication; a run published in the meantime keeps
    its record for ever."""
    from django.core.exceptions import ValidationError

    from reliability.tasks import prune_records_task

    scored_outlet(build, "scored.example")
    runs = [committed_recompute(django_capture_on_commit_callbacks) for _ in range(KEEP_UNPUBLISHED_RECORDS)]
    published = publish_run(run=runs[-1], by=lead)  # the newest, published before the next runs
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        newer = [recompute_outlet_scores() for _ in range(KEEP_UNPUBLISHED_RECORDS)]
    assert len(callbacks) == KEEP_UNPUBLISHED_RECORDS  # one queued prune per recompute, nothing else
    assert RunSentence.objects.filter(run=runs[0]).count() == 80  # not pruned in the recompute
    assert ScoreRun.objects.filter(record_kept=False).count() == 0
    for old in runs[:-1]:
        with pytest.raises(ValidationError, match="too old"):
            publish_run(run=old, by=lead)  # already out of the newest three: never publishable again
    assert prune_records_task.call() == KEEP_UNPUBLISHED_RECORDS - 1
    assert set(ScoreRun.objects.filter(record_kept=True).values_list("pk", flat=True)) == {
        published.pk,
        *(run.pk for run in newer),
    }
    assert RunSentence.objects.filter(run=published).count() == 80
    assert RunSentence.objects.filter(run__in=runs[:-1]).count() == 0
    # In its own transaction (a savepoint here): the newest runs, old outlet parts, the stale runs.
    with django_assert_num_queries(5):
        assert prune_records_task.call() == 0


def test_example_article_counts_are_read_from_the_record(build):
    outlet = build.outlet("one.example")
    example_one(build, outlet)
    run = recompute_outlet_scores()
    (rollup,) = queries.article_rollups(run.pk)
    assert (rollup.counts.claims, rollup.counts.attributions, rollup.counts.analysis) == (4, 6, 5)
    assert run.sentence_count == 16


def test_the_admin_offers_no_delete_for_a_published_run(client, published):
    client.force_login(published.published_by)
    assert client.get(reverse("admin:reliability_scorerun_delete", args=[published.pk])).status_code == 403
    snapshot = published.snapshots.first()
    assert client.get(reverse("admin:reliability_scoresnapshot_delete", args=[snapshot.pk])).status_code == 403
    assert "delete_selected" not in client.get(reverse("admin:reliability_scorerun_changelist")).content.decode()
    draft = recompute_outlet_scores()
    assert client.get(reverse("admin:reliability_scorerun_delete", args=[draft.pk])).status_code == 200
    assert (
        client.post(reverse("admin:reliability_scorerun_delete", args=[draft.pk]), {"post": "yes"}).status_code == 302
    )
    assert not ScoreRun.objects.filter(pk=draft.pk).exists()
    assert not RunSentence.objects.filter(run_id=draft.pk).exists()


def test_the_admin_cannot_add_a_run_or_change_one(client, published):
    """A run comes only from a recompute: an empty run added in the admin became the leads'
    latest run (a blank leaderboard) and could be published; its revision, edited, would let a
    publish skip the review of a refreshed run."""
    client.force_login(published.published_by)
    assert client.get(reverse("admin:reliability_scorerun_add")).status_code == 403
    form = {"revision": "7", "snapshots-TOTAL_FORMS": "0", "snapshots-INITIAL_FORMS": "0"}
    assert client.post(reverse("admin:reliability_scorerun_add"), form).status_code == 403
    assert ScoreRun.objects.count() == 1
    draft = recompute_outlet_scores()
    page = client.get(reverse("admin:reliability_scorerun_change", args=[draft.pk]))
    assert page.status_code == 200  # still readable
    assert 'name="revision"' not in page.content.decode()
    client.post(reverse("admin:reliability_scorerun_change", args=[draft.pk]), form)
    draft.refresh_from_db()
    assert draft.revision == 0


def test_the_record_finds_the_majority_source_among_three_or_more_attribution_marks(build, lead):
    """The record reads the majority source from the lowest and highest attribution source of a
    sentence; with three or more attribution marks naming different sources it asks the marks
    again. Every case against the rules (`resolve_gold_source`), in-progress marks left out."""
    a, b, c = (build.source(name) for name in "ABC")
    outlet = build.outlet("sources.example")
    article = build.article(outlet, 7)
    cases = [
        ([a, a, b], a),  # 2 of 3
        ([a, b, c], None),  # no majority
        ([b, a, a, c], None),  # 2 of 4 is no majority
        ([c, a, a, b, a], a),  # 3 of 5
        ([b, b, b], b),  # unanimous
        ([a, b], None),  # two different sources
    ]
    sentences = list(article.sentences.order_by("position"))
    for sentence, (sources, _) in zip(sentences, cases, strict=False):
        build.marks(sentence, [Label.ATTRIBUTION] * len(sources), sources)
    # An in-progress third mark would make a majority; it does not count.
    late = build.reviewers(6)[5]
    Assignment.objects.create(article=article, reviewer=late, submitted_at=None)
    build.marks(sentences[6], [Label.ATTRIBUTION] * 2, [a, b])
    Annotation.objects.create(sentence=sentences[6], reviewer=late, label=Label.ATTRIBUTION, source=a)
    run = ScoreRun.objects.create(method_version="test")
    queries.record_run_sentences(run.pk)
    recorded = dict(run.sentences.values_list("sentence_id", "source_id"))
    expected = [source.pk if source else None for _, source in cases] + [None]
    assert [recorded[sentence.pk] for sentence in sentences] == expected
    assert {sentence: row[2] for sentence, row in python_record().items()} == recorded


def _vacuum_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname IN "
            "('reliability_runclaim', 'reliability_runoutletparts')"
        )
        return dict(cursor.fetchall())


def _tables_named(prefix: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s", [prefix + "%"])
        return {name for (name,) in cursor.fetchall()}


def test_each_run_keeps_its_record_in_a_partition_of_its_own_on_postgresql(build):
    """On PostgreSQL the record is partitioned by run (migration 0008): a full recompute makes its
    run's partition, a refresh adds to it, and every read of the record through the model sees
    exactly that run's rows."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite keeps one table)")
    outlet = scored_outlet(build, "scored.example")
    first, second = recompute_outlet_scores(), recompute_outlet_scores()
    assert set(queries.record_partitions()) == {first.pk, second.pk}
    with connection.cursor() as cursor:
        for run in (first, second):
            cursor.execute(f"SELECT DISTINCT run_id FROM {queries.record_partition(run.pk)}")
            assert cursor.fetchall() == [(run.pk,)]
            cursor.execute(f"SELECT COUNT(*) FROM {queries.record_partition(run.pk)}")
            assert cursor.fetchone() == (run.sentence_count,) == (80,)
    assert RunSentence.objects.filter(run=second).count() == 80
    # A refresh writes into the run's existing partition.
    article = outlet.articles.first()
    sentence = article.sentences.filter(reviewable=True).order_by("position").first()
    removed, _ = RunSentence.objects.filter(run=second, article_id=article.pk).delete()
    assert queries.record_run_sentences(second.pk, [article.pk]) == removed > 0
    assert RunSentence.objects.filter(run=second, sentence=sentence).exists()
    assert RunSentence.objects.filter(run=second).count() == 80


def test_a_recompute_rolled_back_leaves_no_partition_and_a_stale_one_is_replaced(build, monkeypatch):
    """The partition is made in the recompute's transaction: a failure leaves no table behind. A
    table already named after a new run (left by a run deleted with its sequence reset) is
    replaced, never read as that run's record."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite keeps one table)")
    scored_outlet(build, "scored.example")
    before = _tables_named("reliability_runsentence_")

    def failing(rows):
        raise RuntimeError("composing failed")

    monkeypatch.setattr("reliability.services.build_parts", failing)
    with pytest.raises(RuntimeError, match="composing failed"):
        recompute_outlet_scores()
    monkeypatch.undo()
    assert not ScoreRun.objects.exists()
    assert _tables_named("reliability_runsentence_") == before
    run = ScoreRun.objects.create(method_version="test")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {queries.record_partition(run.pk)} (run_id bigint, stale boolean)")
    assert queries.record_run_sentences(run.pk) == 80
    assert RunSentence.objects.filter(run=run).count() == 80
    assert set(queries.record_partitions()) == {run.pk}


@pytest.mark.django_db(transaction=True)
def test_the_prune_empties_then_drops_old_partitions_once_committed_on_postgresql(build):
    """Each recompute writes a whole record and its prune removes an older one: on PostgreSQL the
    prune empties that run's partition (TRUNCATE, in its transaction), and the task then detaches
    and drops it and vacuums the claims record and outlet parts; a deleted run's empty partition
    goes the same way. Committed for real here: a concurrent detach and VACUUM cannot run in a
    transaction."""
    from reliability.tasks import prune_records_task

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite keeps one table)")
    scored_outlet(build, "scored.example")
    runs = [recompute_outlet_scores() for _ in range(KEEP_UNPUBLISHED_RECORDS)]  # nothing to prune yet
    before = _vacuum_counts()
    assert RunSentence.objects.count() == 80 * KEEP_UNPUBLISHED_RECORDS
    assert set(queries.record_partitions()) == {run.pk for run in runs}
    newest = recompute_outlet_scores()  # its commit runs the queued prune (the immediate task backend)
    assert not ScoreRun.objects.get(pk=runs[0].pk).record_kept
    assert set(queries.record_partitions()) == {run.pk for run in runs[1:]} | {newest.pk}
    assert queries.record_partition(runs[0].pk) not in _tables_named("reliability_runsentence_")
    assert RunSentence.objects.count() == 80 * KEEP_UNPUBLISHED_RECORDS
    after = _vacuum_counts()
    for table in ("reliability_runclaim", "reliability_runoutletparts"):
        assert after[table] == before.get(table, 0) + 1, table
    assert prune_records_task.call() == 0  # nothing pruned or dropped: no vacuum
    assert _vacuum_counts() == after
    # An unpublished run deleted: its rows go with it, its empty partition at the next prune.
    ScoreRun.objects.filter(pk=runs[1].pk).delete()
    assert queries.record_partition(runs[1].pk) in _tables_named("reliability_runsentence_")
    assert prune_records_task.call() == 0
    assert set(queries.record_partitions()) == {run.pk for run in runs[2:]} | {newest.pk}
    assert queries.record_partition(runs[1].pk) not in _tables_named("reliability_runsentence_")
    with transaction.atomic():
        assert queries.tidy_records() == 0  # refused in a transaction block: not attempted


def _start_detach(detacher, name: str) -> tuple[threading.Thread, dict[str, BaseException]]:
    """Detach partition `name` CONCURRENTLY on `detacher` (a psycopg connection in autocommit) in a
    thread; returns the thread and where its error lands."""
    import psycopg

    outcome: dict[str, BaseException] = {}

    def detach() -> None:
        try:
            detacher.execute(f"ALTER TABLE reliability_runsentence DETACH PARTITION {name} CONCURRENTLY")
        except psycopg.Error as error:
            outcome["error"] = error

    thread = threading.Thread(target=detach)
    thread.start()
    return thread, outcome


def _wait_for_a_lock(cursor, pid: int) -> bool:
    """Wait (up to 5 s) until backend `pid` waits for a lock; returns whether it does."""
    for _ in range(500):
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        if cursor.fetchone() == ("Lock",):
            return True
        time.sleep(0.01)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_detach_interrupted_half_way_is_finished_by_the_next_tidy_on_postgresql(build):
    """A concurrent detach commits its first half, then waits for the transactions still reading
    the record; cancelled there (a worker stopped), it leaves the partition pending. The next tidy
    finishes it (FINALIZE) and drops the table, so nothing of a pruned run stays behind."""
    import psycopg

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite keeps one table)")
    scored_outlet(build, "scored.example")
    runs = [recompute_outlet_scores() for _ in range(2)]
    ScoreRun.objects.filter(pk=runs[0].pk).update(record_kept=False)  # as a prune leaves it
    name = queries.record_partition(runs[0].pk)
    params = connection.get_connection_params()
    with psycopg.connect(**params) as reader, psycopg.connect(**params, autocommit=True) as detacher:
        reader.execute("SELECT COUNT(*) FROM reliability_runsentence").fetchone()  # its transaction stays open
        thread, outcome = _start_detach(detacher, name)
        with connection.cursor() as cursor:
            assert _wait_for_a_lock(cursor, detacher.info.backend_pid)  # its second half
            cursor.execute("SELECT pg_cancel_backend(%s)", [detacher.info.backend_pid])
        thread.join(10)
        reader.rollback()
    assert isinstance(outcome.get("error"), psycopg.errors.QueryCanceled)
    assert queries._partitions()[runs[0].pk] == (name, True)  # pending: half detached
    assert queries.tidy_records() == 1
    assert set(queries.record_partitions()) == {runs[1].pk}
    assert name not in _tables_named("reliability_runsentence_")
    assert RunSentence.objects.filter(run=runs[1]).count() == 80


@pytest.mark.django_db(transaction=True)
def test_a_full_recompute_and_a_concurrent_detach_never_deadlock_on_postgresql(build):
    """A recompute writes its partition while the worker detaches an old one: the detach, in its
    second half, waits for the recompute's transaction (which has read the record), and the
    recompute's attach does not wait for the detach, so both finish: no deadlock, nothing aborted."""
    import psycopg

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite keeps one table)")
    scored_outlet(build, "scored.example")
    old = recompute_outlet_scores()
    ScoreRun.objects.filter(pk=old.pk).update(record_kept=False)
    run = ScoreRun.objects.create(method_version="test")
    sql, params = queries._decided_sql(None)
    statements = queries._partition_statements(run.pk, f"({sql})", params)
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as detacher:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements[:-2]:  # made and filled, not attached yet
                cursor.execute(*statement)
            thread, outcome = _start_detach(detacher, queries.record_partition(old.pk))
            assert _wait_for_a_lock(cursor, detacher.info.backend_pid)  # for this transaction
            for statement in statements[-2:]:  # attached and analyzed while the detach waits
                cursor.execute(*statement)
        thread.join(10)
    assert not thread.is_alive()
    assert "error" not in outcome
    assert set(queries.record_partitions()) == {run.pk}
    assert RunSentence.objects.filter(run=run).count() == 80
