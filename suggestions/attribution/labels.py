"""Rule-based labels: boilerplate and datelines are `other`, a reporting cue makes an attribution,
interpretive wording analysis, anything else a claim."""

from __future__ import annotations

import re
from collections.abc import Sequence

from annotate.codebook import Label
from suggestions.attribution.candidates import Attribution
from suggestions.attribution.finder import find_attribution
from suggestions.attribution.lexicon import phrase_list, trie_pattern

BOILERPLATE_RE = re.compile(
    r"^\s*(?:[–—]\s*\S|original\s+source\s*:|source\s*:|(?:additional\s+)?reporting\s+by\b|writing\s+by\b|editing\s+by\b"
    r"|compiled\s+by\b|photo\s*(?:credit)?\s*:|image\s*(?:source|caption)?\s*:|picture\s*:|video\s*:|caption\s*:"
    r"|credit\s*:|copyright\b|©|\(c\)\s|all\s+rights\s+reserved|read\s+more\b|read\s+also\b|related\s*:"
    r"|follow\s+us\b|sign\s+up\b|subscribe\b|share\s+this\b|click\s+here\b|advertisement\b|(?:last\s+)?updated\s*:?\s*(?:\d|on\b|at\b)"
    r"|published\s*:?\s*(?:\d|on\b|at\b)|by\s+(?-i:[A-Z][\w.’'-]+(?:\s+(?:and\s+)?[A-Z][\w.’'-]+){0,4})\s*$)",
    re.IGNORECASE,
)


DATELINE_RE = re.compile(r"^[^\n]{0,60}?\((?:Reuters|AP|AFP|Bloomberg|dpa|UPI|CNN)\)\s*[-–—]+\s*")


# Interpretive wording (analysis): strong words count 1, weak ones (modals, hedges) 0.5.
ANALYSIS_STRONG = phrase_list(
    "signal, signals, signaled, signalled, signaling, signalling, signify, signifies, signifying, marks a, marks an, "
    "marks the, highlights, highlighting, highlighted, underscore, underscores, underscoring, underscored, suggests, "
    "suggesting, remains, uncertain, uncertainty, pivotal, significant, significantly, significance, likely, "
    "unlikely, potential, potentially, complex, complexity, complexities, fragile, precarious, implication, "
    "implications, appear to, appears to, seem, seems, seemingly, indicating, reflects, reflecting, mirrors, "
    "illustrates, illustrating, instrumental, crucial, critical, perhaps, arguably, grave, dire, threatens, "
    "unprecedented, shift, turning point"
)


ANALYSIS_WEAK = phrase_list(
    "could, may, might, would, should, risk, risks, historic, historically, concern, concerns, notably, echoing, amid"
)


ANALYSIS_RE = re.compile(
    r"\b(?:(?P<strong>" + trie_pattern(ANALYSIS_STRONG) + r")|(?P<weak>" + trie_pattern(ANALYSIS_WEAK) + r"))\b",
    re.IGNORECASE,
)


STARTS_DEMONSTRATIVE_RE = re.compile(r"^\W*(?:This|These|Such|That)\b")


DIGIT_RE = re.compile(r"\d")


FIRST_PERSON_RE = re.compile(r"\b(?:I|we|We|our|Our|us)\b")


def is_boilerplate(text: str) -> bool:
    """Not part of the report: a byline, credit, "Original Source:" trailer or a bare dateline."""
    return bool(BOILERPLATE_RE.match(text) or CREDIT_RE.search(text)) or strip_dateline(text) is None


# A picture credit anywhere in the sentence: "The collapse of the spire, around 19:45 Image: Remi Mathis".
CREDIT_RE = re.compile(r"(?:^|\s|\()(?:Image|Photo|Photograph|Picture|Credit)s?:\s+\S")


def caption_positions(texts: Sequence[str]) -> set[int]:
    """Sentences that are picture captions: the one right before a credit line ("Fire in the frame of
    Notre Dame." followed by "Image: …"), besides the credit lines themselves (is_boilerplate)."""
    return {
        i
        for i in range(len(texts) - 1)
        if CREDIT_RE.match(texts[i + 1]) and not CREDIT_RE.search(texts[i]) and len(texts[i].split()) <= 40
    }


def suggest_label(text: str) -> tuple[str, float, Attribution | None]:
    """A rule-based label, its confidence in (0, 1], and the attribution found (None for `other`).

    Order: boilerplate -> other; a confident attribution -> attribution; interpretive wording ->
    analysis; a weak attribution -> attribution; anything else -> claim.
    """
    body = strip_dateline(text)
    if body is None:
        return Label.OTHER.value, 0.9, None
    if BOILERPLATE_RE.match(text) or CREDIT_RE.search(text):
        return Label.OTHER.value, 0.95, None
    attribution = find_attribution(text)
    if attribution is not None and attribution.confidence >= 0.5:
        return Label.ATTRIBUTION.value, round(attribution.confidence, 3), attribution
    score = analysis_score(body)
    if score >= 1.0:
        return Label.ANALYSIS.value, round(min(0.9, 0.45 + 0.1 * score), 3), attribution
    if attribution is not None:
        return Label.ATTRIBUTION.value, round(attribution.confidence, 3), attribution
    confidence = 0.5 + (0.1 if DIGIT_RE.search(body) else 0.0) - 0.1 * score
    return Label.CLAIM.value, round(min(0.7, max(0.3, confidence)), 3), None


def strip_dateline(text: str) -> str | None:
    """The sentence without a "BEIRUT (Reuters) -" dateline; None when the dateline is all there is."""
    dateline = DATELINE_RE.match(text)
    if dateline is None:
        return text
    rest = text[dateline.end() :]
    return rest if len(rest.split()) >= 6 else None


def analysis_score(text: str) -> float:
    score = 0.0
    for match in ANALYSIS_RE.finditer(text):
        score += 1.0 if match.group("strong") else 0.5
    if STARTS_DEMONSTRATIVE_RE.match(text):
        score += 0.5
    return score
