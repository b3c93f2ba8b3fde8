"""A fixed corpus for byte-for-byte export tests: explicit ids and timestamps, so every export of it
is the same bytes on SQLite and PostgreSQL, today and after any rewrite of the export path.

It covers what the record builder must get right: gold labels of every kind (unanimous, majority,
disputed, adjudicated with and without marks, unmarked), gold sources (majority, disputed, none,
adjudicated), agreement values that need rounding (2/3, 4/7), usernames whose order differs between
code points and a case-insensitive collation ("Bob" < "alice"), non-ASCII and JSON-escaped text
(quotes, backslashes, tab, newline, a control character, U+2028, emoji), timestamps with and
without microseconds, articles without topic, URL or date, non-reviewable sentences, and several
articles per outlet (splits). Every mark's reviewer has submitted the article, so the marks count
under any rule of which marks count.
"""

from __future__ import annotations

import datetime
import hashlib

from django.contrib.auth import get_user_model

from annotate.models import Adjudication, Annotation, Article, Assignment, Outlet, Sentence, Side, Source, Topic

UTC = datetime.UTC
BASE = datetime.datetime(2024, 12, 1, 9, 30, 0, tzinfo=UTC)

# Article texts as sentences: (text, reviewable). Articles join them with " " (paragraphs with "\n\n").
ARTICLES = [
    {
        "id": 9101,
        "outlet": "news.example.com",
        "topic": "Conflict",
        "title": 'Fighting near "the airport" \\ day 3',
        "url": "https://news.example.com/2024/12/01/airport",
        "published": datetime.date(2024, 12, 1),
        "paragraphs": [
            [
                ("Rebels entered the city on Saturday.", True),
                ('The ministry said "all is calm", according to state media.', True),
                ("Analysts doubt\tthat claim.", True),
                ("Shelling hit the old town overnight.", True),
                ("Residents fled west, the UN reported.", True),
                ("Photo: Reuters / Ünal Çelik.", True),
            ],
            [
                ("Activists say 42 people died\u2028in two days.", True),
                ("It is unclear who controls the bridge.", True),
                ("Officials and activists blamed each other 🙂.", True),
                ("Prices rose by 20 percent, a trader said.", True),
                ("A back\\slash and a bell \x07 in text.", True),
                ("Original Source: news.example.com", False),
            ],
        ],
    },
    {
        "id": 9102,
        "outlet": "ünï.example.org",
        "topic": None,
        "title": "Ohne Datum",
        "url": "",
        "published": None,
        "paragraphs": [
            [
                ("Die Regierung bestätigte die Angriffe.", True),
                ("Laut Berichten starben Dutzende.", True),
                ("Das ist ein Wendepunkt.", True),
            ]
        ],
    },
    {
        "id": 9103,
        "outlet": "news.example.com",
        "topic": "Économie",
        "title": "Markets",
        "url": "https://news.example.com/2025/01/15/markets",
        "published": datetime.date(2025, 1, 15),
        "paragraphs": [[("Markets fell sharply.", True), ("The bank said rates stay.", True)]],
    },
    {
        "id": 9104,
        "outlet": "ünï.example.org",
        "topic": "Conflict",
        "title": "Unmarked",
        "url": "https://xn--n-eka.example.org/unmarked",
        "published": datetime.date(2024, 11, 30),
        "paragraphs": [[("Nobody marked this.", True), ("Nor this one.", True), ("Credits: staff.", False)]],
    },
]

# (article id, position) -> [(username, label, source key, source span, cue span)]; a span is the
# first occurrence of that text in the sentence, or None.
MARKS = {
    (9101, 0): [("alice", "claim", None, None, None), ("Bob", "claim", None, None, None)],
    (9101, 1): [
        ("alice", "attribution", "ministry", "ministry", "said"),
        ("Bob", "attribution", "ministry", "The ministry", "said"),
        ("carol", "attribution", "activists", None, None),
    ],
    (9101, 2): [("alice", "claim", None, None, None), ("Bob", "analysis", None, None, None)],
    (9101, 3): [("alice", "claim", None, None, None), ("Bob", "analysis", None, None, None)],
    (9101, 4): [
        ("alice", "claim", None, None, None),
        ("Bob", "claim", None, None, None),
        ("carol", "attribution", "un", "the UN", "reported"),
    ],
    (9101, 5): [("alice", "other", None, None, None), ("Bob", "other", None, None, None)],
    # (9101, 6): no marks, adjudicated as an attribution with a source.
    (9101, 7): [
        ("alice", "claim", None, None, None),
        ("Bob", "analysis", None, None, None),
        ("carol", "other", None, None, None),
    ],
    (9101, 8): [
        ("alice", "attribution", "activists", "activists", "blamed"),
        ("Bob", "attribution", "ministry", "Officials", None),
    ],
    (9101, 9): [
        ("alice", "claim", None, None, None),
        ("Bob", "claim", None, None, None),
        ("carol", "claim", None, None, None),
        ("dave", "claim", None, None, None),
        ("émile", "analysis", None, None, None),
        ("zed", "analysis", None, None, None),
        ("Zoë", "attribution", "trader", "trader", "said"),
    ],
    (9101, 10): [("dave", "other", None, None, None)],
    (9101, 11): [("alice", "other", None, None, None)],  # not reviewable: never exported
    (9102, 0): [
        ("émile", "attribution", "regierung", "Regierung", "bestätigte"),
        ("zed", "attribution", "regierung", "Die Regierung", None),
    ],
    (9102, 1): [("émile", "attribution", "reports", None, "Laut"), ("zed", "claim", None, None, None)],
    (9102, 2): [("émile", "analysis", None, None, None), ("zed", "analysis", None, None, None)],
    (9103, 0): [("carol", "claim", None, None, None)],
    (9103, 1): [("carol", "attribution", "bank", "bank", "said"), ("alice", "attribution", "bank", None, None)],
}

# (article id, position) -> (label, source key, lead username, note)
ADJUDICATIONS = {
    (9101, 3): ("claim", None, "lead", 'own voice, "checked" — ok'),
    (9101, 6): ("attribution", "activists", "lead", ""),
    (9102, 1): ("claim", None, "Lead-2", "zweite\nZeile"),
}

SOURCES = {
    "ministry": ("Ministry of Defence", "government", ("Conflict", "government")),
    "activists": ("Activists «Aleppo»", "organisation", ("Conflict", "opposition")),
    "un": ("United Nations", "organisation", None),
    "trader": ('A trader "Hamid" \\ market', "person", None),
    "regierung": ("Die Regierung", "government", ("Économie", "links")),
    "reports": ("Berichte", "anonymous", None),
    "bank": ("Central Bank", "organisation", ("Économie", "rechts")),
}

TOPICS = {"Conflict": ("government", "opposition"), "Économie": ("links", "rechts")}
OUTLETS = {"news.example.com": "News Example", "ünï.example.org": "Ünï Nachrichten"}
USERS = ("alice", "Bob", "carol", "dave", "émile", "zed", "Zoë", "lead", "Lead-2")


def _span(text: str, part: str | None) -> tuple[int, int] | None:
    if part is None:
        return None
    start = text.index(part)
    return start, start + len(part)


def build_corpus() -> dict:
    """Create the corpus; returns {"articles": {id: Article}, "sentences": {(article id, position): Sentence}}."""
    users = {name: get_user_model().objects.create(username=name, password="!") for name in USERS}
    topics = {name: Topic.objects.create(name=name) for name in TOPICS}
    sides = {
        (topic, side): Side.objects.create(topic=topics[topic], name=side)
        for topic, names in TOPICS.items()
        for side in names
    }
    sources = {
        key: Source.objects.create(name=name, kind=kind, side=sides[side] if side else None)
        for key, (name, kind, side) in SOURCES.items()
    }
    outlets = {domain: Outlet.objects.create(domain=domain, name=name) for domain, name in OUTLETS.items()}
    articles, sentences = {}, {}
    sentence_id = 9_500
    for spec in ARTICLES:
        parts, rows, offset, position = [], [], 0, 0
        for p, paragraph in enumerate(spec["paragraphs"]):
            if p:
                parts.append("\n\n")
                offset += 2
            for s, (text, reviewable) in enumerate(paragraph):
                if s:
                    parts.append(" ")
                    offset += 1
                rows.append((position, offset, text, reviewable))
                parts.append(text)
                offset += len(text)
                position += 1
        text = "".join(parts)
        article = Article.objects.create(
            id=spec["id"],
            outlet=outlets[spec["outlet"]],
            topic=topics[spec["topic"]] if spec["topic"] else None,
            title=spec["title"],
            url=spec["url"],
            published=spec["published"],
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        articles[article.pk] = article
        for position, start, sentence_text, reviewable in rows:
            sentence_id += 1
            assert text[start : start + len(sentence_text)] == sentence_text
            sentences[(article.pk, position)] = Sentence.objects.create(
                id=sentence_id,
                article=article,
                position=position,
                start=start,
                end=start + len(sentence_text),
                text=sentence_text,
                reviewable=reviewable,
            )
    marks, created_at = [], []
    for n, ((article_id, position), rows) in enumerate(sorted(MARKS.items())):
        sentence = sentences[(article_id, position)]
        for r, (username, label, source, source_text, cue_text) in enumerate(rows):
            source_span, cue_span = _span(sentence.text, source_text), _span(sentence.text, cue_text)
            # Every third mark has whole seconds (isoformat drops the microseconds then).
            micro = 0 if (n + r) % 3 == 0 else 1234 * r + n
            created = BASE + datetime.timedelta(minutes=n, seconds=r, microseconds=micro)
            created_at.append(created)
            marks.append(
                Annotation(
                    sentence=sentence,
                    reviewer=users[username],
                    label=label,
                    source=sources[source] if source else None,
                    source_start=source_span[0] if source_span else None,
                    source_end=source_span[1] if source_span else None,
                    cue_start=cue_span[0] if cue_span else None,
                    cue_end=cue_span[1] if cue_span else None,
                    origin="web",
                )
            )
    Annotation.objects.bulk_create(marks)  # bulk: no "scores are stale" signal per mark
    for mark, created in zip(marks, created_at, strict=True):  # auto_now_add ignores a given `created`
        Annotation.objects.filter(sentence=mark.sentence, reviewer=mark.reviewer).update(
            created=created, updated=created
        )
    for article_id, username in sorted({(a, u) for (a, _), rows in MARKS.items() for u, *_ in rows}):
        Assignment.objects.create(article=articles[article_id], reviewer=users[username], submitted_at=BASE)
    for (article_id, position), (label, source, lead, note) in ADJUDICATIONS.items():
        Adjudication.objects.create(
            sentence=sentences[(article_id, position)],
            label=label,
            source=sources[source] if source else None,
            lead=users[lead],
            note=note,
        )
    return {"articles": articles, "sentences": sentences}
