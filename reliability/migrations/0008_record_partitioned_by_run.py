"""PostgreSQL: the run record (`RunSentence`) becomes a table partitioned by run, one partition per
run (`reliability_runsentence_<run id>`, `reliability.queries.record_partition`).

A full recompute then fills its run's partition on its own, without the other runs' index in the
way, and builds its indexes once it is full (several times cheaper than inserting 600,000 rows
into the primary key of a record holding millions); a prune empties a partition at once
(TRUNCATE) and drops it once committed, so the record no longer bloats. Existing rows move into
their runs' partitions. Nothing on SQLite (the table stays as it is)."""

from django.db import migrations

TABLE = "reliability_runsentence"
OLD = "reliability_runsentence_unpartitioned"
PRIMARY_KEY = f"ALTER TABLE {{table}} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (run_id, outlet_id, sentence_id)"
SOURCE_INDEX = f"CREATE INDEX runsentence_source ON {{table}} (source_id, run_id) WHERE source_id IS NOT NULL"


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    run(f"ALTER INDEX {TABLE}_pkey RENAME TO {OLD}_pkey")
    run("ALTER INDEX runsentence_source RENAME TO runsentence_source_unpartitioned")
    run(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (run_id)")
    run(PRIMARY_KEY.format(table=TABLE))
    run(SOURCE_INDEX.format(table=TABLE))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT run_id FROM {OLD} ORDER BY run_id")
        run_ids = [run_id for (run_id,) in cursor.fetchall()]
    for run_id in run_ids:
        run(f"CREATE TABLE {TABLE}_{int(run_id)} PARTITION OF {TABLE} FOR VALUES IN ({int(run_id)})")
    run(f"INSERT INTO {TABLE} SELECT * FROM {OLD} ORDER BY run_id, outlet_id, sentence_id")
    run(f"DROP TABLE {OLD}")
    for run_id in run_ids:
        run(f"ANALYZE {TABLE}_{int(run_id)}")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"CREATE TABLE {OLD} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    run(f"INSERT INTO {OLD} SELECT * FROM {TABLE} ORDER BY run_id, outlet_id, sentence_id")
    run(f"DROP TABLE {TABLE}")  # and every partition with it
    run(f"ALTER TABLE {OLD} RENAME TO {TABLE}")
    run(PRIMARY_KEY.format(table=TABLE))
    run(SOURCE_INDEX.format(table=TABLE))
    run(f"ANALYZE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("reliability", "0007_snapshot_figures_lz4"),
    ]

    operations = [migrations.RunPython(partition, unpartition)]
