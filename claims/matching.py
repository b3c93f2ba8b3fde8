"""Does one sentence state the same fact as another? Pure functions, no ORM.

A sentence becomes `Features`: content word stems (stopwords, reporting cues and the attribution's
own source and cue removed), quantities, years, names and negation. `compare` scores two feature
sets in [0, 1] (weighted Jaccard and overlap of the stems) and applies the rules that make a
paraphrase the *same* claim: quantities must agree ("at least 25 killed" = "25 people died",
"25 killed" != "52 killed"), years must agree, a negated sentence never matches a plain one, and
different names on both sides cut the score. docs/claims.md explains each rule and its measured effect.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import snowballstemmer

from suggestions.attribution import find_attribution

# Pairs scoring at least AUTO_THRESHOLD are grouped automatically (measured precision >= 0.90 on
# the labelled pairs, docs/claims.md); pairs from REVIEW_THRESHOLD up go to the leads' queue.
AUTO_THRESHOLD = 0.60
REVIEW_THRESHOLD = 0.35
# What `manage.py claims evaluate` measured at AUTO_THRESHOLD on all labelled pairs (tests keep it true).
MEASURED_PRECISION = "0.96 (22 of 23), recall 0.37"
MIN_WORDS = 3  # fewer content words than this (datelines, "He was 64.") is no checkable claim
NAME_PENALTY = 0.5  # names on both sides that the other lacks: probably another subject
ONE_SIDED_NAME_PENALTY = 0.8
NUMBER_PENALTY = 0.8  # a quantity on one side only
JACCARD_SHARE = 0.8  # score = this share of weighted Jaccard + the rest of weighted overlap

TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_][\w'\-]*")
STOPWORDS = frozenset(
    """
a about above according after again against ago al all almost already also am an and any approximately are around as
at be because been before being below between both but by can could currently day days did do does doing down during
each earlier either el ever few for from further had has have having he her here hers herself him himself his how
however i if in into is it its itself just last later least less like many may me might month more most much must my
myself near nearly next now of off on once only or other our ours ourselves out over own per previously reportedly
roughly same several she should since so some still such than that the their theirs them themselves then there these
they this those though through to today tomorrow tonight too toward towards under until up upon us very via was we
week weeks were what when where whether which while who whom whose why will with within without would year years
yesterday yet you your yours yourself yourselves
""".split()  # noqa: SIM905
)
# Reporting cues and hedges: how a fact is conveyed, not the fact (compared as stems).
CUE_STEMS = frozenset(
    """
accord add affirm announc believ claim confirm estim indic note report said say state suggest tell told warn
""".split()  # noqa: SIM905
)
NEGATIONS = frozenset("not never denied denies deny cannot".split())  # noqa: SIM905
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000}
# Words news reports use for the same event: one stem each ("died" = "killed" = "casualties").
SYNONYMS: dict[str, str | None] = {
    "kill": "kill", "die": "kill", "dead": "kill", "death": "kill", "perish": "kill", "casualti": "kill",
    "fatal": "kill", "fataliti": "kill", "slain": "kill",
    "seiz": "captur", "captur": "captur", "took": "captur", "overran": "captur", "overrun": "captur",
    "flee": "flee", "fled": "flee", "displac": "flee",
    "strike": "strike", "airstrik": "strike", "bomb": "strike", "bombard": "strike", "raid": "strike",
    "struck": "strike",
    "rebel": "rebel", "insurg": "rebel", "fighter": "rebel",
    "troop": "troop", "soldier": "troop", "forc": "troop", "armi": "troop", "militari": "troop", "unit": "troop",
    "withdraw": "withdraw", "withdrew": "withdraw", "withdrawn": "withdraw", "pull": "withdraw", "retreat": "withdraw",
    "injur": "injur", "wound": "injur", "hurt": "injur",
    "peopl": None, "individu": None, "person": None, "air": None,
}  # fmt: skip
DEMONYMS = {
    "iranian": "iran", "syrian": "syria", "russian": "russia", "turkish": "turkey", "american": "us", "british": "uk",
    "britain": "uk", "israeli": "israel", "iraqi": "iraq", "lebanese": "lebanon", "qatari": "qatar",
    "ukrainian": "ukraine", "chinese": "china", "french": "france", "german": "germany", "kurdish": "kurd",
}  # fmt: skip
MONTHS = frozenset("january february march april may june july august september october november december".split())  # noqa: SIM905
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())  # noqa: SIM905
# Long and short names of one body, compared as one ("United Nations" = "UN").
ALIASES = {
    "united nations": "UN",
    "united states": "US",
    "u.s.": "US",
    "usa": "US",
    "united kingdom": "UK",
    "u.k.": "UK",
    "european union": "EU",
    "world health organization": "WHO",
    "world health organisation": "WHO",
}
_ALIAS = re.compile(r"\b(?:United Nations|United States|U\.S\.(?=\W)|USA|United Kingdom|U\.K\.(?=\W)|European Union"
                    r"|World Health Organi[sz]ation)")  # fmt: skip

_stemmer = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Features:
    """What `compare` needs of one sentence; `to_dict`/`from_dict` store it as JSON."""

    tokens: frozenset[str]  # content stems, identifiers, '#25' quantities and years, '@27' days of a month
    counts: frozenset[float] = frozenset()
    years: frozenset[int] = frozenset()
    names: frozenset[str] = frozenset()
    negated: bool = False
    source_names: frozenset[str] = frozenset()  # names in the attribution's source ("the UN"), kept apart

    @property
    def words(self) -> int:
        """Content words and quantities (days of a month do not count)."""
        return sum(1 for token in self.tokens if token[0] != "@")

    def to_dict(self) -> dict:
        return {
            "tokens": sorted(self.tokens),
            "counts": sorted(self.counts),
            "years": sorted(self.years),
            "names": sorted(self.names),
            "negated": self.negated,
            "source_names": sorted(self.source_names),
        }

    @classmethod
    def from_dict(cls, value: dict) -> Features:
        return cls(
            tokens=frozenset(value.get("tokens", ())),
            counts=frozenset(value.get("counts", ())),
            years=frozenset(value.get("years", ())),
            names=frozenset(value.get("names", ())),
            negated=bool(value.get("negated", False)),
            source_names=frozenset(value.get("source_names", ())),
        )


@dataclass(frozen=True)
class Verdict:
    """A pair's score in [0, 1] and, when a rule lowered it, why ("numbers differ", ...)."""

    score: float
    reason: str = ""


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str | None:
    if word in SYNONYMS:
        return SYNONYMS[word]
    stem = _stemmer.stemWord(word)
    if stem in CUE_STEMS:
        return None
    return SYNONYMS.get(stem, stem)


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return None


def _normalise(text: str) -> str:
    return _ALIAS.sub(lambda match: ALIASES[match.group().lower()], text.replace("’", "'"))


def _without_attribution(text: str) -> tuple[str, str]:
    """(the sentence with its attribution's source and cue blanked out, the source's text)."""
    found = find_attribution(text)
    if found is None:
        return text, ""
    source = text[found.source_span[0] : found.source_span[1]] if found.source_span else ""
    pieces, cursor = [], 0
    for start, end in sorted(span for span in (found.source_span, found.cue_span) if span):
        pieces.append(text[cursor : max(start, cursor)])
        cursor = max(cursor, end)
    pieces.append(text[cursor:])
    return " ".join(pieces), source


def article_names(sentences: Iterable[str]) -> frozenset[str]:
    """Lower-cased words an article writes with a capital inside a sentence: a capitalised first
    word of a sentence counts as a name only when it is one of these ("Klobuchar said" yes,
    "Rebels said" no)."""
    names = set()
    for sentence in sentences:
        for word in TOKEN.findall(_normalise(sentence))[1:]:
            if word[0].isupper():
                names.add(word.lower().removesuffix("'s"))
    return frozenset(names)


def _source_names(source: str) -> frozenset[str]:
    names = set()
    for word in TOKEN.findall(_normalise(source)):
        if not word[0].isupper():
            continue
        for original in re.split(r"[-']", word.removesuffix("'s")):
            part = original.lower()
            if len(part) >= 2 and (part not in STOPWORDS or original.isupper()):
                stem = _stem(DEMONYMS.get(part, part))
                if stem:
                    names.add(stem)
    return frozenset(names)


def sentence_features(text: str, *, names: frozenset[str] = frozenset()) -> Features:
    """Features of one sentence. `names`: `article_names` of its article (empty: a capitalised
    first word is never taken for a name)."""
    content, source = _without_attribution(text)
    words = TOKEN.findall(_normalise(content))
    tokens: set[str] = set()
    counts: set[float] = set()
    years: set[int] = set()
    found_names: set[str] = set()
    negated = False
    i = 0
    while i < len(words):
        word = words[i]
        lower = word.lower().removesuffix("'s")
        following = words[i + 1].lower() if i + 1 < len(words) else ""
        previous = words[i - 1].lower() if i else ""
        value = _number(word) if word[0].isdigit() else NUMBER_WORDS.get(lower)
        if value is not None:
            value = float(value)
            if following in SCALES:
                value *= SCALES[following]
                i += 1
            if (following in MONTHS or previous in MONTHS) and value <= 31:
                tokens.add(f"@{value:g}")  # a day of the month is part of a date, not a quantity
            elif value.is_integer() and 1000 <= value <= 2100 and len(word) == 4:
                years.add(int(value))
            else:
                counts.add(value)
            i += 1
            continue
        if lower in NEGATIONS or lower.endswith("n't"):
            negated = True
        if any(character.isdigit() for character in lower):  # an identifier: COVID-19, 737-800
            tokens.add(lower)
            if word[0].isupper():
                found_names.add(lower)
            i += 1
            continue
        first = i == 0 and not (word.isupper() or word.endswith("'s") or lower in names)
        for original in re.split(r"[-']", word.removesuffix("'s")):
            part = original.lower()
            acronym = len(original) > 1 and original.isupper()  # US, WHO, UN: never a stopword
            if len(part) < 2 or (part in STOPWORDS and not acronym) or part in MONTHS or part in WEEKDAYS:
                continue
            is_name = original[:1].isupper() and not first
            if part in DEMONYMS:
                part, is_name = DEMONYMS[part], True
            stem = _stem(part)
            if stem is None:
                continue
            tokens.add(stem)
            if is_name:
                found_names.add(stem)
        i += 1
    tokens |= {f"#{value:g}" for value in counts} | {f"#{year}" for year in years}
    return Features(
        tokens=frozenset(tokens),
        counts=frozenset(counts),
        years=frozenset(years),
        names=frozenset(found_names),
        negated=negated,
        source_names=_source_names(source),
    )


def idf_weights(frequencies: dict[str, int], total: int) -> Callable[[str], float]:
    """Token weight ln((N + 1) / (df + 1)) + 1 for N indexed sentences, df of them with the token
    (an unseen token weighs most). Rare words decide more than "said" or "government"."""

    @cache
    def weight(token: str) -> float:
        return math.log((total + 1) / (frequencies.get(token, 0) + 1)) + 1.0

    return weight


def _nested(a: frozenset, b: frozenset) -> bool:
    return a <= b or b <= a


def compare(a: Features, b: Features, weight: Callable[[str], float] | None = None) -> Verdict:
    """Score two sentences' features in [0, 1]: the mean of weighted Jaccard and weighted overlap
    (shared weight over the smaller side) of their tokens, after these rules:

    - quantities: when both have some, one set must contain the other, else 0 ("numbers differ");
      a quantity on one side only multiplies by NUMBER_PENALTY;
    - years: when both have some they must share one, else 0;
    - negation: a negated and a plain sentence score 0;
    - fewer than MIN_WORDS content words on either side: 0 ("too short");
    - names (content names plus the attribution's source names): each side naming something the
      other does not multiplies by NAME_PENALTY, one side only by ONE_SIDED_NAME_PENALTY. When
      both are attributions whose content names agree (one set holds the other), differing sources
      are ignored: the same fact from two sources is corroboration, not two facts.

    `weight` maps a token to its weight (e.g. `idf_weights`); None: every token weighs 1.
    """
    if a.counts and b.counts and not _nested(a.counts, b.counts):
        return Verdict(0.0, "numbers differ")
    if a.years and b.years and not (a.years & b.years):
        return Verdict(0.0, "years differ")
    if a.negated != b.negated:
        return Verdict(0.0, "one is negated")
    if a.words < MIN_WORDS or b.words < MIN_WORDS:
        return Verdict(0.0, "too short")
    shared_tokens = a.tokens & b.tokens
    if not shared_tokens:
        return Verdict(0.0, "no shared words")
    w = weight or (lambda token: 1.0)
    shared = sum(w(token) for token in shared_tokens)
    weight_a, weight_b = sum(w(token) for token in a.tokens), sum(w(token) for token in b.tokens)
    jaccard, overlap = shared / (weight_a + weight_b - shared), shared / min(weight_a, weight_b)
    score = JACCARD_SHARE * jaccard + (1 - JACCARD_SHARE) * overlap
    reasons = []
    names_a, names_b = a.names | a.source_names, b.names | b.source_names
    if a.source_names and b.source_names and _nested(a.names, b.names):
        names_a, names_b = a.names, b.names
    # A name the other side has as a plain word ("the Senate" / "senators") is no difference.
    only_a, only_b = names_a - names_b - b.tokens, names_b - names_a - a.tokens
    if only_a and only_b:
        score *= NAME_PENALTY
        reasons.append("different names")
    elif only_a or only_b:
        score *= ONE_SIDED_NAME_PENALTY
        reasons.append("a name on one side only")
    if bool(a.counts) != bool(b.counts):
        score *= NUMBER_PENALTY
        reasons.append("a number on one side only")
    return Verdict(round(score, 4), ", ".join(reasons))
