"""Queries built and compiled to SQL once per shape, then run with new values (issue 17).

Building and compiling a Django query costs far more than running it: the mark write's locking read
took 0.8 ms to build and compile against 0.03 ms to execute, in a write of about 3 ms in-process.
`fetch_one(key, build, *values)` calls `build(*placeholders)` (a QuerySet, e.g. a `values_list`)
the first time it meets `key` on a database, keeps Django's SQL for it, and on every call runs that
same SQL with the placeholders' parameters replaced by `values` (`fetch_all`: every row, with
Django's converters applied; `statement`: the SQL and parameters, to run as part of another).
A placeholder is an integer, or a string where the first call's value is a string. The statement the database sees is
exactly the one the QuerySet would send; only the Python work of producing it is skipped.

`key` must name everything the QuerySet's shape depends on besides `values` (which expressions,
which filters). The values must go into the query as plain parameters: each shape is compiled twice
with different placeholders, and a shape whose SQL or other parameters differ between the two (a
value folded into the SQL text or transformed on the way) is refused with an error, never cached.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet

T = TypeVar("T")

# Integers no id or offset ever takes, so that a placeholder is recognised among the parameters.
_FIRST = (-(2**62), -(2**62) - 1000)
_MAX_VALUES = 16

# (alias, key) -> (sql, per parameter: the index of the value it takes, or None and the constant)
_compiled: dict[tuple[str, Any], tuple[str, tuple[tuple[int | None, Any], ...]]] = {}
# (alias, key) -> {column: (converters, expression)} as Django's compiler applies them (`fetch_all`)
_converters: dict[tuple[str, Any], dict] = {}


class ShapeError(ValueError):
    """A query whose values do not reach the SQL as plain parameters (it cannot be reused)."""


def _placeholders(first: int, values: Sequence[Any]) -> list[int | str]:
    return [
        f"\x1fcompiled:{first - index}" if isinstance(value, str) else first - index
        for index, value in enumerate(values)
    ]


def _sql(build: Callable[..., QuerySet], placeholders: Sequence[Any], using: str):
    compiler = build(*placeholders).query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    return sql, tuple(params), compiler


def _compile(key: Any, build: Callable[..., QuerySet], values: Sequence[Any], using: str):
    if len(values) > _MAX_VALUES:
        raise ShapeError(f"at most {_MAX_VALUES} values")
    first, second = (_placeholders(start, values) for start in _FIRST)
    sql, params, compiler = _sql(build, first, using)
    sql_again, params_again, _ = _sql(build, second, using)
    if sql != sql_again or len(params) != len(params_again):
        raise ShapeError(f"query {key!r}: the SQL depends on the values")
    slots: list[tuple[int | None, Any]] = []
    for param, again in zip(params, params_again, strict=True):
        if param in first and again in second and first.index(param) == second.index(again):
            slots.append((first.index(param), None))
        elif param == again and param not in first:
            slots.append((None, param))
        else:
            raise ShapeError(f"query {key!r}: a value does not reach the SQL as a plain parameter")
    if compiler.select:  # (what Django converts in each column of the rows: dates on SQLite, say)
        _converters[(using, key)] = compiler.get_converters([column[0] for column in compiler.select])
    return sql, tuple(slots)


def known(key: Any, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether `key` is compiled already on this database."""
    return (using, key) in _compiled


def statement(
    key: Any, build: Callable[..., QuerySet], *values: Any, using: str = DEFAULT_DB_ALIAS
) -> tuple[str, list]:
    """(sql, params) of `build(*values)`, compiled once per (database, key); see the module docstring."""
    entry = _compiled.get((using, key))
    if entry is None:
        entry = _compiled[(using, key)] = _compile(key, build, values, using)
    sql, slots = entry
    return sql, [constant if index is None else values[index] for index, constant in slots]


def fetch_one(key: Any, build: Callable[..., QuerySet], *values: Any, using: str = DEFAULT_DB_ALIAS) -> tuple | None:
    """The first row of `build(*values)` (a tuple of the database's raw values, without Django's
    converters: the caller converts), or None; see the module docstring."""
    sql, params = statement(key, build, *values, using=using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(key: Any, build: Callable[..., QuerySet], *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[list]:
    """Every row of `build(*values)`, each a list of values converted as Django converts them
    (without the model instances: the caller makes those); see the module docstring."""
    sql, params = statement(key, build, *values, using=using)
    connection = connections[using]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    for position, (converters, expression) in _converters.get((using, key), {}).items():
        for row in rows:
            for converter in converters:
                row[position] = converter(row[position], expression, connection)
    return rows


def read_checking_connection(read: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
    """`read()`, a read-only query that may run twice, as the request's connection health check.

    Django checks a reused connection with `SELECT 1` before a request's first query
    (CONN_HEALTH_CHECKS): on PostgreSQL one round trip of the three a token-authenticated mark write
    makes. Here the request's first read is that check: if it fails and the connection then proves
    unusable (a restarted database, a killed backend), the connection is closed and the read runs
    once more on a new one, so a dead connection is replaced before it fails the request, as with
    `SELECT 1`. A failure on a usable connection is raised as it is. When the connection is new or
    already checked in this request, or inside a transaction (where Django's check runs as
    before), the read just runs."""
    connection: Any = connections[using]  # (health_check_*: Django's, not in the stubs)
    if (
        connection.connection is None
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return read()
    connection.health_check_done = True  # (so that the read's cursor sends no SELECT 1 first)
    try:
        return read()
    except Error:
        if connection.is_usable():
            raise
    connection.close()
    return read()


def prepared_cursor(connection, *, binary: bool = False):
    """A cursor whose statements PostgreSQL plans once per connection: Django's cursor (query
    logging, errors as Django's) over psycopg's server-side binding cursor, which prepares a
    statement once it has run it `prepare_threshold` (5) times on the connection. Django's own
    cursors bind on the client and never prepare (Django turns psycopg's preparing off, for
    connection poolers in transaction mode: DB_PREPARED_STATEMENTS=false does so here too).
    Planning was 0.65 ms of the mark write's 0.9 ms in PostgreSQL. Elsewhere: `connection.cursor()`.

    `binary`: results come in PostgreSQL's binary format (the same Python values, parsed with less
    work: the export reads its rows so). Only on the server-side binding cursor; Django's own
    cursor reads text."""
    if connection.vendor != "postgresql" or not getattr(settings, "DB_PREPARED_STATEMENTS", True):
        return connection.cursor()
    classes = _postgresql_cursors()
    if classes is None:
        return connection.cursor()
    server_binding_cursor, logged_cursor, binary_format = classes
    connection.close_if_health_check_failed()  # what connection.cursor() does first
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        connection.connection.prepare_threshold = PREPARE_THRESHOLD
    with connection.wrap_database_errors:
        raw = server_binding_cursor(connection.connection)
        if binary:
            raw.format = binary_format
        connection.validate_thread_sharing()
        return logged_cursor(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


PREPARE_THRESHOLD = 5  # psycopg's default


@functools.cache
def _postgresql_cursors():
    """(psycopg's server-side binding cursor, Django's logging cursor for it, psycopg's binary
    format), made once (a class made on every call was two per mark write, and garbage for the
    collector); None without psycopg 3."""
    try:
        from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]  # psycopg 3; not in the stubs
            CursorDebugWrapper,
            ServerBindingCursor,
        )
        from psycopg.pq import Format
    except ImportError:
        return None

    class LoggedCursor(CursorDebugWrapper):
        """Logs each statement with its values composed on the client (as Django's cursors log
        them): psycopg keeps no text of a prepared execution for Django to read back."""

        def execute(self, sql, params=None):
            with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql, params):
                return CursorWrapper.execute(self, sql, params)  # (not the debug wrapper's: logged here)

    return ServerBindingCursor, LoggedCursor, Format.BINARY
