"""Finding the attribution of one sentence: each reporting cue proposes a candidate (source span,
cue span, kind, confidence); the source of the main clause wins."""

from __future__ import annotations

import re
from functools import lru_cache

from suggestions.attribution.candidates import (
    Attribution,
    by_agent,
    colon_candidate,
    is_cited_source,
    is_proper,
    nested_source,
    participle_subject,
    source_after_preposition,
    sourceless_attribution,
    with_source,
)
from suggestions.attribution.contexts import (
    ACT_FOLLOW_RE,
    ACT_OBJECT_RE,
    ADJECTIVE_BEFORE_RE,
    ALLEGED_NOUN_RE,
    BE_AUX_RE,
    BE_OR_HAS_RE,
    CALLED_ON_RE,
    CALLED_PARTICLE_RE,
    CLAUSE_AHEAD_RE,
    COMPLEMENT_FOLLOW_RE,
    COORDINATE_END_RE,
    COUNT_AHEAD_RE,
    CUE_RE,
    DENIED_ACT_RE,
    FINAL_RE,
    HEDGE_ADVERB_RE,
    INFINITIVE_AHEAD_RE,
    NEGATED_SUBJECT_RE,
    NEGATION_RE,
    NEXT_WORD_RE,
    PARENTHETICAL_INVERSION_RE,
    POSSESSIVE_BEFORE_RE,
    QUOTE_SOON_RE,
    REDUCED_PASSIVE_RE,
    RELATIVE_END_RE,
    REPORTED_TO_RE,
    SPEECH_OBJECT_RE,
    STATEMENT_CONTENT_RE,
    THAT_FOLLOW_RE,
    THIRD_PARTY_CLAUSE_RE,
    TO_RE,
    TOLD_OBJECT_RE,
    TRAILING_AUX_RE,
)
from suggestions.attribution.kinds import (
    ANONYMOUS,
    DOCUMENT,
    GOVERNMENT,
    MEDIA,
    ORGANISATION,
    PERSON,
    bare_word,
    classify,
)
from suggestions.attribution.lexicon import (
    ACT,
    ADVERB_CONFIDENCE,
    AGENT_NEEDED,
    ANNOUNCE,
    ANNOUNCE_QUOTED_ONLY,
    COMPLEMENT,
    COORDINATE_OK,
    CUE_WORDS,
    INVERTIBLE,
    NOUN_CUES,
    NOUN_FOLLOWERS,
    NOUN_FORMS,
    PARTICIPLE,
    PASSIVE_OK,
    PASSIVE_ONLY,
    PRONOUN_SUBJECTS,
    QUOTE_ONLY,
    RECORDING,
    REQUEST,
    RESEARCHERS,
    REVEAL,
    SAY,
    SOFT_STANCE,
    SPEECH,
    STANCE,
    STRICT_COMPLEMENT,
    TALLY,
    WEAK,
)
from suggestions.attribution.phrases import noun_phrase_after
from suggestions.attribution.quotes import AFTER_QUOTE_RE, QUOTE_BEFORE_RE, QUOTE_FOLLOW_RE, inside_quote, next_to_quote
from suggestions.attribution.subjects import (
    author_span,
    inverted_subject,
    main_subject,
    name_only,
    subject_before,
    subject_before_appositive,
    trailing_name,
    trailing_noun_phrase,
)

# Candidates this close to the most confident one compete on position (the earliest wins).
CONFIDENCE_MARGIN = 0.16


# Cached: the learned model's features and its spans look at the same sentence twice.
@lru_cache(maxsize=4096)
def find_attribution(text: str) -> Attribution | None:
    """The attribution of one sentence, or None when no reporting cue is found.

    Patterns: "<source>[, appositive,] <cue> …", "…, <source> said." / "…, said <source>.",
    "according to <source>", "as reported by / citing <source>", "Reports indicate …" and sourceless
    cues ("reportedly", "is said to"). The source of the main clause wins: the earliest candidate
    whose confidence is within CONFIDENCE_MARGIN of the most confident one ("Brudziński said …;
    TVN24 reported …" -> Brudziński).
    """
    candidates = [c for c in (cue_candidate(text, match) for match in CUE_RE.finditer(text)) if c is not None]
    if not candidates:
        return None
    top = max(candidate.confidence for candidate in candidates)
    chosen = min(
        (c for c in candidates if c.confidence >= top - CONFIDENCE_MARGIN),
        key=lambda c: c.cue_span[0],
    )
    if _is_adjunct(text, chosen):
        # "Per reports, the sources said …", "Pelosi called it a breach, according to NBC": the main
        # clause's own reporting verb (dev set), not the adjunct that frames it
        verbs = [
            c for c in candidates if not _is_adjunct(text, c) and c.confidence >= 0.5 and c.source_span != c.cue_span
        ]
        if verbs:
            return min(verbs, key=lambda c: c.cue_span[0])
    return chosen


def _is_adjunct(text: str, attribution: Attribution) -> bool:
    cue = text[attribution.cue_span[0] : attribution.cue_span[1]].lower()
    return cue.startswith(("according", "as reported")) or cue == "per" or cue in NOUN_CUES


def cue_candidate(text: str, match: re.Match[str]) -> Attribution | None:
    start, end = match.span()
    if inside_quote(text, start):
        return None  # the quoted speaker's own words ("“They have conceded nothing,” …"), not our report
    quote_factor = 1.0
    if match.group("according") or match.group("asby") or match.group("citing"):
        base = 0.9 if match.group("according") else 0.75 if match.group("asby") else 0.5
        source = nested_source(text, noun_phrase_after(text, end))
        if (match.group().lower() == "per" or match.group("citing")) and not is_cited_source(text, source):
            return None  # "Per the request, …", "citing their refusal to …" name no source; "Per the decree" does
        return with_source(text, source, (start, end), base)
    if match.group("asverb"):
        # "As revealed at trial, …", "as reported by local media": the source follows the preposition
        source = by_agent(text, end) if text.startswith(" by ", end) else source_after_preposition(text, end)
        return with_source(text, source, match.span("asword"), 0.75) if source else None
    if match.group("nounby"):
        agent = noun_phrase_after(text, end + len(" by"))
        return with_source(text, agent, (start, end), 0.75 * quote_factor) if agent else None
    if match.group("colon") is not None:
        return colon_candidate(text, start, quote_factor)
    if match.group("statement"):
        # "Facebook released a statement which read, …": its author is the source
        if not STATEMENT_CONTENT_RE.match(text, end):
            return None
        subject = subject_before(text, len(TRAILING_AUX_RE.sub("", text[:start]).rstrip()))
        return with_source(text, subject, (start, end), 0.8 * quote_factor) if subject else None
    if match.group("quoted"):
        left = BE_OR_HAS_RE.sub("", text[:start])
        return with_source(text, subject_before(text, len(left)), (start, end), 0.8 * quote_factor)
    word = match.group("pointed") or match.group("word")
    request = False
    if word in ADVERB_CONFIDENCE:
        # "reportedly" with no named source: source and cue are both the adverb (dev-set convention);
        # "X reportedly said" is taken by the verb's candidate, whose cue span starts at the adverb.
        return Attribution(
            (start, end), (start, end), text[start:end], ANONYMOUS, round(ADVERB_CONFIDENCE[word] * quote_factor, 3)
        )
    if word in PARTICIPLE:
        # "…, saying …", "with officials saying …": the speaker is named before, else a gerund
        # ("mandate reporting abuse")
        source = participle_subject(text, start)
        return with_source(text, source, (start, end), 0.65 * quote_factor) if source is not None else None
    if word in NOUN_FORMS:
        following = NEXT_WORD_RE.match(text, end)
        if following and (following.group(1) in CUE_WORDS or following.group(1) in NOUN_FOLLOWERS):
            return None
        if POSSESSIVE_BEFORE_RE.search(text, 0, start):
            return None  # "Protesters' demands include …"
    if word.startswith("claim") and (
        ACT_OBJECT_RE.match(text, end)
        or not (
            AFTER_QUOTE_RE.search(text, 0, start)
            or ACT_FOLLOW_RE.match(text, end)
            or CLAUSE_AHEAD_RE.match(text, end)
            or QUOTE_BEFORE_RE.search(text, 0, start)
            or COMPLEMENT_FOLLOW_RE.match(text, end)
        )
    ):
        return None  # "claimed responsibility", "claimed control of the airport": acts
    if ADJECTIVE_BEFORE_RE.search(text, 0, start) or (word == "alleged" and ALLEGED_NOUN_RE.match(text, end)):
        return None  # "over alleged plots", "the reported attack", "has alleged ties to"
    after_quote = bool(AFTER_QUOTE_RE.search(text, 0, start))
    clause_final = bool(FINAL_RE.match(text, end)) and ", " in text[:start]
    reported_clause = (
        ACT_FOLLOW_RE.match(text, end) or QUOTE_BEFORE_RE.search(text, 0, start) or after_quote or clause_final
    )
    if word in INVERTIBLE and text[:start].rstrip().endswith(",") and PARENTHETICAL_INVERSION_RE.match(text, end):
        reported_clause = True  # "Because only Congress may allocate funds, reads the motion, the …"
    act_without_clause = (
        word in ACT
        and not reported_clause
        and (word in ANNOUNCE or not CLAUSE_AHEAD_RE.match(text, end))
        and not (word in ANNOUNCE_QUOTED_ONLY and THIRD_PARTY_CLAUSE_RE.match(text, end))
    )
    if act_without_clause and word not in REVEAL:
        return None
    third_party = False
    if word in ANNOUNCE_QUOTED_ONLY and not (QUOTE_FOLLOW_RE.match(text, end) or after_quote or clause_final):
        # "announced that her government will withdraw the bill": the announcement is the news; "announced
        # the Department of Justice was investigating": a report of what someone else did
        if not THIRD_PARTY_CLAUSE_RE.match(text, end):
            return None
        third_party = True
    if word in ("denied", "denies", "deny") and DENIED_ACT_RE.match(text, end):
        return None  # "Congress has repeatedly denied funding": a refusal, not a statement
    if word in REQUEST and not INFINITIVE_AHEAD_RE.match(text, end):
        return None
    if word in ("rejected", "rejects", "dismissed") and not SPEECH_OBJECT_RE.match(text, end):
        return None  # "rejected the bill", "dismissed the case": acts
    if word in ("called", "calls"):
        if CALLED_PARTICLE_RE.match(text, end):
            return None
        on_for = CALLED_ON_RE.match(text, end)
        if on_for:
            end = on_for.end()
            request = True
    if word in QUOTE_ONLY and not next_to_quote(text, start, end):
        return None
    if word == "referred":
        if not text.startswith(" to ", end):
            return None
        end += len(" to")
    left = text[:start]
    passive = BE_AUX_RE.search(left)
    if word in PASSIVE_ONLY and not passive:
        return None
    if not passive and word.endswith("ed") and text.startswith(" by ", end) and not word.startswith("claim"):
        # "A cargo plane, reported by local press as belonging to …": a reduced passive with its agent
        agent = by_agent(text, end)
        if agent is not None and (word in PASSIVE_OK or word in SAY or word in STANCE):
            return with_source(text, agent, (start, end), 0.7 * quote_factor)
    if not passive and word in PASSIVE_OK and word != "claimed" and REDUCED_PASSIVE_RE.match(text, end):
        return sourceless_attribution(text, start, end, 0.45 * quote_factor)
    if passive:
        if word not in PASSIVE_OK:
            # "The decision was criticised by rights groups": only with the agent named.
            agent = by_agent(text, end) if (word in SAY or word in STANCE) and text.startswith(" by ", end) else None
            return with_source(text, agent, (passive.start(), end), 0.7 * quote_factor) if agent else None
        if word in ("told", "asked") and TO_RE.match(text, end):
            return None  # "Residents were told to stay off the roads": an instruction, not a report
        agent = by_agent(text, end)
        if agent:
            return with_source(text, agent, (passive.start(), end), 0.75 * quote_factor)
        if (
            word in AGENT_NEEDED
            or NEGATED_SUBJECT_RE.search(left)
            or NEGATION_RE.search(passive.group())  # "Protests are not reported in Mosul"
            or REPORTED_TO_RE.match(text, end)
            or text.startswith(" missing", end)  # "was reported missing": a missing-person report
        ):
            return None  # "K2-18b was first identified in 2015", "no deaths were reported": no report
        return sourceless_attribution(text, passive.start(), end, 0.5 * quote_factor)
    if word == "told":
        told_object = TOLD_OBJECT_RE.match(text, end)
        if told_object:
            end = told_object.end()
    aux = TRAILING_AUX_RE.search(left)
    trimmed = left[: aux.start()].rstrip() if aux else left.rstrip()
    cue_start = start
    if aux and HEDGE_ADVERB_RE.search(aux.group()):
        cue_start = aux.start() + len(aux.group()) - len(aux.group().lstrip())  # "reportedly said"
    span: tuple[int, int] | None = None
    inverted = False
    # After a comma or a closing quote: an appositive ("X, a group, said") or an inversion ("…,” said X).
    closing_quote = trimmed.endswith(("”", '"', "’", "'")) and (trimmed[-2:-1] in ",.!?" or word in INVERTIBLE)
    if trimmed.endswith(",") or closing_quote:
        if trimmed.endswith(","):
            span = subject_before_appositive(text, len(trimmed) - 1)
        if span is None and word in INVERTIBLE and not trimmed.endswith(","):
            span = inverted_subject(text, end)
            inverted = True
        if span is None and trimmed.endswith(","):
            if word in INVERTIBLE:
                span = inverted_subject(text, end)
                inverted = span is not None
            if span is None:
                # "Both he and the county's commissioner, urged …": a stray comma before the verb
                span = subject_before(text, len(trimmed) - 1)
                if span is not None and classify(text[span[0] : span[1]])[1] < 0.9:
                    span = None
    elif relative := RELATIVE_END_RE.search(trimmed):
        # "Prime Minister Tuilaepa, who told the press …": the source is the antecedent.
        span = (
            trailing_name(text, relative.start())
            or subject_before(text, relative.start())
            or trailing_noun_phrase(text, relative.start())
        )
    elif coordinate := COORDINATE_END_RE.search(trimmed):
        # "The agency did not mention …, but said …": the subject of the first verb, for plain
        # speech verbs or a reported clause only ("… and confirmed their conclusion" is no report).
        if word not in COORDINATE_OK and word not in REQUEST and not COMPLEMENT_FOLLOW_RE.match(text, end):
            return None
        span = main_subject(text, coordinate.start())
    else:
        span = subject_before(text, len(trimmed))
    if span is None:
        return None
    span = name_only(text, author_span(text, span))
    kind, certainty = classify(text[span[0] : span[1]])
    if act_without_clause and kind not in (MEDIA, DOCUMENT):
        return None  # "the newspaper revealed a deal" reports; "the mayor revealed a plaque" does not
    if (
        word in RECORDING
        and kind != DOCUMENT
        and not (word in TALLY and kind in (GOVERNMENT, ORGANISATION) and COUNT_AHEAD_RE.match(text, end))
    ):
        # "CCTV captured …", "authorities recorded 12 new cases" report; "Rebels captured 12 villages" does not
        return None
    if (
        word in ("found", "find", "finds")
        and kind != DOCUMENT
        and bare_word(text[span[0] : span[1]].split()[-1]) not in RESEARCHERS
        and not (THAT_FOLLOW_RE.match(text, end) or CLAUSE_AHEAD_RE.match(text, end))
    ):
        return None  # "Police found the body" is an act; "the study found", "they found that" report
    if word in WEAK and (certainty < 0.9 or kind == PERSON and certainty < 1.0):
        # "Recent developments suggest a shift" is none; "they found that …", "Northern Ireland has
        # suggested people “think about” it" (a name, then a reported clause or a quotation) report
        named = is_proper(text, span) or text[span[0] : span[1]].lower() in PRONOUN_SUBJECTS
        if not (
            THAT_FOLLOW_RE.match(text, end)
            or named
            and (CLAUSE_AHEAD_RE.match(text, end) or QUOTE_SOON_RE.match(text, end))
        ):
            return None
        certainty = min(certainty, 0.8)
    needs_complement = (word in STRICT_COMPLEMENT and kind not in (DOCUMENT, MEDIA)) or (
        word in COMPLEMENT and certainty < 1.0 and not is_proper(text, span)
    )
    if (
        needs_complement
        and not inverted
        and not (COMPLEMENT_FOLLOW_RE.match(text, end) or CLAUSE_AHEAD_RE.match(text, end))
    ):
        return None
    if (
        aux
        and NEGATION_RE.search(aux.group())
        and not (
            THAT_FOLLOW_RE.match(text, end) or CLAUSE_AHEAD_RE.match(text, end) or COMPLEMENT_FOLLOW_RE.match(text, end)
        )
    ):
        return None  # "has not commented on the report": no statement; "did not find the network had …" reports
    if word in SPEECH and span[1] <= start and (kind != ANONYMOUS or certainty >= 0.6):
        certainty = max(certainty, 0.9)  # "The coach said", "Trump said": a plain verb of saying is sure of its subject
    if word in SOFT_STANCE and certainty < 0.9 and not (THAT_FOLLOW_RE.match(text, end) or TO_RE.match(text, end)):
        return None  # "Storm threatened the coast"
    # requests ("invited him to collaborate") and stances are weaker than speech: the model weighs them
    if word in SOFT_STANCE or third_party:
        base = 0.55
    elif word in REQUEST:
        base = 0.6
    elif word in STANCE and not request:
        base = 0.65
    else:
        base = 0.85
    cue_span = (cue_start, end)
    if span[1] <= start and text[span[0] : span[1]].lower() == "reports":
        cue_span = (span[0], end)  # "Reports indicate": the collective is part of the cue
    return Attribution(span, cue_span, text[span[0] : span[1]], kind, round(base * certainty * quote_factor, 3))
