"""Migration 0008 partitions the run record by run on PostgreSQL: the rows of every run move into
their run's partition and back, unchanged, with the primary key and source index Django's migration
state names."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reliability import queries
from reliability.models import RunSentence
from reliability.services import recompute_outlet_scores

from .conftest import scored_outlet

BEFORE = [("reliability", "0007_snapshot_figures_lz4")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _record() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM reliability_runsentence ORDER BY run_id, outlet_id, sentence_id")
        return cursor.fetchall()


def _shape() -> tuple[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'reliability_runsentence'")
        (kind,) = cursor.fetchone()
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'reliability_runsentence'")
        return kind, {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_the_record_moves_into_partitions_per_run_and_back_unchanged(build):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite keeps one table)")
    scored_outlet(build, "scored.example")
    runs = [recompute_outlet_scores(), recompute_outlet_scores()]
    rows = _record()
    assert len(rows) == 160
    try:
        _migrate(BEFORE)
        assert _shape() == ("r", {"reliability_runsentence_pkey", "runsentence_source"})
        assert queries.record_partitions() == {}
        assert _record() == rows
    finally:
        _migrate(_latest())
    assert _shape() == ("p", {"reliability_runsentence_pkey", "runsentence_source"})
    assert set(queries.record_partitions()) == {run.pk for run in runs}
    assert _record() == rows
    assert RunSentence.objects.filter(run=runs[1]).count() == 80
    # The next full recompute adds its partition beside the moved ones.
    third = recompute_outlet_scores()
    assert set(queries.record_partitions()) >= {runs[1].pk, third.pk}
