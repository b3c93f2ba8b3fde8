"""Explicit credits to another outlet in an article's text (pure, no ORM).

"Original Source: news.sky.com", "via Reuters", "Reporting by Reuters", "Some information provided
by AFP and Reuters", "Additional reporting from AP", "Reuters contributed to this report". A credit
names an outlet by domain or by a known agency name; a person's name ("Reporting by Jane Doe") is
no credit to an outlet, and a credit to the article's own outlet is no credit at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Agencies and large outlets by the names credit lines use -> their domain. Outlets stored in the
# database are matched too (by name and domain), so this only needs the ones that may not be.
KNOWN_OUTLETS = {
    "reuters": "reuters.com",
    "thomson reuters": "reuters.com",
    "afp": "afp.com",
    "agence france-presse": "afp.com",
    "agence france presse": "afp.com",
    "ap": "apnews.com",
    "associated press": "apnews.com",
    "the associated press": "apnews.com",
    "bloomberg": "bloomberg.com",
    "dpa": "dpa.com",
    "xinhua": "xinhuanet.com",
    "tass": "tass.com",
    "anadolu": "aa.com.tr",
    "anadolu agency": "aa.com.tr",
    "efe": "efe.com",
    "ansa": "ansa.it",
    "bbc": "bbc.co.uk",
    "bbc news": "bbc.co.uk",
    "sky news": "news.sky.com",
    "al jazeera": "aljazeera.com",
    "cnn": "cnn.com",
    "the guardian": "theguardian.com",
}
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[/:?#].*)?$", re.IGNORECASE)
_JOIN = re.compile(r"\s*(?:,|;|\band\b|&|/)\s*", re.IGNORECASE)
_PATTERNS = [
    re.compile(r"^\s*original source\s*:\s*(?P<names>\S+)\s*$", re.IGNORECASE),
    re.compile(r"^\s*source\s*:\s*(?P<names>\S+\.\w+)\s*$", re.IGNORECASE),
    re.compile(
        r"\b(?:some |additional )?information (?:was |is )?(?:provided|supplied) by (?P<names>[^.;:]+)", re.IGNORECASE
    ),
    re.compile(r"^\s*(?:with )?(?:additional )?reporting (?:by|from) (?P<names>[^.;:]+)", re.IGNORECASE),
    re.compile(r"^\s*(?P<names>[A-Z][\w .&-]{1,60}?) contributed to this (?:report|story|article)", re.IGNORECASE),
    re.compile(r"\(\s*via (?P<names>[^)]+)\)|\bvia (?P<names2>[A-Z][\w.&-]*(?: [A-Z][\w.&-]*)*)\s*\.?\s*$"),
    re.compile(r"^\s*(?:source|sources|credit)s?\s*:\s*(?P<names>[^.]+)$", re.IGNORECASE),
]


@dataclass(frozen=True)
class Credit:
    """An outlet credited by the article: `domain` normalised, `name` as written, `line` the text
    that says so."""

    domain: str
    name: str
    line: str


def domain_of(value: str) -> str | None:
    """`https://www.reuters.com/world/x` -> `reuters.com`; a value that is no domain -> None."""
    value = value.strip().rstrip(".,;")
    match = _DOMAIN.match(value)
    if not match:
        return None
    host = (urlsplit(value if "//" in value else f"//{value}").hostname or "").lower().removeprefix("www.")
    return host or None


def resolve(name: str, outlets: dict[str, str]) -> str | None:
    """The domain an outlet name refers to: a domain as such, else a stored outlet's name
    (`outlets`: lower-cased name -> domain), else a known agency; None for anything else."""
    cleaned = re.sub(r"\s+", " ", name.strip().strip("\"'()").rstrip(".,;")).lower()
    cleaned = cleaned.removeprefix("the ") if cleaned.removeprefix("the ") in outlets else cleaned
    if not cleaned:
        return None
    if " " not in cleaned and "." in cleaned and (domain := domain_of(cleaned)):
        return domain
    return outlets.get(cleaned) or KNOWN_OUTLETS.get(cleaned)


def find_credits(text: str, *, own_domain: str, outlets: dict[str, str] | None = None) -> list[Credit]:
    """Credits to outlets other than `own_domain` in `text`, one per credited domain in order
    of appearance. Each line is read on its own (credit lines are paragraphs of their own)."""
    outlets = outlets or {}
    found: dict[str, Credit] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for pattern in _PATTERNS:
            for match in pattern.finditer(line):
                names = match.groupdict().get("names") or match.groupdict().get("names2") or ""
                for name in _JOIN.split(names):
                    domain = resolve(name, outlets)
                    if domain and not _same_outlet(domain, own_domain) and domain not in found:
                        found[domain] = Credit(domain=domain, name=name.strip(), line=line)
    return list(found.values())


def _same_outlet(a: str, b: str) -> bool:
    """news.sky.com and sky.com, bbc.co.uk and bbc.com are one outlet for credits."""
    return a == b or a.endswith("." + b) or b.endswith("." + a) or _stem(a) == _stem(b)


def _stem(domain: str) -> str:
    parts = domain.split(".")
    while len(parts) > 1 and parts[-1] in {"com", "co", "uk", "org", "net", "news", "tr", "it"}:
        parts.pop()
    return parts[-1] if parts else domain
