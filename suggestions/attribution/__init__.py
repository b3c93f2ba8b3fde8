"""Rule-based attribution finder and label heuristics behind "suggested marks".

Pure Python, no ORM, no model: a compiled lexicon of reporting cues finds the source and cue spans
inside one sentence, guesses the source kind, and suggests a codebook label with a confidence.

Modules, bottom up: `lexicon` (word lists), `kinds` (source kinds of names), `contexts` (the cue
pattern and what around a cue confirms or rules it out), `quotes` (quotation marks), `phrases` (noun
phrase shapes), `subjects` (the source of a cue), `candidates` (the Attribution record and the cue
forms that are not a finite verb), `finder` (one sentence's attribution), `labels` (rule-based labels).
"""

from suggestions.attribution.candidates import Attribution
from suggestions.attribution.finder import CONFIDENCE_MARGIN, find_attribution
from suggestions.attribution.kinds import (
    ANONYMOUS,
    DOCUMENT,
    GOVERNMENT,
    MEDIA,
    ORGANISATION,
    PERSON,
    REPORTS_KIND,
    normalize_source_name,
)
from suggestions.attribution.labels import (
    ANALYSIS_RE,
    BOILERPLATE_RE,
    DATELINE_RE,
    STARTS_DEMONSTRATIVE_RE,
    caption_positions,
    is_boilerplate,
    suggest_label,
)
from suggestions.attribution.quotes import QUOTE_RE

__all__ = [
    "ANALYSIS_RE",
    "ANONYMOUS",
    "BOILERPLATE_RE",
    "CONFIDENCE_MARGIN",
    "DATELINE_RE",
    "DOCUMENT",
    "GOVERNMENT",
    "MEDIA",
    "ORGANISATION",
    "PERSON",
    "QUOTE_RE",
    "REPORTS_KIND",
    "STARTS_DEMONSTRATIVE_RE",
    "Attribution",
    "caption_positions",
    "find_attribution",
    "is_boilerplate",
    "normalize_source_name",
    "suggest_label",
]
