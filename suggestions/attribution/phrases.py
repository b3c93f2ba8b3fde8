"""Noun phrases: tokens, the run of words after a position, trimming, and whether a phrase can be a
subject, an appositive or a name."""

from __future__ import annotations

import re

from suggestions.attribution.contexts import NEXT_WORD_RE
from suggestions.attribution.kinds import (
    KNOWN_HEADS,
    PRONOUN_KINDS,
    ROLE_WORDS,
    classify,
    is_name_shape,
    is_titled_name,
)
from suggestions.attribution.lexicon import (
    CLAUSE_WORDS,
    DETERMINERS,
    LAST_TOKEN_BAD,
    MAIN_VERB_STOP,
    OPENING_PREPOSITIONS,
    POST_STOP,
    PREPOSITIONS,
    SAY,
    STANCE,
    is_verb_form,
)
from suggestions.attribution.quotes import QUOTE_RE

DEMONSTRATIVES = frozenset(("this", "these", "those", "that"))


# "Deutsche Welle (DW)": an abbreviation in brackets belongs to the name before it.
ABBREVIATION_RE = re.compile(r"\([A-Z][\w.&-]{0,15}\)")


TOKEN_RE = re.compile(
    r"(?:Gen|Col|Lt|Maj|Capt|Sgt|Adm|Cmdr|Dr|Mr|Mrs|Ms|Prof|Sen|Rep|Gov|Rev|St|Jr|Sr|Inc|Ltd|Corp)\."
    r"|(?:[A-Z]\.){2,}|[^\W_](?:[\w’'&-]*\w)?"
)


SPACES_RE = re.compile(r"[ \t\u00a0]*")


def after_spaces(text: str, position: int) -> int:
    """`position` moved past the spaces there (SPACES_RE, which also matches none)."""
    match = SPACES_RE.match(text, position)
    assert match is not None  # (the pattern matches the empty string)
    return match.end()


def is_short_name(phrase: str) -> bool:
    words = phrase.split()
    return 1 <= len(words) <= 4 and (is_name_shape(words) or (len(words) == 1 and words[0][0].isupper()))


def in_abbreviation(text: str, position: int) -> bool:
    if text[position] == "(":
        return bool(ABBREVIATION_RE.match(text, position))
    if text[position] == ")":
        opening = text.rfind("(", max(0, position - 17), position)
        return (
            opening >= 0
            and (abbreviation := ABBREVIATION_RE.match(text, opening)) is not None
            and abbreviation.end() == position + 1
        )
    return False


def comma_before(text: str, position: int) -> int:
    """The last comma before `position` that separates phrases (not the one in "3,000")."""
    comma = text.rfind(",", 0, position)
    while comma > 0 and text[comma - 1].isdigit() and text[comma + 1 : comma + 2].isdigit():
        comma = text.rfind(",", 0, comma)
    return comma


def ends_with_name(words: list[str]) -> bool:
    """A name, perhaps after its title or role: "Jill Tolles", "doctoral candidate Maninder Thind", "Tesco"."""
    if len(words) == 1:
        return words[0][0].isupper()
    if words[0].lower() in NOT_A_TITLE:
        return False  # "such as former Representative Beto O'Rourke", "the current President of …"
    if is_name_shape(words) or is_titled_name(words):
        return True
    # lowercase titles before a name ("doctoral candidate"), not a role phrase ("the current President of …")
    return (
        len(words) <= 6
        and is_name_shape(words[-2:])
        and all(word[0].islower() and word.lower() not in NOT_A_TITLE for word in words[:-2])
    )


NOT_A_TITLE = DETERMINERS | PREPOSITIONS | frozenset(("such", "as", "including", "like", "and", "or"))


def noun_phrase_after(text: str, position: int, max_tokens: int = 9) -> tuple[int, int] | None:
    """The run of word tokens after `position`, cut at punctuation and clause words."""
    start = end = -1
    count = 0
    while count < max_tokens:
        position = after_spaces(text, position)
        token = TOKEN_RE.match(text, position)
        if token is None:
            break
        word = token.group()
        if word.lower() in POST_STOP and count > 0:
            if not _joins_a_name(text, start, end, token):
                break
            max_tokens += 3  # "German Chancellor Angela Merkel and British Prime Minister Boris Johnson"
        if count > 0 and word.islower() and (word in SAY or word in STANCE or word in MAIN_VERB_STOP):
            break  # "a statement by X said …": the verb ends the phrase
        if count > 0 and word in ("of", "from", "at") and text[start].isupper():
            following = NEXT_WORD_RE.match(text, token.end())
            if following is not None and all(w[0].isupper() for w in text[start:end].split()):
                break  # "Graciano Mijares of the police": the name, not its organisation
        if start < 0:
            start = position
        end = position = token.end()
        if text[end : end + 1] in ("'", "’") and text[end + 1 : end + 2] == " " and word.endswith("s"):
            end = position = end + 1  # "the Catholic Bishops' Conference": a plural possessive
        count += 1
        abbreviation = ABBREVIATION_RE.match(text, after_spaces(text, end))
        if abbreviation:
            end = position = abbreviation.end()
    if start < 0:
        return None
    while count > 1 and text[start:end].rsplit(None, 1)[-1].lower() in LAST_TOKEN_BAD:
        end = start + len(text[start:end].rsplit(None, 1)[0])
        count -= 1
    return trim_span(text, start, end)


LEAD_STRIP = set("\"“”‘’'([{-–—,;:.!?…*•")


TRAIL_STRIP = set("\"“”‘’'([{)]}-–—,;:!?…*•")


def _joins_a_name(text: str, start: int, end: int, token: re.Match[str]) -> bool:
    """ "and" inside a name: "the Centers for Disease Control and Prevention", "Trump and Pence"."""
    if token.group() != "and" or not text[start:end].split()[-1][:1].isupper():
        return False
    following = TOKEN_RE.match(text, after_spaces(text, token.end()))
    return following is not None and following.group()[0].isupper() and following.group() not in ("The", "A", "An")


def trim_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (text[start].isspace() or text[start] in LEAD_STRIP):
        start += 1
    while end > start and (
        text[end - 1].isspace()
        or (text[end - 1] in TRAIL_STRIP and not closes_bracket(text, start, end))
        or (text[end - 1] == "." and not (end >= 2 and text[end - 2].isupper()))
    ):
        end -= 1
    return (start, end) if start < end else None


def closes_bracket(text: str, start: int, end: int) -> bool:
    """The span ends with ")" that closes a "(" inside it: "Deutsche Welle (DW)" keeps its bracket."""
    return text[end - 1] == ")" and text.count("(", start, end) > text.count(")", start, end - 1)


def is_appositive(phrase: str) -> bool:
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 15:
        return False
    lower = [token.strip("’'.,").lower() for token in tokens]
    if QUOTE_RE.search(phrase):
        # "Republic Act No. 3846, also known as the “Radio Control Law”, states": a name in quotes
        return lower[0] in ("also", "known", "called", "dubbed", "nicknamed", "named", "so-called", "officially")
    if lower[0] in (
        "who",
        "which",
        "whose",
        "whom",
        "citing",
        "of",
        "from",
        "for",
        "at",
        "speaking",
        "quoting",
        "writing",
        "including",
        "when",
        "while",
        "asked",
        "after",
        "before",
        "speaking",
    ):
        return True
    if any(token in CLAUSE_WORDS for token in lower):
        return False
    # "a Toronto lawyer representing Spanton": a noun phrase with its own participle
    return lower[0] in ("a", "an", "the", "another") or not has_verb_form(lower, tokens)


def has_verb_form(lower: list[str], tokens: list[str]) -> bool:
    """A verb form that makes a clause; "-ed" before a preposition is a reduced relative ("published in"),
    "-ing" before a role a modifier ("engineering professor")."""
    for index, (token, original) in enumerate(zip(lower, tokens, strict=True)):
        if is_verb_form(token, original):
            following = lower[index + 1] if index + 1 < len(lower) else ""
            if token.endswith("ed") and following in PREPOSITIONS:
                continue
            if token.endswith("ing") and (following in ROLE_WORDS or following in KNOWN_HEADS):
                continue
            return True
    return False


def is_subject(phrase: str) -> bool:
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 15:
        return False
    lower = [token.strip("’'.,").lower() for token in tokens]
    if len(lower) == 1 and lower[0] in PRONOUN_KINDS:
        return True
    if len(lower) > 1 and lower[0] in DEMONSTRATIVES:
        # "this person", "these officials": a demonstrative determiner, not a clause
        lower, tokens = ["the", *lower[1:]], ["the", *tokens[1:]]
    if any(
        token in SAY or token in STANCE or token in MAIN_VERB_STOP
        for token, original in zip(lower[1:], tokens[1:], strict=True)
        if original[0].islower()
    ):
        return False  # "Netanyahu found the air strike" is a clause, not a name
    if lower[-1] in LAST_TOKEN_BAD or lower[0] in OPENING_PREPOSITIONS:
        return False
    # Acronyms are names, not clause words: "the WHO warned".
    if any(token in CLAUSE_WORDS and not original.isupper() for token, original in zip(lower, tokens, strict=True)):
        return False
    if has_verb_form(lower, tokens):
        return False
    content = [token for token in lower if token not in DETERMINERS]
    if not content or not any(character.isalpha() for character in "".join(content)):
        return False
    if tokens[0][0].islower() and lower[0] not in DETERMINERS:
        return classify(phrase)[1] >= 0.9
    return True
