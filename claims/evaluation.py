"""Precision and recall of the matcher on the labelled sentence pairs in claims/data/ (same claim
or not; Wikinews CC BY 2.5 and the demo corpus, see claims/data/README.md). Pure except for reading
those files; the demo articles are read from config/demo_articles."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from annotate.sentences import split_sentences

from . import matching

DATA = Path(__file__).resolve().parent / "data"
DEMO_ARTICLES = Path(__file__).resolve().parents[1] / "config" / "demo_articles"


@dataclass(frozen=True)
class LabelledPair:
    id: int
    event: str
    split: str
    same: bool
    a_text: str
    b_text: str
    a_article: str
    b_article: str


@dataclass(frozen=True)
class Scores:
    """Counts and rates at one threshold (precision is None with no predicted positives)."""

    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    pairs: int

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else None


def load_pairs(path: Path | None = None) -> list[LabelledPair]:
    pairs = []
    for line in (path or DATA / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            pairs.append(LabelledPair(
                id=record["id"], event=record["event"], split=record["split"], same=record["same"],
                a_text=record["a"]["text"], b_text=record["b"]["text"],
                a_article=record["a"]["article"], b_article=record["b"]["article"],
            ))  # fmt: skip
    return pairs


def article_texts() -> dict[str, str]:
    """Article key ("wikinews:…", "demo:…") -> body text (a demo file without its Title: line)."""
    texts = {}
    for line in (DATA / "wikinews_articles.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            texts[record["key"]] = record["text"]
    for path in sorted(DEMO_ARTICLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        texts[f"demo:{path.stem}"] = rest.strip() if first.lower().startswith("title:") else text.strip()
    return texts


def score_pairs(pairs: list[LabelledPair]) -> list[tuple[LabelledPair, matching.Verdict]]:
    """Each pair's verdict, with each article's names and IDF weights from all the articles' sentences
    (as in the running system, where they come from the indexed corpus)."""
    texts = article_texts()
    sentences = {key: [s.text for s in split_sentences(text) if s.reviewable] for key, text in texts.items()}
    names = {key: matching.article_names(found) for key, found in sentences.items()}
    frequencies: Counter[str] = Counter()
    total = 0
    for key, found in sentences.items():
        for text in found:
            features = matching.sentence_features(text, names=names[key])
            if features.words >= matching.MIN_WORDS:
                frequencies.update(features.tokens)
                total += 1
    weight = matching.idf_weights(dict(frequencies), total)
    scored = []
    for pair in pairs:
        a = matching.sentence_features(pair.a_text, names=names.get(pair.a_article, frozenset()))
        b = matching.sentence_features(pair.b_text, names=names.get(pair.b_article, frozenset()))
        scored.append((pair, matching.compare(a, b, weight)))
    return scored


def evaluate(scored: list[tuple[LabelledPair, matching.Verdict]], threshold: float) -> Scores:
    tp = sum(1 for pair, verdict in scored if verdict.score >= threshold and pair.same)
    fp = sum(1 for pair, verdict in scored if verdict.score >= threshold and not pair.same)
    fn = sum(1 for pair, verdict in scored if verdict.score < threshold and pair.same)
    return Scores(threshold, tp, fp, fn, len(scored))
