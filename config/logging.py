"""Logging pieces named in settings.LOGGING."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A request that ended in a 4xx (a 403 for a reviewer on a lead page, a 404) is the client's
    mistake, logged by Django as one warning line: drop the traceback Django attaches to it.
    Everything else, 5xx above all, passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
