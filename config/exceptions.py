"""API error shapes, site-wide: every client mistake is a 4xx whose body names the field and the
reason; a write that waited too long for a database lock is a 503 with Retry-After (HTML pages get
the same from config/middleware.py)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

# PostgreSQL: lock_timeout hit, deadlock, serialization failure: all transient, worth a retry.
TRANSIENT_SQLSTATES = {"55P03", "40P01", "40001"}
RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = f"The database is busy (another write holds a lock); try again in {RETRY_AFTER_SECONDS} seconds."


def is_database_busy(exc: BaseException | None) -> bool:
    """True for a write that gave up waiting on a lock: SQLite's "database is locked" after its busy
    timeout, PostgreSQL's lock_timeout (and deadlock/serialization failures). DB_LOCK_TIMEOUT bounds
    the wait on both."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.__cause__, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


def exception_handler(exc, context):
    """DRF's handler, plus: a body over DATA_UPLOAD_MAX_MEMORY_SIZE → 413; Django ValidationError
    → 400 keyed by field; a row still in use → 409; a database constraint hit by client input
    → 409 (never a 500); a database lock not granted in time → 503 with Retry-After."""
    if is_database_busy(exc):
        set_rollback()
        return Response(
            {"detail": BUSY_MESSAGE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(f"Request body is over the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}-byte limit.")
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ProtectedError | RestrictedError):
        rows = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or []
        kinds = sorted({str(row._meta.verbose_name_plural) for row in rows})
        return Response(
            {"detail": f"still in use by {len(rows)} other record(s) ({', '.join(kinds)}), which are kept"},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, IntegrityError):
        return Response(
            {"detail": "conflicts with stored data (a duplicate or a missing related record)"},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
