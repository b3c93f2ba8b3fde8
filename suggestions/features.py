"""Features of a sentence in its article for the label model: pure Python, no ORM, no model.

Hand-written lexical features that generalise across articles (tense and aspect, hedges and
modals, evaluative words, dates relative to the publication date, numbers and names, quotation
without a cue, position) plus the attribution finder's output, for the sentence and its
neighbours. Every value is in [0, 1] so that a linear model needs no scaling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from suggestions.attribution import (
    ANALYSIS_RE,
    BOILERPLATE_RE,
    DATELINE_RE,
    QUOTE_RE,
    STARTS_DEMONSTRATIVE_RE,
    Attribution,
    find_attribution,
)


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_YEAR_RE = re.compile(r"(?<![\d,.$€£])\b(1[6-9]\d\d|20\d\d)(s?)\b(?![,.]?\d)")
_WEEKDAY_RE = _rx(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|last night"
    r"|this (?:morning|afternoon|evening|week)|earlier (?:today|this week)|overnight)\b"
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_MONTH_DAY_RE = _rx(rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}\s+(?:{_MONTHS})\b)")
_MONTH_RE = _rx(rf"\b(?:in|since|until|by|from|of|late|early|mid-?)\s+(?:{_MONTHS})\b")
_PAST_RELATIVE_RE = _rx(
    r"\b(?:last|past|previous|preceding) (?:year|decade|century|years|decades)\b|\bin recent (?:years|decades)\b"
    r"|\bpreviously\b|\bformerly\b|\bago\b|\bhistor(?:y|ic|ical|ically)\b|\bfounded\b|\bborn\b|\bonce\b"
    r"|\bfor (?:\w+ )?(?:years|decades|centuries)\b|\bsince (?:then|the)\b|\bin the (?:past|\d{4}s)\b|\bdecades?\b"
    r"|\bcenturies\b|\bestablished\b|\boriginally\b|\blong-?(?:time|standing|serving)\b"
)
# Past years named without a number: "last year", "two years ago", "in the 1990s".
_YEARS_AGO_RE = _rx(r"\blast year\b|\byears? ago\b|\bdecades? ago\b|\bin the (?:19|20)\d0s\b|\b(?:19|20)\d0s\b")
_SINCE_YEAR_RE = _rx(r"\bsince\s+(?:\w+\s+)?(?:1[6-9]\d\d|20\d\d)\b")
_RECENT_RE = _rx(r"\b(?:this week|last week|this month|recently|subsequently|later|earlier|then|after|following)\b")
_FIRST_RE = _rx(r"\b(?:first|largest|biggest|longest|oldest|only|most|least|best|worst|highest|lowest)\b")
_GENERIC_RE = _rx(
    r"\b(?:is|are) (?:a|an|the|one|among|known|based|located|considered|part|home|responsible|used|usually|often|"
    r"generally|typically|commonly|currently|still)\b|\bknown (?:as|for)\b|\brefers? to\b|\bconsists? of\b"
    r"|\b(?:usually|often|generally|typically|commonly|normally|traditionally|officially|currently|rather)\b"
)
_PRESENT_RE = _rx(r"\b(?:is|are|remains|remain|has|have|does|do|includes|include|belongs|affects|involves|allows)\b")
_PAST_RE = _rx(r"\b(?:was|were|did)\b")
_PERFECT_RE = _rx(r"\b(?:has|have) (?:\w+ )?(?:been|[a-z]+ed|seen|had|become|taken|made|grown|fallen|risen)\b")
_PLUPERFECT_RE = _rx(r"\bhad (?:\w+ )?(?:been|[a-z]+ed|seen|had|become|taken|made)\b")
_PROGRESSIVE_RE = _rx(r"\b(?:is|are|has been|have been) (?:\w+ )?[a-z]+ing\b")
_FUTURE_RE = _rx(r"\b(?:will|shall|is to|are to|is expected|are expected|is scheduled|plans? to|would)\b")
_MODAL_RE = _rx(r"\b(?:could|may|might|should|must|can|cannot|can't|would)\b")
_HEDGE_RE = _rx(
    r"\b(?:likely|unlikely|possibly|perhaps|probably|potentially|apparently|seemingly|appears?|seems?|suggests?"
    r"|partly|largely|mainly|mostly|nearly|almost|roughly|about|around|approximately|estimated)\b"
)
_CONTRAST_RE = _rx(r"\b(?:however|nevertheless|nonetheless|although|though|despite|while|whereas|yet|but|rather)\b")
_CAUSAL_RE = _rx(
    r"\b(?:because|due to|as a result|so that|therefore|thus|hence|since|in order to|which means|meaning)\b"
)
_EVALUATIVE_RE = _rx(
    r"\b(?:significant|major|important|key|critical|crucial|serious|severe|dramatic|notable|notably|widely|widespread"
    r"|controversial|unusual|unprecedented|dangerous|deadly|deadliest|prosperous|poor|poorly|strong|weak|rich|popular"
    r"|unpopular|powerful|influential|prominent|famous|infamous|iconic|leading|successful|failed|fragile|stable"
    r"|unstable|effective|ineffective|growing|increasingly|deeply|highly|relatively|especially|particularly|marked)\b"
)
_EVENT_VERB_RE = _rx(
    r"\b(?:killed|died|dies|wounded|injured|hit|struck|attacked|arrested|sentenced|convicted|found guilty|announced"
    r"|declared|banned|voted|elected|signed|launched|met|gathered|collapsed|exploded|crashed|rescued|evacuated"
    r"|began|started|ended|closed|opened|approved|rejected|resigned|fired|won|lost|landed|struck|erupted|sold"
    r"|bought|acquired|agreed|suspended|lifted|ordered|released|charged|jailed|shot|stabbed|burned|destroyed)\b"
)
_NUMBER_RE = re.compile(r"\b\d[\d,.]*\b")
_NUMBER_WORD_RE = _rx(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?"
    r"|thousands?|millions?|billions?|dozens?)\b"
)
_PERCENT_MONEY_RE = _rx(r"%|\bper ?cent\b|[$€£¥]|\b(?:dollars|euros|pounds|złotys|rubles|yuan)\b")
_CASUALTY_RE = _rx(r"\b(?:at least|killed|dead|deaths?|died|injured|wounded|casualties|toll|missing)\b")
_CAPITAL_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")
_WORD_RE = re.compile(r"[A-Za-z][\w’'-]*")
_FIRST_PERSON_RE = re.compile(r"\b(?:I|we|We|our|Our|us|my|My)\b")
_STOP = frozenset(
    str.split(
        "the a an of in on at to for and or but with by from as is are was were be been has have had it its this that "
        "these those their his her they he she not no said says will would could after before over into about than "
        "which who what when where while also more most some any all other new"
    )
)


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD_RE.findall(text) if w.lower() not in _STOP and len(w) > 2}


def _article_year(texts: Sequence[str], published: date | None) -> int | None:
    if published is not None:
        return published.year
    years = [int(m.group(1)) for text in texts for m in _YEAR_RE.finditer(text) if not m.group(2)]
    return max(years) if years else None


def _quote_share(text: str) -> float:
    """The share of characters inside double quotation marks."""
    inside = 0
    depth = False
    last = 0
    for match in re.finditer(r"[“”\"]", text):
        mark = match.group()
        opening = mark == "“" or (mark == '"' and not depth)
        if opening and not depth:
            depth, last = True, match.end()
        elif depth and mark in '”"':
            inside += match.start() - last
            depth = False
    if depth:
        inside += len(text) - last
    return inside / max(len(text), 1)


def sentence_features(text: str, attribution: Attribution | None, year: int | None) -> dict[str, float]:
    """Features of one sentence on its own (no neighbours)."""
    n_words = max(len(text.split()), 1)
    features: dict[str, float] = {"bias_len_short": float(n_words < 10), "len_long": float(n_words > 30)}
    years = [(int(m.group(1)), bool(m.group(2))) for m in _YEAR_RE.finditer(text)]
    if years and year is not None:
        oldest = min(y for y, _ in years)
        gap = year - oldest
        features["year_past"] = float(gap >= 1 or any(decade for _, decade in years))
        features["year_past_far"] = float(gap >= 5)
        features["year_current"] = float(any(y == year and not decade for y, decade in years))
    elif years:
        features["year_any"] = 1.0
    if _YEARS_AGO_RE.search(text):
        features["year_past"] = 1.0
    features["since_year"] = float(bool(_SINCE_YEAR_RE.search(text)))
    features["weekday"] = float(bool(_WEEKDAY_RE.search(text)))
    features["month_day"] = float(bool(_MONTH_DAY_RE.search(text)))
    features["month"] = float(bool(_MONTH_RE.search(text)))
    features["past_relative"] = min(len(_PAST_RELATIVE_RE.findall(text)), 2) / 2
    features["recent_relative"] = float(bool(_RECENT_RE.search(text)))
    features["superlative_first"] = float(bool(_FIRST_RE.search(text)))
    features["generic"] = min(len(_GENERIC_RE.findall(text)), 2) / 2
    unquoted = _QUOTED_RE.sub(" ", text)
    features["present"] = float(bool(_PRESENT_RE.search(unquoted)))
    features["past"] = float(bool(_PAST_RE.search(unquoted)))
    features["perfect"] = float(bool(_PERFECT_RE.search(unquoted)))
    features["pluperfect"] = float(bool(_PLUPERFECT_RE.search(unquoted)))
    features["progressive"] = float(bool(_PROGRESSIVE_RE.search(unquoted)))
    features["future"] = float(bool(_FUTURE_RE.search(unquoted)))
    features["modal"] = float(bool(_MODAL_RE.search(unquoted)))
    features["hedge"] = float(bool(_HEDGE_RE.search(unquoted)))
    features["contrast"] = float(bool(_CONTRAST_RE.search(unquoted)))
    features["causal"] = float(bool(_CAUSAL_RE.search(unquoted)))
    features["evaluative"] = min(len(_EVALUATIVE_RE.findall(unquoted)), 2) / 2
    features["analysis_words"] = (
        min(sum(1.0 if m.group("strong") else 0.5 for m in ANALYSIS_RE.finditer(unquoted)), 2) / 2
    )
    features["event_verb"] = float(bool(_EVENT_VERB_RE.search(unquoted)))
    features["demonstrative_start"] = float(bool(STARTS_DEMONSTRATIVE_RE.match(text)))
    numbers = len(_NUMBER_RE.findall(text)) - len(years) + len(_NUMBER_WORD_RE.findall(text))
    features["numbers"] = min(max(numbers, 0), 3) / 3
    features["percent_money"] = float(bool(_PERCENT_MONEY_RE.search(text)))
    features["casualty"] = float(bool(_CASUALTY_RE.search(text)))
    features["names"] = min(len(_CAPITAL_RE.findall(text)) / n_words, 0.5) * 2
    features["first_person"] = float(bool(_FIRST_PERSON_RE.search(text)))
    share = _quote_share(text)
    features["quote_share"] = share
    features["quote_mostly"] = float(share > 0.6)
    features["has_quote"] = float(bool(QUOTE_RE.search(text)))
    features["question"] = float(text.rstrip("”\"' ").endswith("?"))
    features["boilerplate"] = float(bool(BOILERPLATE_RE.match(text) or DATELINE_RE.match(text)))
    if attribution is not None:
        features["cue"] = 1.0
        features["cue_confidence"] = attribution.confidence
        features["cue_strong"] = float(attribution.confidence >= 0.6)
        features["cue_source"] = float(attribution.source_span is not None)
        features[f"cue_kind_{attribution.source_kind}"] = 1.0
    elif share > 0.5:
        features["quote_without_cue"] = 1.0
    return features


_QUOTED_RE = re.compile(r"“[^”]*”|\"[^\"]*\"")

# Features copied from the neighbours (prefix prev_/next_): what the context says about the time
# and the voice of this sentence.
_CONTEXT_KEYS = (
    "year_past",
    "year_past_far",
    "weekday",
    "past_relative",
    "generic",
    "cue",
    "quote_mostly",
    "quote_without_cue",
    "pluperfect",
    "event_verb",
)


def article_features(
    texts: Sequence[str], published: date | None = None, attributions: Sequence[Attribution | None] | None = None
) -> list[dict[str, float]]:
    """Features of each sentence of one article, in document order (neighbours and position included).

    `published` dates the article; without it the latest year the article mentions stands in."""
    if attributions is None:
        attributions = [find_attribution(text) for text in texts]
    year = _article_year(texts, published)
    own = [sentence_features(text, attribution, year) for text, attribution in zip(texts, attributions, strict=True)]
    lead_words = _content_words(texts[0]) if texts else set()
    n = len(texts)
    rows = []
    for i, features in enumerate(own):
        row = dict(features)
        position = i / max(n - 1, 1)
        row["position"] = position
        row["position_first"] = float(i == 0)
        row["position_early"] = float(i < 3)
        row["position_late"] = float(position > 0.66)
        words = _content_words(texts[i])
        row["lead_overlap"] = min(len(words & lead_words) / max(len(words), 1) * 2, 1.0) if i else 1.0
        for offset, prefix in ((-1, "prev_"), (1, "next_")):
            j = i + offset
            if 0 <= j < n:
                for key in _CONTEXT_KEYS:
                    if own[j].get(key):
                        row[prefix + key] = own[j][key]
            else:
                row[prefix + "none"] = 1.0
        rows.append(row)
    return rows
