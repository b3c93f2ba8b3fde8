"""The source of a cue: the subject before it (past opening phrases, conjunctions, appositives
and asides), the inverted subject after it, the antecedent of "who", the author of a statement."""

from __future__ import annotations

import re

from suggestions.attribution.contexts import TRAILING_AUX_RE
from suggestions.attribution.kinds import (
    ANON_HEADS,
    DOCUMENT,
    PERSON,
    PLURAL_HEADS,
    ROLE_WORDS,
    SPEAKER_HEADS,
    TITLES,
    bare_word,
    classify,
    has_source_head,
    is_name_shape,
    is_name_word,
)
from suggestions.attribution.lexicon import (
    ADJECTIVES_ED_ING,
    CLAUSE_WORDS,
    CUE_WORDS,
    DETERMINERS,
    MAIN_VERB_STOP,
    OPENING_ADVERBS,
    OPENING_PREPOSITIONS,
    PREPOSITIONS,
    REDUCED_RELATIVE,
    VEHICLE_HEADS,
    is_verb_form,
)
from suggestions.attribution.phrases import (
    TOKEN_RE,
    comma_before,
    ends_with_name,
    in_abbreviation,
    is_appositive,
    is_short_name,
    is_subject,
    noun_phrase_after,
    trim_span,
)

# Where a subject noun phrase can start: punctuation, quotes and clause openers.
BOUNDARY_RE = re.compile(
    r"[,;:()\[\]“”\"]|(?<!\w)[—–]|[—–](?!\w)|\s-\s|(?<=[.!?])[’']"
    r"|\b(?:that|but|while|whereas|when|after|because|since|although|though|where|if|so|then|which|who|whom"
    r"|and(?=\s+(?:the|a|an|its|their|his|her|other|some|many|several|most|all|both|each|every)\b))\b"
)


LEADING_CONJUNCTION_RE = re.compile(
    r"(?:(?:But|And|Yet|So|However|Meanwhile|Now|Still|Also|Separately|Earlier|Later|Instead|Then|Additionally"
    r"|Moreover|Furthermore|Likewise|Similarly|Subsequently|Afterwards|Eventually|Finally|Initially|Previously"
    r"|Ultimately|Nevertheless|Nonetheless|Thus|Therefore|Again|Indeed|Notably|Elsewhere|Separately|Currently)\s+)+"
)


LEADING_TIME_RE = re.compile(
    r"(?:(?:On|This|Last|Next|Earlier|Later|Late|Early|Since|By|In)\s+(?:this\s+week\s+)?(?:on\s+)?"
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|week|month|year|morning|night|January|February"
    r"|March|April|May|June|July|August|September|October|November|December|\d{4})"
    r"(?:\s+(?:morning|afternoon|evening|night|\d{1,2}(?:,\s+\d{4})?))?\s+"
    # "A few days later", "Hours after the attack", "The next day", "Later that week"
    r"|(?:(?:A|One|Two|Three|Four|Five|Several|A\s+few|A\s+couple\s+of|Some)\s+)?(?:(?:days?|weeks?|months?|years?"
    r"|hours?|minutes?|Days|Weeks|Months|Years|Hours|Minutes)\s+)(?:later|earlier|afterwards|after|before|ago)\s+"
    r"|(?:The|That|This)\s+(?:next|following|same|previous)\s+(?:day|week|month|morning|evening|night|year)\s+"
    r"|(?:Later|Earlier)\s+(?:that|this|the\s+same)\s+(?:day|week|month|morning|evening|night|year)\s+"
    r"|(?:At\s+the\s+time|In\s+response|In\s+turn|Soon\s+after(?:wards)?|Shortly\s+(?:after(?:wards)?|before))\s+)+"
)


NAME_RUN_RE = re.compile(r"(?:\b[A-Z][\w’'.-]*\s+){0,5}[A-Z][\w’'.-]*\s*$")


TIME_ONLY_RE = re.compile(
    r"^(?:(?:on|last|this|early|late|by|in)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|\d{4}|yesterday|today)\b"
)


RELATIVE_RE = re.compile(r"\s(?:who|which|that)\s")


DETERMINER_START_RE = re.compile(r"\b(?:the|a|an|The|A|An)\s")


def main_subject(text: str, before: int, start: int = 0) -> tuple[int, int] | None:
    """The subject of the first clause of text[start:before], after leading adverbials ("On Monday, …")."""
    position = start
    # Skip opening adverbials and participle phrases that end with a comma: "In his victory speech, ".
    while True:
        comma = text.find(",", position, before)
        if comma < 0:
            break
        opener = text[position:comma].strip()
        first = opener.split(None, 1)[0].lower() if opener else ""
        # a participle phrase has no finite verb of its own: "Speaking on TV," (but not "Boeing did …,")
        participle = first.endswith("ing") and not any(w.lower() in CLAUSE_WORDS for w in opener.split()[1:])
        if first in OPENING_PREPOSITIONS or participle or first in OPENING_ADVERBS or TIME_ONLY_RE.match(opener):
            if not text[comma + 1 : before].strip(" ,"):
                break  # "In the filing itself Ford also made this point, writing": the clause is the subject's
            position = comma + 1
            continue
        break
    end = None
    tokens = list(TOKEN_RE.finditer(text, position, before))
    for index, token in enumerate(tokens):
        word = token.group()
        lower = word.lower()
        if index == 0:
            continue
        if "," in text[tokens[index - 1].end() : token.start()]:
            end = tokens[index - 1].end()  # "The rebel offensive, primarily driven by …": the head before the comma
            break
        if lower in CLAUSE_WORDS or lower in CUE_WORDS or lower in MAIN_VERB_STOP:
            end = token.start()
            break
        if word[0].islower() and is_verb_form(lower, word) and lower not in ADJECTIVES_ED_ING:
            end = token.start()
            break
        if (
            word[0].islower()
            and lower.endswith("s")
            and not lower.endswith(("'s", "’s"))
            and tokens[index - 1].group()[0].isupper()
            and tokens[index - 1].group().lower() not in DETERMINERS
            and lower not in PLURAL_HEADS
        ):
            end = token.start()  # "Tesco continues"
            break
    if end is None:
        return None
    aux = TRAILING_AUX_RE.search(text, position, end)
    # "In the filing itself Ford also made …": subject_from skips the opening phrase and conjunctions
    span = subject_from(text, position, aux.start() if aux else end)
    return appositive_name(text, span) if span is not None else None


def subject_before(text: str, end: int) -> tuple[int, int] | None:
    """The noun phrase that ends at `end` and starts at the nearest clause boundary."""
    starts = [0]
    last = None
    for boundary in BOUNDARY_RE.finditer(text, 0, end):
        if in_abbreviation(text, boundary.start()):
            continue
        starts.append(boundary.end())
        last = boundary
    span = subject_from(text, starts[-1], end)
    if span is not None and last is not None and last.group() == "and" and len(starts) > 1:
        # "Trump and his supporters claimed": a short name joined to the phrase by "and"
        first = trim_span(text, starts[-2], last.start())
        if first is not None and is_short_name(text[first[0] : first[1]]):
            return (first[0], span[1])
    if (
        span is None
        and len(starts) > 1
        and text[starts[-1] - 5 : starts[-1]].lower().endswith(("who", "which", "whom"))
    ):
        # "Residents who fled said": the phrase before a short relative clause.
        span = subject_from(text, starts[-2], end)
    return span


def subject_from(text: str, start: int, end: int) -> tuple[int, int] | None:
    span = trim_span(text, start, end)
    if span is None:
        return None
    conjunction = LEADING_CONJUNCTION_RE.match(text, span[0], span[1])
    if conjunction:
        span = trim_span(text, conjunction.end(), span[1])
    time = LEADING_TIME_RE.match(text, span[0], span[1]) if span is not None else None
    if time and span is not None and time.end() < span[1]:
        span = trim_span(text, time.end(), span[1])  # "This Thursday the commission criticized …"
    if span is None or is_subject(text[span[0] : span[1]]):
        return span
    relative = RELATIVE_RE.search(text, span[0], span[1])
    if relative and len(text[relative.end() : span[1]].split()) <= 8:
        head = trim_span(text, span[0], relative.start())
        if head is not None and is_subject(text[head[0] : head[1]]):
            return head
    # "Greek prime minister Kyriakos Mitsotakis speaking to the Atlantic Council called": cut the participle.
    for token in TOKEN_RE.finditer(text, span[0], span[1]):
        word = token.group()
        lower = word.lower()
        if (
            token.start() > span[0]
            and is_verb_form(lower, word)
            and (lower.endswith("ing") or lower in REDUCED_RELATIVE)
        ):
            head = trim_span(text, span[0], token.start())
            if head is not None and is_subject(text[head[0] : head[1]]):
                return head
            break
    # "In a statement the ministry said": skip an opening prepositional phrase without a comma.
    if text[span[0] : span[1]].split(None, 1)[0].lower() in OPENING_PREPOSITIONS:
        determiners = list(DETERMINER_START_RE.finditer(text, span[0] + 1, span[1]))
        if determiners:
            head = trim_span(text, determiners[-1].start(), span[1])
            if head is not None and is_subject(text[head[0] : head[1]]):
                return head
        # "For several days Iran denied …": the name that ends the phrase
        name = trailing_name(text, span[1])
        if name is not None and name[0] > span[0] and is_subject(text[name[0] : name[1]]):
            return name
    return None


NAME_OF_RE = re.compile(r"\s+(?:of|from|at)\s+(?:(?:the|a|an)\s|[A-Z])")


def name_only(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A person's or body's name without the organisation after it ("Arnel dela Vega of the army's
    Western Mindanao Command" -> "Arnel dela Vega"); a role keeps it ("the head of the police")."""
    cut = NAME_OF_RE.search(text, span[0], span[1])
    if cut is None:
        return span
    words = text[span[0] : cut.start()].split()
    if (
        len(words) >= 2
        and all(is_name_word(word) for word in words[-2:])
        and words[-1] not in TITLES
        and bare_word(words[-1]) not in ROLE_WORDS
        and classify(" ".join(words))[0] == PERSON
    ):
        return (span[0], cut.start())  # "Sheldon Yett of UNICEF"; not "US Secretary of State Mike Pompeo"
    return span


def trailing_noun_phrase(text: str, end: int) -> tuple[int, int] | None:
    """The noun phrase that ends at `end` after a preposition or verb: "requests for leniency from
    Fields' lawyers, who argued" -> "Fields' lawyers"."""
    tokens = list(TOKEN_RE.finditer(text, max(0, end - 120), end))
    start = None
    for token in reversed(tokens[-6:]):
        lower = token.group().lower()
        if lower in PREPOSITIONS or lower in CLAUSE_WORDS or (lower in CUE_WORDS and token.group().islower()):
            break
        start = token.start()
        if lower in DETERMINERS:
            break
    if start is None:
        return None
    span = trim_span(text, start, end)
    if span is None or not is_subject(text[span[0] : span[1]]) or not has_source_head(text[span[0] : span[1]]):
        return None
    return span


def trailing_name(text: str, end: int) -> tuple[int, int] | None:
    """The capitalised name (titles included) that ends at `end`: "… the home of Prime Minister Tuilaepa"."""
    run = NAME_RUN_RE.search(text, 0, end)
    if run is None:
        return None
    span = trim_span(text, run.start(), end)
    return span if span is not None and classify(text[span[0] : span[1]])[1] >= 0.8 else None


def subject_before_appositive(text: str, comma: int) -> tuple[int, int] | None:
    """The subject before an appositive: "The White Helmets, an opposition rescue service, affirmed";
    a name in apposition to a role is the source itself ("Merkel's spokesperson, Steffen Seibert, said")."""
    previous = comma_before(text, comma)
    if previous < 0:
        return None
    appositive = text[previous + 1 : comma]
    if not is_appositive(appositive):
        return None
    earlier = comma_before(text, previous)
    if (
        earlier >= 0
        and is_appositive(text[earlier + 1 : previous])
        and text[earlier + 1 : previous].split()[0]
        in (
            "of",
            "from",
            "at",
        )
    ):
        # "Anderson Cooper, of CNN, one of her four sons, stated": a chain of appositives
        return subject_before_appositive(text, previous)
    head = subject_before(text, previous)
    name = trim_span(text, previous + 1, comma)
    if head is not None and name is not None:
        head_words = text[head[0] : head[1]].split()
        name_words = text[name[0] : name[1]].split()
        role = (
            any(
                bare_word(w) in SPEAKER_HEADS or bare_word(w) in ROLE_WORDS or bare_word(w) in ANON_HEADS
                for w in head_words
            )
            or head_words[-1].lower().endswith(("’s", "'s"))
            or all(w[0].islower() for w in head_words[1:])  # "One news site, Znak.com, claims"
            or head_words[0] in ("A", "An", "a", "an")  # "A Republican Assemblywoman, Jill Tolles, said"
        )
        if role and ends_with_name(name_words):
            return name
    return head


def appositive_name(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The name in apposition after a role: "Another former Trump adviser, Sebastian Gorka, also …"."""
    apposition = APPOSITIVE_NAME_RE.match(text, span[1])
    if apposition is None:
        return span
    words = text[span[0] : span[1]].split()
    role = any(bare_word(w) in ROLE_WORDS or bare_word(w) in SPEAKER_HEADS for w in words)
    name = trim_span(text, *apposition.span("name"))
    if role and name is not None and is_name_shape(text[name[0] : name[1]].split()):
        return name
    return span


def inverted_subject(text: str, cue_end: int) -> tuple[int, int] | None:
    """The inverted subject after the cue, ending the clause: "…,” said Gen. Jones." or "…," said Ryan
    Cloutier of the Harvard–Smithsonian Center, who …"."""
    span = noun_phrase_after(text, cue_end, max_tokens=8)
    if span is None or text[span[0] : span[1]].lower() in NOT_A_SPEAKER or not has_source_head(text[span[0] : span[1]]):
        return None  # "…, said no.", "…, reported a loss of $5 million"
    # A name followed by its organisation: the span is the name ("Ryan Cloutier of the … Center").
    for token in TOKEN_RE.finditer(text, span[0], span[1]):
        if token.start() > span[0] and token.group() in ("of", "from", "at", "for", "with") and text[span[0]].isupper():
            head = trim_span(text, span[0], token.start())
            if head is not None:
                span = head
                break
    rest = text[span[1] :]
    clause_end = re.match(r"\s*(?:(?:of|from|at|for|with)\s+[^,;.!?]{1,80})?", rest)
    rest = rest[clause_end.end() :].lstrip() if clause_end else rest.lstrip()
    if rest and rest[0] not in ',.;!?“"' and not rest.startswith(("in ", "on ", "adding", "noting", "citing")):
        return None
    # "… said his father, Abdullah Kurdi, following …": a role followed by the person's name
    words = text[span[0] : span[1]].split()
    apposition = APPOSITIVE_NAME_RE.match(text, span[1])
    if apposition and any(bare_word(word) in ROLE_WORDS or bare_word(word) in SPEAKER_HEADS for word in words):
        name = trim_span(text, *apposition.span("name"))
        if name is not None and is_name_shape(text[name[0] : name[1]].split()):
            return name
    return span


NOT_A_SPEAKER = frozenset(("no", "yes", "nothing", "so", "this", "that", "it", "otherwise", "little", "more"))


APPOSITIVE_NAME_RE = re.compile(r",\s*(?P<name>[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){1,3})\s*(?=[,.;]|$)")


# "a statement by the Presidential Spokesperson Harry Roque", "a recent report from Reuters": the author.
VEHICLE_BY_RE = re.compile(
    r"(?:[\w’'.,-]+\s+){0,4}?(?:" + "|".join(sorted(VEHICLE_HEADS)) + r")s?(?:\s+[^\s,;:]+){0,4}?\s+(?:by|from)\s+"
)


def author_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The author inside a vehicle phrase ("a tweet on Monday by X" -> X); else the span itself."""
    vehicle = VEHICLE_BY_RE.match(text, span[0], span[1])
    if vehicle is None:
        return span
    author = trim_span(text, vehicle.end(), span[1])
    if author is None or not is_subject(text[author[0] : author[1]]):
        return span
    if vehicle.group().rstrip().endswith("from"):
        # "a statement from the ministry" is the ministry's; "footage from the scene" has no author
        kind, certainty = classify(text[author[0] : author[1]])
        if kind == DOCUMENT or certainty < 0.9 or not has_source_head(text[author[0] : author[1]]):
            return span
    return author
