"""API error shapes, site-wide: every client mistake is a 4xx whose body names the field and the reason."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


def exception_handler(exc, context):
    """DRF's handler, plus: a body over DATA_UPLOAD_MAX_MEMORY_SIZE → 413; Django ValidationError
    → 400 keyed by field; a row still in use → 409; a database constraint hit by client input
    → 409 (never a 500)."""
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
