"""Site-wide middleware."""

from django.http import HttpResponse
from django.middleware import common

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


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that a write (POST, PUT, PATCH, DELETE) to an API address without its
    trailing slash is not redirected: a client following the 301 repeats it as a GET (a POST of an
    article got the article list, 200, and stored nothing) and with DEBUG Django raises. It gets
    the JSON 404 naming the address instead (config.views.page_not_found)."""

    def should_redirect_with_slash(self, request):
        if request.path_info.startswith("/api/") and request.method not in ("GET", "HEAD"):
            return False
        return super().should_redirect_with_slash(request)
