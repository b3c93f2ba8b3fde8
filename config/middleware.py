"""Site-wide middleware."""

from django.http import HttpResponse

from .exceptions import BUSY_MESSAGE, RETRY_AFTER_SECONDS, is_database_busy


def database_busy_response() -> HttpResponse:
    response = HttpResponse(BUSY_MESSAGE + "\n", status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """A page whose write waited DB_LOCK_TIMEOUT for a lock another connection held answers 503
    with Retry-After, not 500 (the API does the same in config/exceptions.py; errors raised after
    the view, e.g. saving the session, are caught by config.views.server_error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_busy(exception):
            return database_busy_response()
        return None
