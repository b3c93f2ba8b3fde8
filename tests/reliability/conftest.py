"""Small builders for reliability tests: outlets, articles with sentences, sources and marks."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from annotate.codebook import Label, SourceKind
from annotate.models import Adjudication, Annotation, Article, Assignment, Outlet, Sentence, Side, Source, Topic

_counter = itertools.count()


class Builder:
    """Writes rows directly (no services) so that tests control every mark."""

    def __init__(self) -> None:
        self.topic = Topic.objects.create(name=f"topic-{next(_counter)}")
        self.sides = {name: Side.objects.create(topic=self.topic, name=name) for name in ("left", "right", "centre")}
        self.users: list = []

    def outlet(self, domain: str) -> Outlet:
        return Outlet.objects.create(domain=domain, name=domain.split(".")[0].title())

    def article(self, outlet: Outlet, sentences: int, published: date | None = date(2024, 11, 30)) -> Article:
        parts = [f"Sentence {i} of article {next(_counter)}." for i in range(sentences)]
        text = " ".join(parts)
        article = Article.objects.create(
            outlet=outlet,
            topic=self.topic,
            title=parts[0],
            text=text,
            published=published,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        offset, rows = 0, []
        for position, part in enumerate(parts):
            rows.append(Sentence(article=article, position=position, start=offset, end=offset + len(part), text=part))
            offset += len(part) + 1
        Sentence.objects.bulk_create(rows)
        return article

    def source(self, name: str, kind: str = SourceKind.PERSON, side: str | None = None) -> Source:
        return Source.objects.create(name=name, kind=kind, side=self.sides[side] if side else None)

    def reviewers(self, count: int) -> list:
        while len(self.users) < count:
            self.users.append(get_user_model().objects.create_user(f"rev{len(self.users)}-{next(_counter)}"))
        return self.users[:count]

    def marks(
        self,
        sentence: Sentence,
        labels: list[str],
        sources: list[Source | None] | None = None,
        *,
        submitted: bool = True,
    ) -> None:
        """One mark per label by the first reviewers, with their assignment of the article
        (submitted unless `submitted=False`: then the marks are in progress and count nowhere)."""
        sources = sources or [None] * len(labels)
        reviewers = self.reviewers(len(labels))
        Assignment.objects.bulk_create(
            [
                Assignment(
                    article_id=sentence.article_id, reviewer=user, submitted_at=timezone.now() if submitted else None
                )
                for user in reviewers
            ],
            ignore_conflicts=True,
        )
        Annotation.objects.bulk_create(
            [
                Annotation(sentence=sentence, reviewer=user, label=label, source=source)
                for user, label, source in zip(reviewers, labels, sources, strict=True)
            ]
        )

    def adjudicate(self, sentence: Sentence, label: str, lead, source: Source | None = None) -> Adjudication:
        return Adjudication.objects.create(sentence=sentence, label=label, source=source, lead=lead)


@pytest.fixture
def build(db) -> Builder:
    return Builder()


def example_one(build: Builder, outlet: Outlet) -> Article:
    """docs/scoring.md worked example 1 as real marks: 4 claims, 6 attributions (3 named, 2 anonymous,
    1 media), 5 analysis, 1 other, each sentence marked the same by two reviewers."""
    named = build.source(f"Named {next(_counter)}", SourceKind.PERSON, "left")
    anonymous = build.source(f"Analysts {next(_counter)}", SourceKind.ANONYMOUS)
    media = build.source(f"Reports {next(_counter)}", SourceKind.MEDIA)
    plan = (
        [(Label.CLAIM, None)] * 4
        + [(Label.ATTRIBUTION, named)] * 3
        + [(Label.ATTRIBUTION, anonymous)] * 2
        + [(Label.ATTRIBUTION, media)]
        + [(Label.ANALYSIS, None)] * 5
        + [(Label.OTHER, None)]
    )
    article = build.article(outlet, len(plan))
    for sentence, (label, source) in zip(article.sentences.order_by("position"), plan, strict=True):
        build.marks(sentence, [label, label], [source, source])
    return article


def scored_outlet(build: Builder, domain: str, articles: int = 5) -> Outlet:
    """An outlet with `articles` copies of worked example 1: enough evidence for a score."""
    outlet = build.outlet(domain)
    for _ in range(articles):
        example_one(build, outlet)
    return outlet


@pytest.fixture
def published_and_draft(build):
    """Two score runs over a scored outlet and a thin one: the first published, the second a draft."""
    from reliability.services import recompute_outlet_scores

    scored_outlet(build, "scored.example")
    build.outlet("thin.example")
    published = recompute_outlet_scores()
    published.published = True
    published.save()
    draft = recompute_outlet_scores()
    return published, draft
