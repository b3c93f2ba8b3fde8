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

_YEAR_RE = re.compile(r"(?<![\d,.$€£])\b(1[6-9]\d\d|20\d\d)(s?)\b(?![,.]?\d)")
# Past years named without a number: "last year", "two years ago", "in the 1990s".
_YEARS_AGO_RE = re.compile(r"\blast year\b|\byears? ago\b|\bdecades? ago\b|\b(?:19|20)\d0s\b", re.IGNORECASE)
_SINCE_YEAR_RE = re.compile(r"\bsince\s+(?:\w+\s+)?(?:1[6-9]\d\d|20\d\d)\b", re.IGNORECASE)
_PERCENT_MONEY_RE = re.compile(r"%|\bper ?cent\b|[$€£¥]|\b(?:dollars|euros|pounds|złotys|rubles|yuan)\b", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^\W\d_][\w’'-]*|\d[\d,.]*")
_QUOTED_RE = re.compile(r"“[^”]*”|\"[^\"]*\"")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Word lists, looked up in the lowercase tokens of a sentence (one tokenisation, set lookups).
_WEEKDAY = _set("monday tuesday wednesday thursday friday saturday sunday yesterday today tonight overnight")
_WEEKDAY_PAIRS = {("last", "night"), ("this", "morning"), ("this", "afternoon"), ("this", "evening"), ("this", "week")}
_MONTHS = _set("january february march april may june july august september october november december")
_MONTH_OPENERS = _set("in since until by from of late early mid")
_PAST_WORDS = _set(
    "previously formerly ago history historic historical historically founded born once decades decade centuries "
    "established originally longtime long-time long-standing longstanding long-serving"
)
_PERIODS = _set("year decade century years decades centuries")
_RECENT = _set("recently subsequently later earlier then after following")
_SUPERLATIVE = _set("first largest biggest longest oldest only most least best worst highest lowest")
_GENERIC_AFTER_BE = _set(
    "a an the one among known based located considered part home responsible used usually often generally "
    "typically commonly currently still"
)
_GENERIC_WORDS = _set("usually often generally typically commonly normally traditionally officially currently rather")
_PRESENT = _set("is are remains remain has have does do includes include belongs affects involves allows")
_PAST = _set("was were did")
_PARTICIPLE_IRREGULAR = _set("been seen had become taken made grown fallen risen")
_FUTURE = _set("will shall would")
_MODAL = _set("could may might should must can cannot can't would")
_HEDGE = _set(
    "likely unlikely possibly perhaps probably potentially apparently seemingly appears appear seems seem suggests "
    "suggest partly largely mainly mostly nearly almost roughly about around approximately estimated"
)
_CONTRAST = _set("however nevertheless nonetheless although though despite while whereas yet but rather")
_CAUSAL = _set("because therefore thus hence since meaning")
_CAUSAL_PAIRS = {("due", "to"), ("so", "that"), ("which", "means"), ("in", "order"), ("a", "result")}
_EVALUATIVE = _set(
    "significant major important key critical crucial serious severe dramatic notable notably widely widespread "
    "controversial unusual unprecedented dangerous deadly deadliest prosperous poor poorly strong weak rich popular "
    "unpopular powerful influential prominent famous infamous iconic leading successful failed fragile stable "
    "unstable effective ineffective growing increasingly deeply highly relatively especially particularly marked"
)
_EVENT = _set(
    "killed died dies wounded injured hit struck attacked arrested sentenced convicted announced declared banned "
    "voted elected signed launched met gathered collapsed exploded crashed rescued evacuated began started ended "
    "closed opened approved rejected resigned fired won lost landed erupted sold bought acquired agreed suspended "
    "lifted ordered released charged jailed shot stabbed burned destroyed"
)
_NUMBER_WORDS = _set(
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred hundreds thousand "
    "thousands million millions billion billions dozen dozens"
)
_CASUALTY = _set("killed dead death deaths died injured wounded casualties toll missing")
_FIRST_PERSON = _set("I we We our Our us my My")
_STOP = _set(
    "the a an of in on at to for and or but with by from as is are was were be been has have had it its this that "
    "these those their his her they he she not no said says will would could after before over into about than "
    "which who what when where while also more most some any all other new"
)


# Closed-class words (determiners, pronouns, auxiliaries, modals, prepositions, conjunctions, time
# and focus adverbs), one feature each: how a sentence is built rather than what it is about, so
# they carry over to new topics (content words would learn the training articles' topics).
_FUNCTION_WORDS = _set(
    "the a an this these that those its their his her our my some any no every each all both other another "
    "is are was were be been being has have had do does did will would shall should can could may might must "
    "not never also still already yet just only even again now then currently recently previously formerly later "
    "earlier since ago until while when after before during as because although though however but and or so "
    "thus therefore which who whom whose where what why how if than more most less least very such many much "
    "few several in on at by for from with without about into over under between among against through across "
    "toward towards he she it they we i you him them us there here one two first last"
)


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _TOKEN_RE.findall(text) if w.lower() not in _STOP and len(w) > 2}


def _article_year(texts: Sequence[str], published: date | None) -> int | None:
    if published is not None:
        return published.year
    years = [int(m.group(1)) for text in texts for m in _YEAR_RE.finditer(text) if not m.group(2)]
    return max(years) if years else None


_QUOTE_MARK_RE = re.compile(r"[“”\"]")


def _quote_share(text: str) -> float:
    """The share of characters inside double quotation marks."""
    inside = 0
    depth = False
    last = 0
    for match in _QUOTE_MARK_RE.finditer(text):
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


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def _verb_groups(tokens: list[str]) -> tuple[bool, bool, bool]:
    """(perfect, pluperfect, progressive): has/have/had + (one word) + a participle; is/are + -ing."""
    perfect = pluperfect = progressive = False
    for i, token in enumerate(tokens):
        if token in ("has", "have", "had", "is", "are"):
            for following in tokens[i + 1 : i + 3]:
                participle = following in _PARTICIPLE_IRREGULAR or following.endswith("ed")
                if token in ("has", "have") and participle:
                    perfect = True
                elif token == "had" and participle:
                    pluperfect = True
                elif token in ("is", "are") and following.endswith("ing") and len(following) > 4:
                    progressive = True
                if participle or following.endswith("ing"):
                    break
    return perfect, pluperfect, progressive


def sentence_features(text: str, attribution: Attribution | None, year: int | None) -> dict[str, float]:
    """Features of one sentence on its own (no neighbours)."""
    original = _TOKEN_RE.findall(text)
    tokens = [token.lower() for token in original]
    words = set(tokens)
    pairs = _pairs(tokens)
    unquoted = [token.lower() for token in _TOKEN_RE.findall(_QUOTED_RE.sub(" ", text))]
    unquoted_words = set(unquoted)
    n_words = max(len(text.split()), 1)
    features: dict[str, float] = {"short": float(n_words < 10), "long": float(n_words > 30)}
    years = [(int(m.group(1)), bool(m.group(2))) for m in _YEAR_RE.finditer(text)]
    if years and year is not None:
        gap = year - min(y for y, _ in years)
        features["year_past"] = float(gap >= 1 or any(decade for _, decade in years))
        features["year_past_far"] = float(gap >= 5)
        features["year_current"] = float(any(y == year and not decade for y, decade in years))
    elif years:
        features["year_any"] = 1.0
    if _YEARS_AGO_RE.search(text):
        features["year_past"] = 1.0
    features["since_year"] = float(bool(_SINCE_YEAR_RE.search(text)))
    features["weekday"] = float(bool(words & _WEEKDAY or pairs & _WEEKDAY_PAIRS))
    features["month_day"] = float(
        any(
            (a in _MONTHS and b.isdigit() and len(b) <= 2) or (a.isdigit() and len(a) <= 2 and b in _MONTHS)
            for a, b in pairs
        )
    )
    features["month"] = float(
        any(a in _MONTH_OPENERS and b in _MONTHS for a, b in pairs)
        or any(t.startswith("mid-") and t[4:] in _MONTHS for t in words)
    )
    past = len(words & _PAST_WORDS)
    past += sum(
        1
        for a, b in pairs
        if (a in ("last", "past", "previous", "preceding", "recent") and b in _PERIODS)
        or (a == "for" and b in _PERIODS)
        or (a == "since" and b in ("then", "the"))
    )
    features["past_relative"] = min(past, 2) / 2
    features["recent_relative"] = float(bool(words & _RECENT) or ("last", "week") in pairs)
    features["superlative_first"] = float(bool(words & _SUPERLATIVE))
    generic = len(words & _GENERIC_WORDS) + sum(
        1
        for a, b in pairs
        if (a in ("is", "are") and b in _GENERIC_AFTER_BE)
        or (a == "known" and b in ("as", "for"))
        or (a in ("refers", "refer") and b == "to")
        or (a in ("consists", "consist") and b == "of")
    )
    features["generic"] = min(generic, 2) / 2
    perfect, pluperfect, progressive = _verb_groups(unquoted)
    unquoted_pairs = _pairs(unquoted)
    features["present"] = float(bool(unquoted_words & _PRESENT))
    features["past"] = float(bool(unquoted_words & _PAST))
    features["perfect"] = float(perfect)
    features["pluperfect"] = float(pluperfect)
    features["progressive"] = float(progressive)
    features["future"] = float(
        bool(unquoted_words & _FUTURE)
        or any(
            (a in ("is", "are") and b in ("to", "expected", "scheduled")) or (a in ("plan", "plans") and b == "to")
            for a, b in unquoted_pairs
        )
    )
    features["modal"] = float(bool(unquoted_words & _MODAL))
    features["hedge"] = float(bool(unquoted_words & _HEDGE))
    features["contrast"] = float(bool(unquoted_words & _CONTRAST))
    features["causal"] = float(bool(unquoted_words & _CAUSAL or unquoted_pairs & _CAUSAL_PAIRS))
    features["evaluative"] = min(sum(1 for token in unquoted if token in _EVALUATIVE), 2) / 2
    unquoted_text = _QUOTED_RE.sub(" ", text)
    features["analysis_words"] = (
        min(sum(1.0 if m.group("strong") else 0.5 for m in ANALYSIS_RE.finditer(unquoted_text)), 2) / 2
    )
    features["event_verb"] = float(bool(unquoted_words & _EVENT) or ("found", "guilty") in unquoted_pairs)
    features["demonstrative_start"] = float(bool(STARTS_DEMONSTRATIVE_RE.match(text)))
    numbers = sum(1 for token in tokens if token[0].isdigit()) - len(years) + len(words & _NUMBER_WORDS)
    features["numbers"] = min(max(numbers, 0), 3) / 3
    features["percent_money"] = float(bool(_PERCENT_MONEY_RE.search(text)))
    features["casualty"] = float(bool(words & _CASUALTY) or ("at", "least") in pairs)
    capitals = sum(1 for token in original[1:] if token[0].isupper())
    features["names"] = min(capitals / n_words, 0.5) * 2
    features["first_person"] = float(any(token in _FIRST_PERSON for token in original))
    share = _quote_share(text)
    features["quote_share"] = share
    features["quote_mostly"] = float(share > 0.6)
    features["has_quote"] = float(bool(QUOTE_RE.search(text)))
    features["question"] = float(text.rstrip("”\"' ").endswith("?"))
    features["boilerplate"] = float(bool(BOILERPLATE_RE.match(text) or DATELINE_RE.match(text)))
    for word in words & _FUNCTION_WORDS:
        features["w_" + word] = 1.0
    # the share of "-ed" verbs: a narrated chain of events rather than a standing fact
    past_forms = sum(1 for token in original if token.islower() and token.endswith("ed") and len(token) > 4)
    features["ed_share"] = min(past_forms / n_words * 5, 1.0)
    if attribution is not None:
        features["cue"] = 1.0
        features["cue_confidence"] = attribution.confidence
        features["cue_strong"] = float(attribution.confidence >= 0.6)
        features["cue_source"] = float(attribution.source_span is not None)
        features[f"cue_kind_{attribution.source_kind}"] = 1.0
    elif share > 0.5:
        features["quote_without_cue"] = 1.0
    return features


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
