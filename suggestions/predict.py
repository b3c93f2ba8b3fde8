"""Suggested marks: a label, a calibrated confidence and attribution spans for each sentence.

Suggestions are made per article (a sentence's neighbours and position are features). The rule
finder (suggestions/attribution/) supplies spans; the label and its confidence come from the label
model (the active trained one, else the shipped default), or from the rules when neither is usable.
Suggestions are never stored as marks; a mark accepted from one records that it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from annotate.codebook import Label
from suggestions.attribution import (
    PERSON,
    Attribution,
    caption_positions,
    find_attribution,
    is_boilerplate,
    suggest_label,
)
from suggestions.features import article_features
from suggestions.model import Suggester, active_suggester, fallback_suggester
from suggestions.registry import SourceIndex, load_source_index

OTHER_CONFIDENCE = 0.95
# A reporting cue this sure makes the sentence an attribution whatever the model says; the model's
# probability of that label stays the confidence (a surprising override is a hint, not pre-filled).
RULE_OVERRIDE = 0.7
Labelled = tuple[str, float, Attribution | None]


def label_article(texts: Sequence[str], *, published: date | None, suggester: Suggester) -> list[Labelled]:
    """(label, confidence, attribution found) for each sentence of one article, in order.

    Boilerplate ("Original Source:", bylines, picture credits) and picture captions (the sentence
    before a credit line) are `other` by rule. Without a model the rules label
    each sentence alone and their confidence is not calibrated.
    """
    captions = caption_positions(texts)
    if suggester.model is None:
        return [
            (Label.OTHER.value, OTHER_CONFIDENCE, None) if i in captions else suggest_label(text)
            for i, text in enumerate(texts)
        ]
    attributions = [find_attribution(text) for text in texts]
    rows = article_features(texts, published, attributions)
    probabilities = suggester.model.probabilities(rows)
    classes = suggester.model.classes
    labelled: list[Labelled] = []
    for i, (text, attribution, row) in enumerate(zip(texts, attributions, probabilities, strict=True)):
        if i in captions or is_boilerplate(text):
            labelled.append((Label.OTHER.value, OTHER_CONFIDENCE, None))
            continue
        best = int(row.argmax())
        sure_cue = RULE_OVERRIDE is not None and attribution is not None and attribution.confidence >= RULE_OVERRIDE
        if sure_cue and Label.ATTRIBUTION.value in classes:
            best = classes.index(Label.ATTRIBUTION.value)
        labelled.append((classes[best], round(float(row[best]), 3), attribution))
    return labelled


# (model version, published, texts) -> labels of that article: the annotation page asks again for
# the same article on every view; the registry match is redone each time (the registry changes).
_memo: dict[tuple[str, date | None, tuple[str, ...]], list[Labelled]] = {}
_memo_size = 0
MEMO_SIZE = 50_000  # sentences


def _labelled(texts: Sequence[str], published: date | None, suggester: Suggester, memo: bool) -> list[Labelled]:
    global _memo_size
    if not memo or len(texts) > MEMO_SIZE:
        return label_article(texts, published=published, suggester=suggester)
    key = (suggester.version, published, tuple(texts))
    found = _memo.get(key)
    if found is None:
        found = label_article(texts, published=published, suggester=suggester)
        if _memo_size + len(texts) > MEMO_SIZE:
            _memo.clear()
            _memo_size = 0
        _memo[key] = found
        _memo_size += len(texts)
    return found


def clear_memo() -> None:
    global _memo_size
    _memo.clear()
    _memo_size = 0


def suggest_article(
    texts: Sequence[str],
    *,
    published: date | None = None,
    suggester: Suggester | None = None,
    index: SourceIndex | None = None,
    memo: bool = False,
) -> list[dict]:
    """One suggestion per sentence of one article (spans are offsets into that sentence's text).

    Keys: label, confidence, prefill, source_span, cue_span, source_name, source_kind, source_id,
    model_version. `prefill` is true when the confidence reaches the model's pre-fill threshold (the
    confidence at which held-out suggestions were right 95 % of the time); rules never pre-fill.
    Spans and the source are given for `attribution` only; a pronoun or a bare surname is resolved to
    the fuller name the article gave before ("he" -> "Delfin Lorenzana") for `source_name` and the
    registry match. Pure apart from what is passed in. With `memo`, labels are remembered per
    (model version, article) in this process; only for stored, uniquely versioned models.
    """
    suggester = suggester or fallback_suggester()
    if not texts:
        return []
    labelled = _labelled(texts, published, suggester, memo)
    threshold = suggester.model.prefill_threshold if suggester.model is not None else None
    names = _resolved_names(labelled)
    return [
        _suggestion(label, confidence, attribution, name, suggester.version, threshold, index)
        for (label, confidence, attribution), name in zip(labelled, names, strict=True)
    ]


def suggest_texts(
    texts: Sequence[str],
    *,
    suggester: Suggester | None = None,
    index: SourceIndex | None = None,
    memo: bool = False,
    published: date | None = None,
) -> list[dict]:
    """suggest_article for texts that are the sentences of one article, in order."""
    return suggest_article(texts, published=published, suggester=suggester, index=index, memo=memo)


_PRONOUNS = frozenset({"he", "she", "him", "her", "i"})


def _resolved_names(labelled: Sequence[Labelled]) -> list[tuple[str, str] | None]:
    """(name, kind) per sentence for the registry: the found name, or for a pronoun or a bare
    surname the latest fuller person's name that the article gave before it."""
    people: list[str] = []
    names: list[tuple[str, str] | None] = []
    for _, _, attribution in labelled:
        if attribution is None or attribution.source_name is None:
            names.append(None)
            continue
        name, kind = attribution.source_name, attribution.source_kind
        words = name.split()
        if len(words) == 1 and words[0].lower() in _PRONOUNS and people:
            name, kind = people[-1], PERSON
        elif len(words) == 1 and words[0][:1].isupper():
            fuller = next((person for person in reversed(people) if person.split()[-1] == words[0]), None)
            if fuller is not None:
                name, kind = fuller, PERSON
        elif kind == PERSON and len(words) > 1:
            people.append(name)
        names.append((name, kind))
    return names


def _span(span: tuple[int, int] | None) -> list[int] | None:
    return None if span is None else [span[0], span[1]]


def _suggestion(
    label: str,
    confidence: float,
    attribution: Attribution | None,
    name: tuple[str, str] | None,
    version: str,
    threshold: float | None,
    index: SourceIndex | None,
) -> dict:
    suggestion: dict[str, Any] = {
        "label": label,
        "confidence": confidence,
        "prefill": threshold is not None and confidence >= threshold,
        "source_span": None,
        "cue_span": None,
        "source_name": None,
        "source_kind": None,
        "source_id": None,
        "model_version": version,
    }
    if label == Label.ATTRIBUTION and attribution is not None:
        source_name, source_kind = name if name is not None else (None, attribution.source_kind)
        source_id = index.match(source_name) if index is not None and source_name else None
        suggestion.update(
            source_span=_span(attribution.source_span),
            cue_span=_span(attribution.cue_span),
            source_name=source_name,
            source_kind=index.kinds[source_id] if source_id is not None and index is not None else source_kind,
            source_id=source_id,
        )
    return suggestion


def _published(sentence: Any) -> date | None:
    """The article's date when the sentence carries its article already (no query), else None."""
    from annotate.models import Sentence

    if isinstance(sentence, Sentence) and Sentence.article.is_cached(sentence):
        return sentence.article.published
    return None


def suggestions_for_sentences(sentences: Iterable[Any]) -> dict[int, dict]:
    """Sentence id -> suggestion (see suggest_article; spans are offsets into the sentence text).

    Sentences are grouped by article and ordered by position; each article's sentences given are
    its context. Non-reviewable sentences get none. Queries: 2 (active model, registry), 3 the first
    time a process meets a trained model version; none when there are no reviewable sentences.
    """
    wanted = [sentence for sentence in sentences if getattr(sentence, "reviewable", True)]
    if not wanted:
        return {}
    suggester = active_suggester()
    index = load_source_index()
    articles: dict[Any, list[Any]] = {}
    for sentence in wanted:
        articles.setdefault(sentence.article_id, []).append(sentence)
    found: dict[int, dict] = {}
    for group in articles.values():
        group.sort(key=lambda sentence: sentence.position)
        results = suggest_article(
            [sentence.text for sentence in group],
            published=_published(group[0]),
            suggester=suggester,
            index=index,
            memo=True,
        )
        found.update((sentence.pk, result) for sentence, result in zip(group, results, strict=True))
    return found
