"""The Attribution record, and the candidates of the cue forms that are not a finite verb: "according
to" and "citing" (a nested author), a passive's agent, a colon before a quotation, a participle."""

from __future__ import annotations

from dataclasses import dataclass

from suggestions.attribution.contexts import AS_PREPOSITION_RE, BY_AHEAD_RE, WITH_NP_RE
from suggestions.attribution.kinds import ANONYMOUS, bare_word, classify, has_source_head
from suggestions.attribution.lexicon import VEHICLE_HEADS
from suggestions.attribution.phrases import TOKEN_RE, after_spaces, is_subject, noun_phrase_after, trim_span
from suggestions.attribution.subjects import author_span, main_subject


@dataclass(frozen=True, slots=True)
class Attribution:
    """Spans are character offsets into the sentence: text[start:end] is the span's text."""

    source_span: tuple[int, int] | None
    cue_span: tuple[int, int]
    source_name: str | None
    source_kind: str
    confidence: float


def is_cited_source(text: str, span: tuple[int, int] | None) -> bool:
    """What "per" or "citing" names is a source when the lexicon knows its head or it is a name."""
    if span is None:
        return False
    return has_source_head(text[span[0] : span[1]])


def with_source(text: str, span: tuple[int, int] | None, cue: tuple[int, int], base: float) -> Attribution | None:
    if span is None:
        return sourceless_attribution(text, cue[0], cue[1], base * 0.5)
    name = text[span[0] : span[1]]
    kind, certainty = classify(name)
    return Attribution(span, cue, name, kind, round(base * max(certainty, 0.8), 3))


def sourceless_attribution(text: str, start: int, end: int, confidence: float) -> Attribution:
    """A cue without a named source ("is said to", "was reported"): like "reportedly" (the dev set's
    convention), the cue is the source too; anonymous."""
    return Attribution((start, end), (start, end), text[start:end], ANONYMOUS, round(confidence, 3))


def source_after_preposition(text: str, end: int) -> tuple[int, int] | None:
    """The noun phrase after "in", "at", "on" or "during": "as revealed at trial" -> trial."""
    preposition = AS_PREPOSITION_RE.match(text, end)
    return noun_phrase_after(text, preposition.end()) if preposition else None


def is_proper(text: str, span: tuple[int, int]) -> bool:
    """A capitalised name ("Gazeta Prawna", "Rudaw")."""
    words = text[span[0] : span[1]].split()
    return bool(words) and all(word[0].isupper() or word in ("of", "for", "and") for word in words)


def nested_source(text: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """ "according to a tweet on Monday by US Secretary of State Mike Pompeo": the author, not the tweet."""
    if span is None:
        return None
    head = bare_word(text[span[0] : span[1]].split()[-1])
    if head not in VEHICLE_HEADS:
        return author_span(text, span)
    agent = BY_AHEAD_RE.match(text, span[1])
    if agent is None:
        return span
    return noun_phrase_after(text, agent.end()) or span


def by_agent(text: str, position: int) -> tuple[int, int] | None:
    """The agent of a passive cue: "was identified as X by a Coast Guard spokesperson"."""
    agent = BY_AHEAD_RE.match(text, position)
    if agent is None:
        return None
    span = noun_phrase_after(text, agent.end())
    if span is None or classify(text[span[0] : span[1]])[1] < 0.8:
        return None
    return span


def colon_candidate(text: str, colon: int, quote_factor: float) -> Attribution | None:
    """ "Trump's statement read: “…”": the clause before a colon that opens a quotation."""
    clause_start = max(text.rfind(";", 0, colon), text.rfind("”", 0, colon), text.rfind('"', 0, colon)) + 1
    span = main_subject(text, colon, clause_start)
    if span is None:
        return None
    verb = trim_span(text, span[1], colon)
    if verb is None or len(text[verb[0] : verb[1]].split()) > 6:
        first = TOKEN_RE.match(text, after_spaces(text, span[1]))
        if first is None:
            return None
        verb = first.span()
    kind, certainty = classify(text[span[0] : span[1]])
    return Attribution(span, verb, text[span[0] : span[1]], kind, round(0.6 * certainty * quote_factor, 3))


def participle_subject(text: str, participle: int) -> tuple[int, int] | None:
    """Whose participle: "with officials saying" -> officials; ", saying" -> the main clause's subject."""
    left = text[:participle].rstrip()
    with_np = WITH_NP_RE.search(left)
    if with_np:
        span = trim_span(text, with_np.start("np"), with_np.end("np"))
        if span is not None and is_subject(text[span[0] : span[1]]):
            return span
    if not left.endswith(",") and not left.endswith(" by"):
        # "Several conservative groups claiming the election was stolen gathered …": the phrase that
        # opens the sentence and the participle that follows it
        span = trim_span(text, 0, len(left))
        if span is not None and "," not in left and is_subject(left) and has_source_head(left):
            return span
        return None
    return main_subject(text, len(left))
