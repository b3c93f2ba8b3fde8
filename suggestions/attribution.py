"""Rule-based attribution finder and label heuristics behind "suggested marks".

Pure Python, no ORM, no model: a compiled lexicon of reporting cues finds the source and cue spans
inside one sentence, guesses the source kind, and suggests a codebook label with a confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from annotate.codebook import Label, SourceKind

PERSON = SourceKind.PERSON.value
ORGANISATION = SourceKind.ORGANISATION.value
GOVERNMENT = SourceKind.GOVERNMENT.value
MEDIA = SourceKind.MEDIA.value
DOCUMENT = SourceKind.DOCUMENT.value
ANONYMOUS = SourceKind.ANONYMOUS.value

# DESIGN.md: an attribution to a vague collective ("reports indicate") is kind anonymous; bare
# "reports" follow it. Qualified reports ("media reports", "Reuters reports") are media.
REPORTS_KIND = ANONYMOUS


@dataclass(frozen=True, slots=True)
class Attribution:
    """Spans are character offsets into the sentence: text[start:end] is the span's text."""

    source_span: tuple[int, int] | None
    cue_span: tuple[int, int]
    source_name: str | None
    source_kind: str
    confidence: float


def _words(text: str) -> set[str]:
    return set(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(phrase.strip() for phrase in text.split(","))


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternative for many words, shared prefixes merged: about 3x faster than "a|b|c" in `re`."""
    root: _Trie = {}
    for word in words:
        node = root
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        branches = [
            (r"\s+" if character == " " else re.escape(character)) + build(child)
            for character, child in sorted(node.items())
            if character
        ]
        if not branches:
            return ""
        if "" in node:
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(root)


# --- Lexicon ------------------------------------------------------------------------------------
# Finite reporting verbs: the source is the subject before them (or after them, when inverted).
_SAY = _words(
    "said says say told tells affirmed affirms claimed claim announced announces warned warns warn "
    "note confirmed confirms denied denies deny insisted insists insist argued argues argue alleged alleges "
    "explained explains acknowledged acknowledges admits asserted asserts assert declared declares wrote "
    "writes testified accused accuses urged urges emphasised emphasized emphasises emphasizes cautioned "
    "conceded countered replied contended contends commented tweeted reiterated reiterates reported "
    "estimated contend maintain"
)
# Verbs with common non-reporting senses: accepted after a complement ("that", ":", a quote, the
# sentence end) or after a subject whose kind the lexicon knows.
_STRICT_COMPLEMENT = _words(
    "added adds noted notes stated states observed stressed stresses admitted described posted maintained maintains"
)
_COMPLEMENT = _STRICT_COMPLEMENT | _words(
    "reports claims estimates disclosed revealed responded concluded predicted predicts"
)
# Evidence verbs ("data show", "analysts suggest"): only with a subject the lexicon recognises.
_WEAK = _words(
    "suggest suggests suggested indicate indicates indicated show shows showed found find finds believe "
    "believes predict attribute attributes attributed"
)
# Participles continue a clause whose subject came earlier: a weak, sourceless fallback.
_PARTICIPLE = _words(
    "noting saying adding claiming stating warning insisting arguing alleging asserting declaring explaining"
)
# Cues that allow subject inversion after a quote or a comma ("…,” said Gen. Jones.").
_INVERTIBLE = _words("said says added noted wrote explained stated warned insisted declared argued told replied")
# "X was reported …", "it is believed …": sourceless unless followed by "by <source>".
_PASSIVE_OK = _words("reported said believed thought alleged claimed understood rumoured rumored estimated")
_ADVERB_CONFIDENCE = {
    "reportedly": 0.6,
    "Reportedly": 0.6,
    "allegedly": 0.5,
    "Allegedly": 0.5,
    "purportedly": 0.45,
}

# Only as passives: "it is understood", "X is believed to".
_PASSIVE_ONLY = _words("believed thought understood rumoured rumored")
# Plural nouns that double as verbs: in "media reports said" and "claims of victory" they are nouns.
_NOUN_FORMS = _words("reports claims estimates notes states")
_NOUN_FOLLOWERS = _words("of about by from on in for over were are have had could would may might will can should must")

_CUE_WORDS = _SAY | _COMPLEMENT | _WEAK | _PARTICIPLE | _PASSIVE_ONLY | set(_ADVERB_CONFIDENCE)
_CUE_RE = re.compile(
    r"\b(?:(?P<according>[Aa]ccording\s+to)|(?P<asby>as\s+reported\s+by)|(?P<citing>citing)"
    r"|(?P<quoted>quoted\s+as\s+saying)|(?P<word>" + _trie_pattern(_CUE_WORDS) + r"))\b"
)

# --- Noun phrases -------------------------------------------------------------------------------
_DETERMINERS = _words(
    "the a an its their his her our my your some many several both all most few other another each every "
    "various one two three four five six seven eight nine ten dozens hundreds"
)
# A token of these turns a candidate subject into a clause: no source there.
_CLAUSE_WORDS = _words(
    "is are was were be been being am has have had will would can could should may might must shall do does "
    "did not there here this these those that which who whom whose what when where why how if because "
    "although while than"
)
_PRONOUN_KINDS = {
    "he": PERSON,
    "she": PERSON,
    "i": PERSON,
    "him": PERSON,
    "her": PERSON,
    "they": ANONYMOUS,
    "them": ANONYMOUS,
    "it": ANONYMOUS,
    "we": ANONYMOUS,
}
_ADJECTIVES_ED_ING = _words(
    "armed united based backed led allied related unnamed named detained retired exiled elected trained "
    "concerned informed unidentified appointed sanctioned designated leading ruling governing opposing "
    "fighting neighbouring neighboring visiting outgoing incoming acting striking"
)
_PREPOSITIONS = _words("of for from by at in on with close to within inside")
_POST_STOP = _CLAUSE_WORDS | _words(
    "that in on during after before as adding noting saying citing late early earlier later last yesterday "
    "today and but while"
)
_LAST_TOKEN_BAD = _words("and or but of for in on at by with from to the a an")
_OPENING_PREPOSITIONS = _PREPOSITIONS | _words(
    "during after before amid despite without over under since until as across near following"
)

# Where a subject noun phrase can start: punctuation, quotes and clause openers.
_BOUNDARY_RE = re.compile(
    r"[,;:()\[\]—–“”\"]|\s-\s|(?<=[.!?])[’']"
    r"|\b(?:that|but|while|whereas|when|after|because|since|although|though|where|if|so|then"
    r"|and(?=\s+(?:the|a|an|its|their|his|her)\b))\b"
)
_LEADING_CONJUNCTION_RE = re.compile(
    r"(?:(?:But|And|Yet|So|However|Meanwhile|Now|Still|Also|Separately|Earlier|Later|Instead)\s+)+"
)
# Auxiliaries, adverbs and time phrases between a subject and its verb.
_TRAILING_AUX_RE = re.compile(
    r"(?:\s+(?:has|have|had|also|previously|earlier|later|again|repeatedly|publicly|further|separately|"
    r"recently|then|now|yesterday|today|once|already|initially|first|officially|privately|"
    r"on\s+\w+day|in\s+a\s+statement(?:\s+on\s+\w+day)?|in\s+an\s+interview|last\s+(?:week|month|year|night)))+"
    r"\s*$"
)
_BE_AUX_RE = re.compile(r"\b(?:is|are|was|were|be|been|being)(?:\s+(?:widely|also|now|previously|initially|not))?\s*$")
_BE_OR_HAS_RE = re.compile(r"\s+(?:is|are|was|were|has\s+been|have\s+been|had\s+been)\s*$")
_COMPLEMENT_FOLLOW_RE = re.compile(r"\s*(?:that\b|[:“\"‘,]|[.!?]?[”\"’]?\s*$)")
# "Rebels said to be advancing": a reduced passive, not the rebels speaking.
_REDUCED_PASSIVE_RE = re.compile(r"\s+to\s+(?:be|have)\b")
_RELATIVE_RE = re.compile(r"\s(?:who|which|that)\s")
_DETERMINER_START_RE = re.compile(r"\b(?:the|a|an|The|A|An)\s")
_TOKEN_RE = re.compile(
    r"(?:Gen|Col|Lt|Maj|Capt|Sgt|Adm|Cmdr|Dr|Mr|Mrs|Ms|Prof|Sen|Rep|Gov|Rev|St|Jr|Sr|Inc|Ltd|Corp)\."
    r"|(?:[A-Z]\.){2,}|[^\W_](?:[\w’'&-]*\w)?"
)
_NEXT_WORD_RE = re.compile(r"\s+([a-z]+)")
_SPACES_RE = re.compile(r"[ \t\u00a0]*")
_NAME_WORD_RE = re.compile(r"[\w’'.&-]+")
_PARTICLE_RE = re.compile(r"(?:al|el|bin|ibn|abu|ben|de|da|van|von|le|la|du)-\w", re.IGNORECASE)
_PARTICLES = _words("al el bin ibn abu ben de da van von der le la du")

# --- Kind lexicon -------------------------------------------------------------------------------
_ANON_HEADS = _words(
    "analysts analyst sources source observers experts expert critics witnesses witness residents resident "
    "activists activist diplomats diplomat people insiders commentators locals rebels militants fighters "
    "insurgents protesters campaigners someone others rescuers medics doctors paramedics survivors "
    "villagers refugees gunmen men women man woman person rumours rumors accounts"
)
# Heads whose kind is that of the body they speak for ("a spokesperson for the UN").
_SPEAKER_HEADS = _words(
    "official officials spokesperson spokesman spokeswoman spokespeople representative representatives envoy "
    "commander commanders statement"
)
_GENERIC_MODIFIERS = _DETERMINERS | _words(
    "senior junior top local unnamed anonymous western foreign regional international independent former "
    "high-ranking unidentified knowledgeable informed close"
)
_DOC_HEADS = _words(
    "study studies report survey surveys poll polls data figures statistics records documents document census "
    "research findings analysis assessment review audit investigation filing filings memo letter transcript "
    "indictment ruling lawsuit estimates tally footage images imagery video videos photos"
)
_MEDIA_WORDS = _words(
    "reuters afp bbc cnn bloomberg sana tass xinhua irna axios politico npr nbc cbs dpa anadolu haaretz "
    "guardian telegraph media newspaper newspapers broadcaster television tv radio outlet outlets channel "
    "magazine tabloid"
)
_MEDIA_PHRASES = _phrases(
    "associated press, sky news, al jazeera, new york times, washington post, financial times, wall street journal, "
    "news agency, fox news, abc news, al arabiya, ria novosti, the times, le monde, der spiegel, al-monitor, "
    "the press, agence france-presse, state tv"
)
_ORG_WORDS = _words(
    "group groups service helmets observatory organisation organization organisations organizations un ngo "
    "ngos committee cross crescent watch amnesty foundation institute association council union federation "
    "coalition network centre center company corporation corp inc ltd university charity monitor msf who "
    "unicef unhcr unrwa icrc nato hts hezbollah hamas isis isil rebel opposition militia militias jihadist "
    "insurgent faction movement party front brigade brigades mission programme program bank fund"
)
_ORG_PHRASES = _phrases(
    "united nations, red cross, red crescent, human rights watch, amnesty international, islamic state, "
    "hayat tahrir al-sham, doctors without borders, white helmets"
)
_GOV_WORDS = _words(
    "government governments ministry ministries minister ministers army forces military navy police president "
    "presidency premier cabinet kremlin pentagon department embassy authorities authority administration "
    "regime parliament congress senate governor mayor defence defense interior troops soldiers junta "
    "court courts prosecutor prosecutors commission state"
)
_GOV_PHRASES = _phrases("white house, state department, prime minister, downing street, élysée")
_PLACES = _words(
    "syria syrian russia russian iran iranian iraq iraqi turkey turkish türkiye israel israeli lebanon lebanese "
    "jordan jordanian egypt egyptian saudi qatar qatari uae yemen yemeni ukraine ukrainian china chinese india "
    "indian pakistan pakistani afghanistan afghan u.s us american britain british uk u.k france french germany "
    "german italy italian spain spanish japan japanese korea korean canada canadian australia australian "
    "brazil mexico nigeria ethiopia sudan libya palestinian eu moscow damascus tehran ankara washington "
    "beijing kyiv kiev london paris berlin baghdad beirut cairo riyadh doha jerusalem brussels"
) | {"united states", "saudi arabia", "north korea", "south korea", "european union", "tel aviv"}
_TITLES = _words(
    "President Minister Secretary Secretary-General Gen. General Lt. Lieutenant Col. Colonel Maj. Major Capt. "
    "Captain Sgt. Adm. Admiral Commander Dr. Dr Mr. Mr Mrs. Mrs Ms. Ms Prof. Professor Sen. Senator Rep. Gov. "
    "Governor Mayor King Queen Prince Princess Sheikh Ayatollah Pope Chancellor Ambassador Judge Justice "
    "Chief Director Envoy spokesperson spokesman spokeswoman minister president"
)

# --- Labels -------------------------------------------------------------------------------------
_BOILERPLATE_RE = re.compile(
    r"^\s*(?:original\s+source\s*:|source\s*:|(?:additional\s+)?reporting\s+by\b|writing\s+by\b|editing\s+by\b"
    r"|compiled\s+by\b|photo\s*(?:credit)?\s*:|image\s*(?:source|caption)?\s*:|picture\s*:|video\s*:|caption\s*:"
    r"|credit\s*:|copyright\b|©|\(c\)\s|all\s+rights\s+reserved|read\s+more\b|read\s+also\b|related\s*:"
    r"|follow\s+us\b|sign\s+up\b|subscribe\b|share\s+this\b|click\s+here\b|advertisement\b|(?:last\s+)?updated\s*:?\s*(?:\d|on\b|at\b)"
    r"|published\s*:?\s*(?:\d|on\b|at\b)|by\s+(?-i:[A-Z][\w.’'-]+(?:\s+(?:and\s+)?[A-Z][\w.’'-]+){0,4})\s*$)",
    re.IGNORECASE,
)
_DATELINE_RE = re.compile(r"^[^\n]{0,60}?\((?:Reuters|AP|AFP|Bloomberg|dpa|UPI|CNN)\)\s*[-–—]+\s*")
# Interpretive wording (analysis): strong words count 1, weak ones (modals, hedges) 0.5.
_ANALYSIS_STRONG = _phrases(
    "signal, signals, signaled, signalled, signaling, signalling, signify, signifies, signifying, marks a, marks an, "
    "marks the, highlights, highlighting, highlighted, underscore, underscores, underscoring, underscored, suggests, "
    "suggesting, remains, uncertain, uncertainty, pivotal, significant, significantly, significance, likely, "
    "unlikely, potential, potentially, complex, complexity, complexities, fragile, precarious, implication, "
    "implications, appear to, appears to, seem, seems, seemingly, indicating, reflects, reflecting, mirrors, "
    "illustrates, illustrating, instrumental, crucial, critical, perhaps, arguably, grave, dire, threatens, "
    "unprecedented, shift, turning point"
)
_ANALYSIS_WEAK = _phrases(
    "could, may, might, would, should, risk, risks, historic, historically, concern, concerns, notably, echoing, amid"
)
_ANALYSIS_RE = re.compile(
    r"\b(?:(?P<strong>" + _trie_pattern(_ANALYSIS_STRONG) + r")|(?P<weak>" + _trie_pattern(_ANALYSIS_WEAK) + r"))\b",
    re.IGNORECASE,
)
_STARTS_DEMONSTRATIVE_RE = re.compile(r"^\W*(?:This|These|Such|That)\b")
_QUOTE_RE = re.compile(r"[“”\"«»]|(?<!\w)‘|’(?!\w)")
_DIGIT_RE = re.compile(r"\d")
_FIRST_PERSON_RE = re.compile(r"\b(?:I|we|We|our|Our|us)\b")


# --- Public API ---------------------------------------------------------------------------------
# Cached: the learned model's features and its spans look at the same sentence twice.
@lru_cache(maxsize=4096)
def find_attribution(text: str) -> Attribution | None:
    """The most confident attribution in one sentence, or None when no reporting cue is found.

    Patterns: "<source>[, appositive,] <cue> …", "…, <source> said." / "…, said <source>.",
    "according to <source>", "as reported by / citing <source>", "Reports indicate …" and sourceless
    cues ("reportedly", "is said to"). Ties go to the earliest cue.
    """
    best: Attribution | None = None
    for match in _CUE_RE.finditer(text):
        candidate = _candidate(text, match)
        if candidate is not None and (best is None or candidate.confidence > best.confidence):
            best = candidate
    return best


def guess_source_kind(name: str) -> str:
    """The SourceKind value a source name most likely has ("the Syrian government" -> government)."""
    return _classify(name)[0]


def suggest_label(text: str) -> tuple[str, float, Attribution | None]:
    """A rule-based label, its confidence in (0, 1], and the attribution found (None for `other`).

    Order: boilerplate -> other; a confident attribution -> attribution; interpretive wording ->
    analysis; a weak attribution -> attribution; anything else -> claim.
    """
    body = _strip_dateline(text)
    if body is None:
        return Label.OTHER.value, 0.9, None
    if _BOILERPLATE_RE.match(text):
        return Label.OTHER.value, 0.95, None
    attribution = find_attribution(text)
    if attribution is not None and attribution.confidence >= 0.5:
        return Label.ATTRIBUTION.value, round(attribution.confidence, 3), attribution
    score = _analysis_score(body)
    if score >= 1.0:
        return Label.ANALYSIS.value, round(min(0.9, 0.45 + 0.1 * score), 3), attribution
    if attribution is not None:
        return Label.ATTRIBUTION.value, round(attribution.confidence, 3), attribution
    confidence = 0.5 + (0.1 if _DIGIT_RE.search(body) else 0.0) - 0.1 * score
    return Label.CLAIM.value, round(min(0.7, max(0.3, confidence)), 3), None


def rule_features(text: str) -> dict[str, float]:
    """Numeric features of one sentence for a learned model (scikit-learn DictVectorizer)."""
    attribution = find_attribution(text)
    n_tokens = len(text.split())
    features = {
        "has_cue": 0.0,
        "has_source": 0.0,
        "cue_position": 0.0,
        "attribution_confidence": 0.0,
        "has_according_to": 1.0 if re.search(r"\b[Aa]ccording\s+to\b", text) else 0.0,
        "has_reportedly": 1.0 if re.search(r"\b(?:[Rr]eportedly|allegedly)\b", text) else 0.0,
        "has_quote": 1.0 if _QUOTE_RE.search(text) else 0.0,
        "n_analysis_words": _analysis_score(text),
        "has_digit": 1.0 if _DIGIT_RE.search(text) else 0.0,
        "has_first_person": 1.0 if _FIRST_PERSON_RE.search(text) else 0.0,
        "starts_with_demonstrative": 1.0 if _STARTS_DEMONSTRATIVE_RE.match(text) else 0.0,
        "starts_with_boilerplate": 1.0 if _BOILERPLATE_RE.match(text) else 0.0,
        "has_dateline": 1.0 if _DATELINE_RE.match(text) else 0.0,
        "ends_with_question": 1.0 if text.rstrip().endswith("?") else 0.0,
        "n_tokens": float(n_tokens),
        f"length_bucket_{_length_bucket(n_tokens)}": 1.0,
    }
    if attribution is not None:
        features["has_cue"] = 1.0
        features["has_source"] = 1.0 if attribution.source_span else 0.0
        features["cue_position"] = round(attribution.cue_span[0] / max(len(text), 1), 3)
        features["attribution_confidence"] = attribution.confidence
        features[f"source_kind_{attribution.source_kind}"] = 1.0
    return features


# --- Candidates ---------------------------------------------------------------------------------
def _candidate(text: str, match: re.Match[str]) -> Attribution | None:
    start, end = match.span()
    if match.group("according") or match.group("asby") or match.group("citing"):
        base = 0.9 if match.group("according") else 0.75 if match.group("asby") else 0.7
        return _with_source(text, _noun_phrase_after(text, end), (start, end), base)
    quote_factor = 0.6 if _inside_quote(text, start) else 1.0
    if match.group("quoted"):
        left = _BE_OR_HAS_RE.sub("", text[:start])
        return _with_source(text, _subject_before(text, len(left)), (start, end), 0.8 * quote_factor)
    word = match.group("word")
    if word in _ADVERB_CONFIDENCE:
        return _sourceless(start, end, _ADVERB_CONFIDENCE[word] * quote_factor)
    if word in _PARTICIPLE:
        return _sourceless(start, end, 0.35 * quote_factor)
    if word in _NOUN_FORMS:
        following = _NEXT_WORD_RE.match(text, end)
        if following and (following.group(1) in _CUE_WORDS or following.group(1) in _NOUN_FOLLOWERS):
            return None
    left = text[:start]
    passive = _BE_AUX_RE.search(left)
    if word in _PASSIVE_ONLY and not passive:
        return None
    if not passive and word in _PASSIVE_OK and _REDUCED_PASSIVE_RE.match(text, end):
        return _sourceless(start, end, 0.45 * quote_factor)
    if passive:
        if word not in _PASSIVE_OK:
            return None
        by_source = None
        if text.startswith(" by ", end):
            by_source = _noun_phrase_after(text, end + 3)
        if by_source:
            return _with_source(text, by_source, (start, end), 0.75 * quote_factor)
        return _sourceless(passive.start(), end, 0.5 * quote_factor)
    trimmed = _TRAILING_AUX_RE.sub("", left).rstrip()
    span: tuple[int, int] | None = None
    inverted = False
    # After a comma or a closing quote: an appositive ("X, a group, said") or an inversion ("…,” said X).
    if trimmed.endswith(",") or (trimmed.endswith(("”", '"', "’", "'")) and trimmed[-2:-1] in ",.!?"):
        if trimmed.endswith(","):
            span = _subject_before_appositive(text, len(trimmed) - 1)
        if span is None and word in _INVERTIBLE:
            span = _inverted_subject(text, end)
            inverted = True
    else:
        span = _subject_before(text, len(trimmed))
    if span is None:
        return None
    kind, certainty = _classify(text[span[0] : span[1]])
    if word in _WEAK and (certainty < 0.9 or kind == PERSON and certainty < 1.0):
        return None
    needs_complement = word in _STRICT_COMPLEMENT or (word in _COMPLEMENT and certainty < 1.0)
    if needs_complement and not inverted and not _COMPLEMENT_FOLLOW_RE.match(text, end):
        return None
    cue_span = (start, end)
    if span[1] <= start and text[span[0] : span[1]].lower() == "reports":
        cue_span = (span[0], end)  # "Reports indicate": the collective is part of the cue
    return Attribution(span, cue_span, text[span[0] : span[1]], kind, round(0.85 * certainty * quote_factor, 3))


def _with_source(text: str, span: tuple[int, int] | None, cue: tuple[int, int], base: float) -> Attribution | None:
    if span is None:
        return _sourceless(cue[0], cue[1], base * 0.5)
    name = text[span[0] : span[1]]
    kind, certainty = _classify(name)
    return Attribution(span, cue, name, kind, round(base * max(certainty, 0.8), 3))


def _sourceless(start: int, end: int, confidence: float) -> Attribution:
    return Attribution(None, (start, end), None, ANONYMOUS, round(confidence, 3))


def _inside_quote(text: str, position: int) -> bool:
    left = text[:position]
    return left.count("“") > left.count("”") or left.count('"') % 2 == 1


def _subject_before(text: str, end: int) -> tuple[int, int] | None:
    """The noun phrase that ends at `end` and starts at the nearest clause boundary."""
    start = 0
    for boundary in _BOUNDARY_RE.finditer(text, 0, end):
        start = boundary.end()
    span = _trim(text, start, end)
    if span is None:
        return None
    conjunction = _LEADING_CONJUNCTION_RE.match(text, span[0], span[1])
    if conjunction:
        span = _trim(text, conjunction.end(), span[1])
    if span is None or _is_subject(text[span[0] : span[1]]):
        return span
    # "Residents who fled said": the phrase before a short relative clause.
    relative = _RELATIVE_RE.search(text, span[0], span[1])
    if relative and len(text[relative.end() : span[1]].split()) <= 8:
        head = _trim(text, span[0], relative.start())
        if head is not None and _is_subject(text[head[0] : head[1]]):
            return head
    # "In a statement the ministry said": skip an opening prepositional phrase without a comma.
    if text[span[0] : span[1]].split(None, 1)[0].lower() in _OPENING_PREPOSITIONS:
        determiners = list(_DETERMINER_START_RE.finditer(text, span[0] + 1, span[1]))
        if determiners:
            head = _trim(text, determiners[-1].start(), span[1])
            if head is not None and _is_subject(text[head[0] : head[1]]):
                return head
    return None


def _subject_before_appositive(text: str, comma: int) -> tuple[int, int] | None:
    """The subject before an appositive: "The White Helmets, an opposition rescue service, affirmed"."""
    previous = text.rfind(",", 0, comma)
    if previous < 0:
        return None
    return _subject_before(text, previous) if _is_appositive(text[previous + 1 : comma]) else None


def _inverted_subject(text: str, cue_end: int) -> tuple[int, int] | None:
    """The inverted subject after the cue, ending the clause: "…,” said Gen. Jones."."""
    span = _noun_phrase_after(text, cue_end, max_tokens=6)
    if span is None:
        return None
    rest = text[span[1] :].lstrip()
    if rest and rest[0] not in ",.;!?" and not rest.startswith(("in ", "on ", "adding", "noting", "citing")):
        return None
    return span


def _noun_phrase_after(text: str, position: int, max_tokens: int = 9) -> tuple[int, int] | None:
    """The run of word tokens after `position`, cut at punctuation and clause words."""
    start = end = -1
    count = 0
    while count < max_tokens:
        position = _SPACES_RE.match(text, position).end()
        token = _TOKEN_RE.match(text, position)
        if token is None:
            break
        if token.group().lower() in _POST_STOP and count > 0:
            break
        if start < 0:
            start = position
        end = position = token.end()
        count += 1
    if start < 0:
        return None
    while count > 1 and text[start:end].rsplit(None, 1)[-1].lower() in _LAST_TOKEN_BAD:
        end = start + len(text[start:end].rsplit(None, 1)[0])
        count -= 1
    return _trim(text, start, end)


_LEAD_STRIP = set("\"“”‘’'([{-–—,;:.!?…*•")
_TRAIL_STRIP = set("\"“”‘’'([{)]}-–—,;:!?…*•")


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (text[start].isspace() or text[start] in _LEAD_STRIP):
        start += 1
    while end > start and (
        text[end - 1].isspace()
        or text[end - 1] in _TRAIL_STRIP
        or (text[end - 1] == "." and not (end >= 2 and text[end - 2].isupper()))
    ):
        end -= 1
    return (start, end) if start < end else None


def _is_appositive(phrase: str) -> bool:
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 15 or _QUOTE_RE.search(phrase):
        return False
    lower = [token.strip("’'.,").lower() for token in tokens]
    if lower[0] in ("who", "which", "whose", "whom"):
        return True
    return not any(token in _CLAUSE_WORDS for token in lower) and not _has_verb_form(lower, tokens)


def _is_verb_form(token: str, original: str) -> bool:
    """A lowercase "-ed"/"-ing" word that is not a known adjective: likely a verb."""
    return (
        original[0].islower()
        and "-" not in token
        and (token.endswith("ed") or token.endswith("ing"))
        and len(token) > 4
        and token not in _ADJECTIVES_ED_ING
    )


def _has_verb_form(lower: list[str], tokens: list[str]) -> bool:
    """A verb form that makes a clause; "-ed" before a preposition is a reduced relative ("published in")."""
    for index, (token, original) in enumerate(zip(lower, tokens, strict=True)):
        if _is_verb_form(token, original):
            following = lower[index + 1] if index + 1 < len(lower) else ""
            if not (token.endswith("ed") and following in _PREPOSITIONS):
                return True
    return False


def _is_subject(phrase: str) -> bool:
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 10:
        return False
    lower = [token.strip("’'.,").lower() for token in tokens]
    if len(lower) == 1 and lower[0] in _PRONOUN_KINDS:
        return True
    if lower[-1] in _LAST_TOKEN_BAD or lower[0] in _OPENING_PREPOSITIONS:
        return False
    # Acronyms are names, not clause words: "the WHO warned".
    if any(token in _CLAUSE_WORDS and not original.isupper() for token, original in zip(lower, tokens, strict=True)):
        return False
    if _has_verb_form(lower, tokens):
        return False
    content = [token for token in lower if token not in _DETERMINERS]
    if not content or not any(character.isalpha() for character in "".join(content)):
        return False
    if tokens[0][0].islower() and lower[0] not in _DETERMINERS:
        return _classify(phrase)[1] >= 0.9
    return True


# --- Kinds --------------------------------------------------------------------------------------
def _bare(word: str) -> str:
    word = word.lower().replace("’", "'").rstrip(".")
    return word[:-2] if word.endswith("'s") else word.rstrip("'")


def _classify(name: str) -> tuple[str, float]:
    """(kind, certainty): 1.0 when a lexicon decided, lower when only the shape of the name did."""
    words = _NAME_WORD_RE.findall(name)
    if not words:
        return ANONYMOUS, 0.5
    lower = [_bare(word) for word in words]
    if len(lower) == 1 and lower[0] in _PRONOUN_KINDS:
        return _PRONOUN_KINDS[lower[0]], 0.75
    cut = next(
        (
            i
            for i, word in enumerate(lower)
            if i > 0 and (word in _PREPOSITIONS or _is_verb_form(word, words[i]) and word.endswith("ed"))
        ),
        len(lower),
    )
    head = lower[cut - 1]
    joined = " " + " ".join(lower) + " "
    if head in ("reports", "rumours", "rumors"):
        return (MEDIA if _is_media(words, lower, joined) else REPORTS_KIND), 1.0
    if head in _DOC_HEADS:
        return DOCUMENT, 1.0
    if head in _SPEAKER_HEADS:
        after = words[cut + 1 :]
        if after:
            kind, certainty = _classify(" ".join(after))
            if certainty >= 0.9 and kind != ANONYMOUS:
                return kind, 1.0
        for word, original in zip(lower[: cut - 1], words[: cut - 1], strict=True):
            if word in _GENERIC_MODIFIERS:
                continue
            if word in _ORG_WORDS:
                return ORGANISATION, 1.0
            if word in _GOV_WORDS or word in _PLACES or original[0].isupper():
                return GOVERNMENT, 1.0
        return (DOCUMENT if head == "statement" else ANONYMOUS), 1.0
    if head in _ANON_HEADS:
        return ANONYMOUS, 1.0
    if _is_media(words, lower, joined):
        return MEDIA, 1.0
    if _is_titled_name(words):
        return PERSON, 1.0
    if any(word in _ORG_WORDS for word in lower) or any(f" {p} " in joined for p in _ORG_PHRASES):
        return ORGANISATION, 1.0
    if any(word in _GOV_WORDS for word in lower) or any(f" {p} " in joined for p in _GOV_PHRASES):
        return GOVERNMENT, 1.0
    content = [word for word in lower if word not in _DETERMINERS]
    if " ".join(content) in _PLACES or (len(content) > 1 and all(w in _PLACES or w == "and" for w in content)):
        return GOVERNMENT, 1.0
    if _is_name_shape(words):
        return PERSON, 0.9
    if len(words) == 1 and words[0][0].isupper():
        return (ORGANISATION, 0.9) if words[0].isupper() and len(words[0]) > 1 else (PERSON, 0.8)
    return ANONYMOUS, 0.6


def _is_media(words: list[str], lower: list[str], joined: str) -> bool:
    if "AP" in words or any(word in _MEDIA_WORDS for word in lower):
        return True
    return any(f" {phrase} " in joined for phrase in _MEDIA_PHRASES)


def _is_name_word(word: str) -> bool:
    return word[0].isupper() or word.lower() in _PARTICLES or bool(_PARTICLE_RE.match(word))


def _is_titled_name(words: list[str]) -> bool:
    title = max((i for i, word in enumerate(words) if word in _TITLES), default=-1)
    following = words[title + 1 :]
    return title >= 0 and 1 <= len(following) <= 4 and following[0][0].isupper() and all(map(_is_name_word, following))


def _is_name_shape(words: list[str]) -> bool:
    return (
        2 <= len(words) <= 4
        and words[0][0].isupper()
        and words[0].lower() not in _DETERMINERS
        and all(map(_is_name_word, words))
    )


# --- Labels and registry helpers ----------------------------------------------------------------
def _strip_dateline(text: str) -> str | None:
    """The sentence without a "BEIRUT (Reuters) -" dateline; None when the dateline is all there is."""
    dateline = _DATELINE_RE.match(text)
    if dateline is None:
        return text
    rest = text[dateline.end() :]
    return rest if len(rest.split()) >= 6 else None


def _analysis_score(text: str) -> float:
    score = 0.0
    for match in _ANALYSIS_RE.finditer(text):
        score += 1.0 if match.group("strong") else 0.5
    if _STARTS_DEMONSTRATIVE_RE.match(text):
        score += 0.5
    return score


def _length_bucket(n_tokens: int) -> int:
    return 0 if n_tokens < 8 else 1 if n_tokens < 16 else 2 if n_tokens < 32 else 3


_NORMALIZE_RE = re.compile(r"[\W_]+")


def _normalize(name: str) -> str:
    normalized = _NORMALIZE_RE.sub(" ", name.casefold().replace("’s", "").replace("'s", "")).strip()
    return normalized[4:] if normalized.startswith("the ") else normalized


def normalize_source_name(name: str) -> str:
    """A source name as match_source compares it: casefolded, punctuation to spaces, no leading "the"."""
    return _normalize(name)
