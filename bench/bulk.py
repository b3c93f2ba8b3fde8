"""Bulk loading for the benchmarks' generated corpora: COPY on PostgreSQL, executemany in chunks
of 20,000 rows elsewhere (bench/claims.py and bench/scores.py)."""

from __future__ import annotations


def load(cursor, table: str, columns: str, rows) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * (columns.count(",") + 1))
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 20000:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", chunk)
            chunk = []
    if chunk:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", chunk)
