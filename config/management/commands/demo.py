"""`python manage.py demo`: load demo articles, a source registry and demo accounts; with
--with-marks also simulated marks by two demo annotators, so the score pages have evidence."""

import hashlib
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotate.codebook import Label, SourceKind
from annotate.ingest import ingest_articles, parse_plain_text
from annotate.models import (
    Annotation,
    Article,
    Assignment,
    Origin,
    Outlet,
    Sentence,
    Side,
    Source,
    SourceAlias,
    Topic,
)
from annotate.roles import ensure_leads_group
from annotate.services import (
    MarkInput,
    assign_articles,
    create_external_reviewer,
    save_annotation,
    submit_assignment,
)
from claims.services import match_articles
from suggestions.predict import suggestions_for_sentences

ARTICLES = Path(__file__).resolve().parents[2] / "demo_articles"
PUBLISHED = {
    "01": "2024-11-30",
    "02": "2024-12-01",
    "03": "2024-12-02",
    "04": "2024-12-03",
    "05": "2024-12-04",
    "06": "2024-11-28",
    "07": "2024-12-01",
    "08": "2024-11-30",
    "09": "2024-12-02",
    "10": "2024-12-05",
    "11": "2024-12-08",
    "12": "2024-11-27",
    "13": "2024-12-07",
    "14": "2024-12-10",
    "15": "2024-11-29",
    "16": "2024-12-09",
    "17": "2024-12-07",
    "18": "2024-11-29",
    "19": "2024-12-03",
    "20": "2024-12-12",
    "21": "2024-12-02",
    "22": "2024-11-28",
    "23": "2024-12-06",
    "24": "2024-12-03",
}
# A fifth outlet, an aggregator, whose articles restate the others': 21 and 23 rewrite Reuters and
# Sky News without saying so (detected rewrites); 22 ends "Original Source: reuters.com" (a declared
# credit, like the sample article); 23 also credits "AFP and Reuters"; 24 is its own report.
AGGREGATOR = "levantdigest.example"
OUTLETS = {"21": AGGREGATOR, "22": AGGREGATOR, "23": AGGREGATOR, "24": AGGREGATOR}
TOPIC = "Syria war"
SIDES = ["government and allies", "opposition", "international", "independent"]
SOURCES = [
    ("The White Helmets", SourceKind.ORGANISATION, "opposition", ["White Helmets", "Syria Civil Defence"]),
    (
        "Syrian Observatory for Human Rights",
        SourceKind.ORGANISATION,
        "independent",
        ["SOHR", "The Britain-based monitor", "The UK-based monitor"],
    ),
    ("Syrian defence ministry", SourceKind.GOVERNMENT, "government and allies", ["Syria's defence ministry"]),
    ("Russian defence ministry", SourceKind.GOVERNMENT, "government and allies", []),
    ("Iran's foreign ministry", SourceKind.GOVERNMENT, "government and allies", []),
    ("Hayat Tahrir al-Sham", SourceKind.ORGANISATION, "opposition", ["HTS"]),
    ("United Nations", SourceKind.ORGANISATION, "international", ["UN", "The United Nations"]),
    ("World Health Organization", SourceKind.ORGANISATION, "international", ["WHO"]),
    ("Hakan Fidan", SourceKind.PERSON, "international", ["Turkey's foreign minister"]),
    ("Analysts", SourceKind.ANONYMOUS, None, ["Military analysts", "Experts", "Observers"]),
    # The codebook (DESIGN.md, the guidelines): "reports indicate" is a vague collective, kind
    # anonymous; `media` is another outlet named as the source.
    ("Reports", SourceKind.ANONYMOUS, None, ["Reports indicate"]),
    (
        "Syrian government",
        SourceKind.GOVERNMENT,
        "government and allies",
        ["Syrian government officials", "Officials in Damascus"],
    ),
    ("Syrian army", SourceKind.GOVERNMENT, "government and allies", ["The Syrian army"]),
    ("Russia's foreign ministry", SourceKind.GOVERNMENT, "government and allies", []),
    ("Dmitry Peskov", SourceKind.PERSON, "government and allies", []),
    ("Abbas Araghchi", SourceKind.PERSON, "government and allies", []),
    ("Rebel forces", SourceKind.ORGANISATION, "opposition", ["Rebel authorities"]),
    ("Abu Mohammed al-Jolani", SourceKind.PERSON, "opposition", []),
    ("Hassan Abdul Ghani", SourceKind.PERSON, "opposition", []),
    ("Mohammed al-Bashir", SourceKind.PERSON, "opposition", ["Bashir"]),
    ("World Food Programme", SourceKind.ORGANISATION, "international", ["WFP"]),
    ("Turkey's foreign ministry", SourceKind.GOVERNMENT, "international", []),
    ("Qatar's foreign ministry", SourceKind.GOVERNMENT, "international", []),
    ("Antony Blinken", SourceKind.PERSON, "international", []),
    ("Israeli military", SourceKind.GOVERNMENT, "international", ["Israel's military"]),
    ("Syrian Network for Human Rights", SourceKind.ORGANISATION, "independent", ["SNHR"]),
]
ACCOUNTS = [("lead", True), ("reviewer1", False), ("reviewer2", False)]
ANNOTATORS = ["demo-annotator-a", "demo-annotator-b"]
MARK_NOTE = "simulated demo mark"
# Annotator b picks another label for about this share of sentences, chosen by a hash of the
# article's content and the sentence position: the same sentences on every run and database.
DISAGREEMENT = 0.10
SEED = "sourcemark-demo-1"
# What annotator b picks instead: plausible confusions that need no source.
CONFUSED = {
    Label.CLAIM: Label.ANALYSIS,
    Label.ANALYSIS: Label.CLAIM,
    Label.ATTRIBUTION: Label.CLAIM,
    Label.OTHER: Label.CLAIM,
}


class Command(BaseCommand):
    help = "Load demo articles, sources and accounts (lead, reviewer1, reviewer2). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for the demo accounts (default: a random one, printed)")
        parser.add_argument(
            "--with-marks",
            action="store_true",
            help="also mark every article as two simulated annotators (demo-annotator-a/-b) from the suggestions, "
            "with about 10%% seeded disagreement; run `manage.py scores --recompute` afterwards",
        )

    @transaction.atomic
    def handle(self, *args, password=None, with_marks=False, **options):
        password = password or secrets.token_urlsafe(9)
        topic, _ = Topic.objects.get_or_create(name=TOPIC)
        sides: dict[str | None, Side] = {name: Side.objects.get_or_create(topic=topic, name=name)[0] for name in SIDES}
        # Earlier demos stored "Reports" as media, against the codebook: correct it on the next run.
        Source.objects.filter(name="Reports", kind=SourceKind.MEDIA).update(kind=SourceKind.ANONYMOUS)
        for name, kind, side, aliases in SOURCES:
            source, _ = Source.objects.get_or_create(name=name, defaults={"kind": kind, "side": sides.get(side)})
            for alias in aliases:
                SourceAlias.objects.get_or_create(source=source, name=alias)

        added, demo_articles = 0, {}
        for path in sorted(ARTICLES.glob("*.txt")):
            item = parse_plain_text(
                path.read_bytes(),
                origin=path.name,
                topic=TOPIC,
                published=PUBLISHED.get(path.name[:2], ""),
                outlet=OUTLETS.get(path.name[:2], ""),
            )
            for result in ingest_articles([item]):
                added += result.created
                if result.article is not None:
                    demo_articles[result.article.pk] = result.article
        Outlet.objects.filter(domain=AGGREGATOR, name="").update(name="Levant Digest (demo aggregator)")

        users = {}
        leads = ensure_leads_group()
        User = get_user_model()
        for username, lead in ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
            user.set_password(password)
            user.is_staff = lead
            user.save()
            if lead:
                user.groups.add(leads)
            users[username] = user
        assignments = assign_articles(
            articles=list(Article.objects.order_by("pk")),
            reviewers=[users["reviewer1"], users["reviewer2"]],
            overlap=2,
            assigned_by=users["lead"],
        )
        self.stdout.write(
            f"Demo data: {added} article(s) added, {Article.objects.count()} in all; "
            f"{len(assignments)} new assignment(s)."
        )
        if with_marks:
            self._simulate_marks(lead=users["lead"])
        # the demo's own articles, matched against whatever else is indexed (a corpus loaded before
        # the demo is left to `manage.py claims match`: whole-corpus matching takes minutes at scale)
        matched = match_articles(sorted(demo_articles.values(), key=lambda article: article.pk))
        self.stdout.write(f"Claims across outlets: {matched.summary()}.")
        self.stdout.write("Logins (username / password):")
        for username, lead in ACCOUNTS:
            role = "lead (admin panel too)" if lead else "reviewer"
            self.stdout.write(f"  {username} / {password}   {role}")

    def _simulate_marks(self, *, lead) -> None:
        """Two simulated annotators mark every reviewable sentence of every article from the
        suggestions; b disagrees on a seeded ~10%. Sentences they already marked are left alone, so
        a second run writes nothing."""
        User = get_user_model()
        annotators = []
        for username in ANNOTATORS:
            user = User.objects.filter(username=username).first() or create_external_reviewer(
                username=username, email=f"{username}@example.org", origin="demo"
            )
            annotators.append(user)
        articles = list(Article.objects.order_by("pk"))
        assigned = set(Assignment.objects.filter(reviewer__in=annotators).values_list("article_id", "reviewer_id"))
        new_assignments = Assignment.objects.bulk_create(
            [
                Assignment(article=article, reviewer=user, assigned_by=lead)
                for article in articles
                for user in annotators
                if (article.pk, user.pk) not in assigned
            ]
        )

        sentences = list(Sentence.objects.filter(reviewable=True).select_related("article").order_by("pk"))
        suggestions = suggestions_for_sentences(sentences)
        marked = set(Annotation.objects.filter(reviewer__in=annotators).values_list("sentence_id", "reviewer_id"))
        sources = SimulatedSources(created_by=lead)
        added = disputed = 0
        for sentence in sentences:
            suggestion = suggestions[sentence.pk]
            for user in annotators:
                if (sentence.pk, user.pk) in marked:
                    continue
                differs = user is annotators[1] and _disagrees(sentence)
                mark = (
                    MarkInput(label=CONFUSED[suggestion["label"]], note=MARK_NOTE)
                    if differs
                    else sources.mark_from(sentence, suggestion)
                )
                save_annotation(reviewer=user, sentence=sentence, mark=mark, origin=Origin.IMPORT)
                added += 1
                disputed += differs
        submitted = 0
        for assignment in Assignment.objects.filter(reviewer__in=annotators, submitted_at__isnull=True):
            submit_assignment(assignment=assignment)
            submitted += 1
        self.stdout.write(
            f"Simulated marks: {added} mark(s) added by {' and '.join(ANNOTATORS)} over {len(sentences)} reviewable "
            f"sentence(s) ({disputed} new disagreement(s) for the adjudication queue); {len(new_assignments)} new "
            f"assignment(s), {submitted} submitted; {sources.created} new source(s). "
            "Run `manage.py scores --recompute` to score them."
        )


def _disagrees(sentence: Sentence) -> bool:
    digest = hashlib.sha256(f"{SEED}:{sentence.article.content_hash}:{sentence.position}".encode()).digest()
    return int.from_bytes(digest[:8]) / 2**64 < DISAGREEMENT


def _span(value: list[int] | None) -> tuple[int, int] | None:
    return (value[0], value[1]) if value else None


class SimulatedSources:
    """Turns a suggestion into a mark: the matched registry source, else a source made from the
    found name and kind, else the "Reports"/"Analysts" registry entries (an attribution needs one)."""

    def __init__(self, *, created_by):
        self.created_by = created_by
        self.created = 0
        self.by_id = {source.pk: source for source in Source.objects.all()}

    def mark_from(self, sentence: Sentence, suggestion: dict) -> MarkInput:
        label = suggestion["label"]
        source = self.source_for(sentence, suggestion) if label == Label.ATTRIBUTION else None
        return MarkInput(
            label=label,
            source=source,
            source_span=_span(suggestion["source_span"]) if source else None,
            cue_span=_span(suggestion["cue_span"]) if source else None,
            note=MARK_NOTE,
            from_suggestion=True,
            suggestion_version=suggestion["model_version"],
        )

    def source_for(self, sentence: Sentence, suggestion: dict) -> Source:
        if suggestion["source_id"] in self.by_id:
            return self.by_id[suggestion["source_id"]]
        name = (suggestion["source_name"] or "").strip()
        if name:
            name = name[0].upper() + name[1:]
            source = Source.objects.filter(name__iexact=name).first()
            if source is None:
                source = Source.objects.create(
                    name=name, kind=suggestion["source_kind"] or SourceKind.ANONYMOUS, created_by=self.created_by
                )
                self.created += 1
            self.by_id[source.pk] = source
            return source
        cue = suggestion["cue_span"]
        cue_text = sentence.text[cue[0] : cue[1]].lower() if cue else ""
        fallback = "Reports" if suggestion["source_kind"] == SourceKind.MEDIA or "report" in cue_text else "Analysts"
        return Source.objects.get(name=fallback)
