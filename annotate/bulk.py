"""Inserting many ready rows at once: COPY on PostgreSQL, executemany in chunks elsewhere.

For the largest writes, where model instances and `bulk_create`'s statements cost more than the
database does: sentences at ingest, claim bands, a score run's snapshots and outlet parts, and the
benchmarks' generated corpora. Rows carry database values (`Field.get_db_prep_save` where a
field converts), in `columns` order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

CHUNK = 20_000  # rows per executemany (SQLite): bounded memory for streamed rows


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` into `table` (names unquoted: quoted here)."""
    quote = connection.ops.quote_name
    target = f"{quote(table)} ({', '.join(quote(column) for column in columns)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(columns))})"
        chunk: list[Sequence] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
