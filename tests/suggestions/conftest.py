"""Generated gold data for the suggestion tests: articles whose sentences carry reviewers' marks."""

import hashlib
import random

import pytest
from django.utils import timezone

from annotate.models import Annotation, Article, Assignment, Outlet, Sentence, Source
from suggestions import model, predict

ACTORS = ["Rebel fighters", "Government troops", "Kurdish forces", "Turkish units", "Militias"]
PLACES = ["Aleppo", "Hama", "Idlib", "Homs", "Deir ez-Zor", "Raqqa"]
SOURCES = ["The White Helmets", "The defence ministry", "Military analysts", "A UN spokesperson", "Witnesses"]
CUES = ["said", "affirmed", "told reporters", "claimed", "warned"]
ANALYSIS = [
    "The offensive signals a significant shift in a war that many had thought frozen.",
    "Such gains could reshape the balance of power, highlighting the fragile position of {actor}.",
    "This marks a pivotal moment that may well prolong the crisis around {place}.",
    "The fighting underscores how uncertain the future of {place} remains.",
]
OTHER = ["Reporting by {name}; editing by {name2}.", "Photo: {name}/AFP", "Read more: the war in {place}"]
NAMES = ["Maya Gebeily", "Tom Perry", "Suleiman Al-Khalidi", "Ellen Francis"]


def _sentence(rng: random.Random) -> tuple[str, str, tuple[int, int] | None]:
    label = rng.choice(["claim", "claim", "attribution", "attribution", "analysis", "other"])
    fill = {
        "actor": rng.choice(ACTORS),
        "place": rng.choice(PLACES),
        "name": rng.choice(NAMES),
        "name2": rng.choice(NAMES),
        "n": rng.randint(2, 90),
    }
    if label == "claim":
        text = (
            f"{fill['actor']} captured {fill['n']} villages near {fill['place']} on {rng.choice(['Monday', 'Friday'])}."
        )
        return text, label, None
    if label == "attribution":
        source = rng.choice(SOURCES)
        text = f"{source} {rng.choice(CUES)} that {fill['n']} people were killed in {fill['place']}."
        return text, label, (0, len(source))
    if label == "analysis":
        return rng.choice(ANALYSIS).format(**fill), label, None
    return rng.choice(OTHER).format(**fill), label, None


def make_gold_corpus(reviewers, *, articles: int, sentences: int, seed: int = 1) -> list[Article]:
    """`articles` articles of `sentences` sentences, each marked by every reviewer with its true label
    and submitted (so the marks count)."""
    rng = random.Random(seed)
    outlet, _ = Outlet.objects.get_or_create(domain="example.org")
    source, _ = Source.objects.get_or_create(name="Generated source", defaults={"kind": "organisation"})
    made = []
    for number in range(articles):
        rows = [_sentence(rng) for _ in range(sentences)]
        text, offsets = "", []
        for sentence_text, _, _ in rows:
            start = len(text) + (1 if text else 0)
            text = f"{text} {sentence_text}" if text else sentence_text
            offsets.append((start, start + len(sentence_text)))
        article = Article.objects.create(
            outlet=outlet,
            title=f"Generated {number}",
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        stored = Sentence.objects.bulk_create(
            Sentence(article=article, position=i, start=s, end=e, text=row[0])
            for i, ((s, e), row) in enumerate(zip(offsets, rows, strict=True))
        )
        Assignment.objects.bulk_create(
            Assignment(article=article, reviewer=reviewer, submitted_at=timezone.now()) for reviewer in reviewers
        )
        Annotation.objects.bulk_create(
            Annotation(
                sentence=sentence,
                reviewer=reviewer,
                label=label,
                source=source if label == "attribution" else None,
                source_start=span[0] if span else None,
                source_end=span[1] if span else None,
            )
            for sentence, (_, label, span) in zip(stored, rows, strict=True)
            for reviewer in reviewers
        )
        made.append(article)
    return made


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    model._loaded.clear()
    predict.clear_memo()
    yield
    model._loaded.clear()
    predict.clear_memo()
