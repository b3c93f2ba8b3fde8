"""Outlet domains as Sourcemark stores them: one pure function, light to import (the admin, the API
filters and the export options use it; `annotate.ingest`, which loads the sentence splitter and
DRF's parsers, is not imported at start-up)."""

from typing import cast
from urllib.parse import urlsplit

from .models import Outlet

DOMAIN_MAX = cast(int, Outlet._meta.get_field("domain").max_length)


def normalize_domain(value: str) -> str:
    """`https://www.News.Sky.com/x` → `news.sky.com`; a bare host is accepted too."""
    value = value.strip()
    if not value:
        raise ValueError("empty outlet")
    try:
        host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    except ValueError:  # e.g. an unbalanced [ in the host
        host = ""
    host = host.strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    if not host or "." not in host or any(c.isspace() for c in host):
        raise ValueError(f"not a domain or URL: {value[:200]!r}")
    if len(host) > DOMAIN_MAX:
        raise ValueError(f"domain of {len(host):,} characters, over the {DOMAIN_MAX}-character limit")
    return host


def as_domain(value: str) -> str:
    """A domain or URL as ingest stores its outlet (`https://www.News.Sky.com/x` -> `news.sky.com`);
    a value that is none is left as it is (it matches no outlet, or an outlet stored before domains
    were normalised)."""
    try:
        return normalize_domain(value)
    except ValueError:
        return value
