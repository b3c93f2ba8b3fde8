"""What an export selects: formats, filters, splits, and their defaults, declared once here for the
command, the API, the page, the admin action and the background task (stored as ExportJob.options)."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from annotate.codebook import Label
from annotate.domains import as_domain
from annotate.gold import ADJUDICATED, MAJORITY, UNANIMOUS

FORMATS = ("jsonl", "csv", "labelstudio", "conll")
FORMAT_CHOICES = (*FORMATS, "all")
DEFAULT_FORMAT = "jsonl"  # the command, the page, the API and ExportOptions all default to it
LABEL_SOURCES = (UNANIMOUS, MAJORITY, ADJUDICATED)
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_SEED = "sourcemark"


class ExportOptionsError(ValueError):
    """Options that cannot describe an export; the message says which and why."""


def formats_for(name: str) -> tuple[str, ...]:
    """The formats `name` stands for ("all" -> every format); ExportOptionsError when unknown."""
    if name == "all":
        return FORMATS
    if name not in FORMATS:
        raise ExportOptionsError(f"unknown format {name!r}: choose one of {', '.join(FORMAT_CHOICES)}")
    return (name,)


def _date(value, name: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ExportOptionsError(f"{name}: {value!r} is not a date (YYYY-MM-DD)")


def _names(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    return sorted({str(item).strip() for item in value if str(item).strip()})


def _domains(value) -> list[str]:
    """Outlet domains as given and as ingest stores them (`https://www.News.Sky.com/x` also matches
    `news.sky.com`); the given value is kept for outlets stored before their domains were normalised."""
    names = _names(value)
    return sorted({*names, *map(as_domain, names)})


@dataclass
class ExportOptions:
    """Filters and split settings. Empty lists mean "no restriction".

    - outlets: outlet domains; article_ids: explicit articles (admin action); topics: article
      topic names; sides: keep sentences whose gold source has one of these side names;
      reviewers: usernames whose marks count (gold labels are resolved from their marks only;
      adjudications still win).
    - date_from / date_to: the article's published date, inclusive.
    - label_sources: keep sentences whose gold label came this way (default: all three).
    - min_agreement: keep sentences whose agreement (share of marks equal to the gold label) is
      at least this; adjudicated sentences without marks have agreement null and are dropped
      by any min_agreement > 0.
    - include_other: keep gold label `other` (default yes).
    - include_unsettled: keep disputed and unmarked sentences with label null (default no).
    - claim_groups: add `claim_group` to every record, the id of the claim group (the same fact as
      stated by other outlets, /claims/<id>/) the sentence belongs to, or null (default no).
    - seed, ratios: the train/dev/test split by article.
    """

    format: str = DEFAULT_FORMAT
    outlets: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    sides: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    date_from: str | None = None
    date_to: str | None = None
    label_sources: list[str] = field(default_factory=lambda: list(LABEL_SOURCES))
    min_agreement: float | None = None
    include_other: bool = True
    include_unsettled: bool = False
    claim_groups: bool = False
    seed: str = DEFAULT_SEED
    ratios: list[float] = field(default_factory=lambda: list(DEFAULT_RATIOS))

    def __post_init__(self) -> None:
        formats_for(self.format)
        self.outlets, self.topics, self.sides, self.reviewers = (
            _domains(self.outlets),
            _names(self.topics),
            _names(self.sides),
            _names(self.reviewers),
        )
        try:
            self.article_ids = sorted({int(pk) for pk in (self.article_ids or [])})
        except (TypeError, ValueError):
            raise ExportOptionsError("article_ids must be integers")
        self.date_from, self.date_to = _date(self.date_from, "date_from"), _date(self.date_to, "date_to")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ExportOptionsError(f"date_from {self.date_from} is after date_to {self.date_to}")
        label_sources = _names(self.label_sources) or list(LABEL_SOURCES)
        unknown = set(label_sources) - set(LABEL_SOURCES)
        if unknown:
            raise ExportOptionsError(
                f"unknown label source(s) {', '.join(sorted(unknown))}: choose from {', '.join(LABEL_SOURCES)}"
            )
        self.label_sources = [name for name in LABEL_SOURCES if name in label_sources]
        if self.min_agreement in ("", None):
            self.min_agreement = None
        else:
            try:
                given: Any = self.min_agreement  # a number or its text, as the caller gave it
                self.min_agreement = float(given)
            except (TypeError, ValueError):
                raise ExportOptionsError(f"min_agreement {self.min_agreement!r} is not a number")
            if not 0 <= self.min_agreement <= 1:
                raise ExportOptionsError("min_agreement must be between 0 and 1")
        self.seed = str(self.seed if self.seed not in (None, "") else DEFAULT_SEED)
        self.ratios = parse_ratios(self.ratios)
        self.include_other, self.include_unsettled = bool(self.include_other), bool(self.include_unsettled)
        self.claim_groups = bool(self.claim_groups)

    @property
    def formats(self) -> tuple[str, ...]:
        return formats_for(self.format)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ExportOptions:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ExportOptionsError(f"unknown option(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def keeps_label(self, label: str | None, label_source: str) -> bool:
        if label is None:
            return self.include_unsettled
        if label_source not in self.label_sources:
            return False
        return self.include_other or label != Label.OTHER


def parse_ratios(value) -> list[float]:
    """Three non-negative train/dev/test ratios summing to 1 (within 1e-6); "0.8,0.1,0.1" or a list."""
    if value in (None, ""):
        return list(DEFAULT_RATIOS)
    if isinstance(value, str):
        value = value.split(",")
    try:
        ratios = [float(item) for item in value]
    except (TypeError, ValueError):
        raise ExportOptionsError(f"ratios {value!r} must be three numbers, e.g. 0.8,0.1,0.1")
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ExportOptionsError(f"ratios {ratios} must be three non-negative numbers summing to 1 (train,dev,test)")
    return ratios
