"""Annotated data for export tests: the sample article marked by two reviewers, one adjudication,
and a second outlet's article marked by one reviewer."""

import json

import pytest
from django.utils import timezone

from annotate.ingest import ingest_articles, parse_jsonl
from annotate.models import Adjudication, Assignment, Side, Source, Topic
from annotate.services import MarkInput, save_annotation


def _mark(sentence, label, source=None):
    spans = {}
    if label == "attribution":
        spans = {"source_span": (0, min(5, len(sentence.text))), "cue_span": (6, min(12, len(sentence.text)))}
    return MarkInput(label=label, source=source, **spans)


@pytest.fixture
def annotated(sample_article, reviewer, reviewer2, lead):
    """Sample article (sky): position % 4 == 0 both claim, 1 both attribution (same source),
    2 both analysis, 3 claim vs analysis (disputed; position 3 adjudicated `claim`); the last
    reviewable sentence both `other`. A second article (reuters, 2024-12-05) marked by reviewer1 only.
    Every assignment is submitted, so every mark counts."""
    topic = Topic.objects.create(name="Syria war")
    opposition = Side.objects.create(topic=topic, name="opposition")
    Side.objects.create(topic=topic, name="government")
    sample_article.topic = topic
    sample_article.save()
    helmets = Source.objects.create(name="White Helmets", kind="organisation", side=opposition)
    reports = Source.objects.create(name="reports", kind="anonymous")
    sentences = list(sample_article.sentences.filter(reviewable=True).order_by("position"))
    for sentence in sentences[:-1]:
        first, second = {
            0: ("claim", "claim"),
            1: ("attribution", "attribution"),
            2: ("analysis", "analysis"),
            3: ("claim", "analysis"),
        }[sentence.position % 4]
        source = helmets if first == "attribution" else None
        save_annotation(reviewer=reviewer, sentence=sentence, mark=_mark(sentence, first, source))
        save_annotation(reviewer=reviewer2, sentence=sentence, mark=_mark(sentence, second, source))
    for user in (reviewer, reviewer2):
        save_annotation(reviewer=user, sentence=sentences[-1], mark=MarkInput(label="other"))
    Adjudication.objects.create(sentence=sentences[3], label="claim", lead=lead, note="own voice")

    line = json.dumps(
        {
            "title": "Airport closed",
            "outlet": "reuters.com",
            "url": "https://www.reuters.com/world/airport",
            "published": "2024-12-05",
            "text": "Aleppo airport closed on Saturday. Officials said flights would resume soon.",
        }
    )
    other = ingest_articles(parse_jsonl(line.encode(), origin="test"))[0].article
    first, second = other.sentences.order_by("position")
    save_annotation(reviewer=reviewer, sentence=first, mark=MarkInput(label="claim"))
    save_annotation(
        reviewer=reviewer,
        sentence=second,
        mark=MarkInput(label="attribution", source=reports, source_span=(0, 9), cue_span=(10, 14)),
    )
    done = timezone.now()
    Assignment.objects.bulk_create(
        [
            Assignment(article=sample_article, reviewer=reviewer, submitted_at=done),
            Assignment(article=sample_article, reviewer=reviewer2, submitted_at=done),
            Assignment(article=other, reviewer=reviewer, submitted_at=done),
        ]
    )
    return {"sky": sample_article, "reuters": other, "sentences": sentences, "helmets": helmets}
