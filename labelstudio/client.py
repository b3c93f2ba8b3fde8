"""Connecting to Label Studio through label-studio-sdk, and turning its errors into one-line messages.

The SDK is imported here and in the functions that need it only: it is heavy, and most processes
never talk to Label Studio.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings


class LabelStudioError(Exception):
    """Anything that went wrong talking to Label Studio, as one line a person can act on."""


def error_line(exc: BaseException, url: str) -> str | None:
    """One line for an SDK or httpx error (None for other exceptions). The SDK's own str() is a dump
    of headers and body, so it is never shown."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    if isinstance(exc, ApiError):
        body = exc.body if isinstance(exc.body, dict) else {}
        if exc.status_code == 401:
            return f"Label Studio at {url} rejected the API token: {body.get('detail', 'unauthorized')}"
        if exc.status_code == 403:
            return f"Label Studio at {url} refused access: {body.get('detail', 'forbidden')}"
        if exc.status_code == 404:
            return (
                f"Label Studio at {url}: not found ({body.get('detail', 'HTTP 404')}); "
                "is the URL the server root, and does the project exist?"
            )
        detail = body.get("validation_errors") or body.get("detail") or f"HTTP {exc.status_code}"
        return f"Label Studio at {url} refused the request: {detail}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"Label Studio URL {url!r} must start with http:// or https://"
    if isinstance(exc, httpx.TimeoutException):
        return f"Label Studio at {url} did not answer in time"
    if isinstance(exc, httpx.TransportError):
        return f"cannot reach Label Studio at {url}: {exc}"
    if isinstance(exc, httpx.HTTPError):
        return f"Label Studio at {url}: {exc}"
    return None


@contextlib.contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """Re-raise SDK and httpx errors inside the block as LabelStudioError (one line, no traceback)."""
    try:
        yield
    except LabelStudioError:
        raise
    except Exception as exc:
        line = error_line(exc, url)
        if line is None:
            raise
        raise LabelStudioError(line) from None


def server_settings(url: str | None = None, token: str | None = None) -> tuple[str, str]:
    """The URL and token to use: the arguments, else settings LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY."""
    url = (url or getattr(settings, "LABEL_STUDIO_URL", "") or "").strip().rstrip("/")
    token = (token or getattr(settings, "LABEL_STUDIO_API_KEY", "") or "").strip()
    if not url:
        raise LabelStudioError("no Label Studio URL: pass --url or set LABEL_STUDIO_URL")
    if not token:
        raise LabelStudioError("no Label Studio API token: pass --token or set LABEL_STUDIO_API_KEY")
    if not url.startswith(("http://", "https://")):
        raise LabelStudioError(f"Label Studio URL {url!r} must start with http:// or https://")
    return url, token


def connect(url: str, token: str, *, timeout: float = 30.0):
    """A checked LabelStudio client. Both token kinds work: a legacy token is sent as `Token …`, a
    personal access token (a JWT) is exchanged for an access token by the SDK. Asks the server who
    we are, so a wrong URL, a bad token or a server that is down fails here, in one line."""
    from label_studio_sdk import LabelStudio

    with translated_errors(url):
        client = LabelStudio(base_url=url, api_key=token, timeout=timeout)
        client.users.whoami()
    return client


def remote_project(client, url: str, remote_id: int):
    """The remote project, or None when the server has no such project."""
    from label_studio_sdk.core.api_error import ApiError

    with translated_errors(url):
        try:
            return client.projects.get(id=remote_id)
        except ApiError as exc:
            if exc.status_code == 404:
                return None
            raise
