"""Suggested marks: a label, a confidence and attribution spans for each sentence.

Suggestions are never stored as marks; a mark accepted from one records that it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from annotate.codebook import Label
from suggestions.attribution import Attribution, find_attribution, suggest_label
from suggestions.model import RULES, Suggester, active_suggester
from suggestions.registry import SourceIndex, load_source_index

LEARNED_CHUNK = 1000


def _span(span: tuple[int, int] | None) -> list[int] | None:
    return None if span is None else [span[0], span[1]]


# (model version, text) -> (label, confidence, attribution): the annotation page asks again for
# the same sentences on every view; the registry match is redone each time (the registry changes).
_memo: dict[tuple[str, str], tuple[str, float, Attribution | None]] = {}
MEMO_SIZE = 50_000


def _label_texts(texts: Sequence[str], suggester: Suggester) -> list[tuple[str, float, Attribution | None]]:
    if suggester.pipeline is None:
        return [suggest_label(text) for text in texts]
    classes = list(suggester.pipeline.classes_)
    # chunks small enough that find_attribution's cache still holds what the features computed
    probabilities = [
        row
        for first in range(0, len(texts), LEARNED_CHUNK)
        for row in suggester.pipeline.predict_proba(list(texts[first : first + LEARNED_CHUNK]))
    ]
    labelled = []
    for text, row in zip(texts, probabilities, strict=True):
        best = int(row.argmax())
        label = classes[best]
        # the pipeline's rule features already ran find_attribution on this text (cached)
        attribution = find_attribution(text) if label == Label.ATTRIBUTION else None
        labelled.append((label, round(float(row[best]), 3), attribution))
    return labelled


def suggest_texts(
    texts: Sequence[str], *, suggester: Suggester = RULES, index: SourceIndex | None = None, memo: bool = False
) -> list[dict]:
    """One suggestion per text (spans are offsets into that text). Pure apart from what is passed in.

    Keys: label, confidence, source_span, cue_span, source_name, source_kind, source_id, model_version.
    Spans and the source are given only when the label is `attribution`. With `memo`, labels are
    remembered per (model version, text) in this process; only for stored, uniquely versioned models.
    """
    if memo and len(texts) <= MEMO_SIZE:
        missing = list(dict.fromkeys(text for text in texts if (suggester.version, text) not in _memo))
        if len(_memo) + len(missing) > MEMO_SIZE:
            _memo.clear()
            missing = list(dict.fromkeys(texts))
        for text, found in zip(missing, _label_texts(missing, suggester), strict=True):
            _memo[suggester.version, text] = found
        labelled = [_memo[suggester.version, text] for text in texts]
    else:
        labelled = _label_texts(texts, suggester) if texts else []
    return [
        _suggestion(label, confidence, attribution, suggester.version, index)
        for label, confidence, attribution in labelled
    ]


def _suggestion(
    label: str, confidence: float, attribution: Attribution | None, version: str, index: SourceIndex | None
) -> dict:
    suggestion = {
        "label": label,
        "confidence": confidence,
        "source_span": None,
        "cue_span": None,
        "source_name": None,
        "source_kind": None,
        "source_id": None,
        "model_version": version,
    }
    if label == Label.ATTRIBUTION and attribution is not None:
        source_id = index.match(attribution.source_name) if index is not None else None
        suggestion.update(
            source_span=_span(attribution.source_span),
            cue_span=_span(attribution.cue_span),
            source_name=attribution.source_name,
            source_kind=index.kinds[source_id] if source_id is not None else attribution.source_kind,
            source_id=source_id,
        )
    return suggestion


def suggestions_for_sentences(sentences: Iterable[Any]) -> dict[int, dict]:
    """Sentence id -> suggestion (see suggest_texts; spans are offsets into the sentence text).

    Non-reviewable sentences get none. Queries: 2 (active model, registry), 3 the first time a
    process meets a model version; none when there are no reviewable sentences.
    """
    wanted = [sentence for sentence in sentences if getattr(sentence, "reviewable", True)]
    if not wanted:
        return {}
    suggester = active_suggester()
    index = load_source_index()
    results = suggest_texts([sentence.text for sentence in wanted], suggester=suggester, index=index, memo=True)
    return {sentence.pk: result for sentence, result in zip(wanted, results, strict=True)}
