"""`python manage.py demo`: load demo articles, a source registry and demo accounts."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotate.codebook import SourceKind
from annotate.ingest import ingest_articles, parse_plain_text
from annotate.models import Article, Side, Source, SourceAlias, Topic
from annotate.roles import ensure_leads_group
from annotate.services import assign_articles

ARTICLES = Path(__file__).resolve().parents[2] / "demo_articles"
PUBLISHED = {"01": "2024-11-30", "02": "2024-12-01", "03": "2024-12-02", "04": "2024-12-03",
             "05": "2024-12-04", "06": "2024-11-28", "07": "2024-12-01"}
TOPIC = "Syria war"
SIDES = ["government and allies", "opposition", "international", "independent"]
SOURCES = [
    ("The White Helmets", SourceKind.ORGANISATION, "opposition", ["White Helmets", "Syria Civil Defence"]),
    ("Syrian Observatory for Human Rights", SourceKind.ORGANISATION, "independent", ["SOHR"]),
    ("Syrian defence ministry", SourceKind.GOVERNMENT, "government and allies", ["Syria's defence ministry"]),
    ("Russian defence ministry", SourceKind.GOVERNMENT, "government and allies", []),
    ("Iran's foreign ministry", SourceKind.GOVERNMENT, "government and allies", []),
    ("Hayat Tahrir al-Sham", SourceKind.ORGANISATION, "opposition", ["HTS"]),
    ("United Nations", SourceKind.ORGANISATION, "international", ["UN", "The United Nations"]),
    ("World Health Organization", SourceKind.ORGANISATION, "international", ["WHO"]),
    ("Hakan Fidan", SourceKind.PERSON, "international", ["Turkey's foreign minister"]),
    ("Analysts", SourceKind.ANONYMOUS, None, ["Military analysts", "Experts", "Observers"]),
    ("Reports", SourceKind.MEDIA, None, ["Reports indicate"]),
]
ACCOUNTS = [("lead", True), ("reviewer1", False), ("reviewer2", False)]


class Command(BaseCommand):
    help = "Load demo articles, sources and accounts (lead, reviewer1, reviewer2). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for the demo accounts (default: a random one, printed)")

    @transaction.atomic
    def handle(self, *args, password=None, **options):
        password = password or secrets.token_urlsafe(9)
        topic, _ = Topic.objects.get_or_create(name=TOPIC)
        sides = {name: Side.objects.get_or_create(topic=topic, name=name)[0] for name in SIDES}
        for name, kind, side, aliases in SOURCES:
            source, _ = Source.objects.get_or_create(
                name=name, defaults={"kind": kind, "side": sides.get(side)}
            )
            for alias in aliases:
                SourceAlias.objects.get_or_create(source=source, name=alias)

        added = 0
        for path in sorted(ARTICLES.glob("*.txt")):
            item = parse_plain_text(path.read_bytes(), origin=path.name, topic=TOPIC,
                                    published=PUBLISHED.get(path.name[:2], ""))
            added += sum(result.created for result in ingest_articles([item]))

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
            reviewers=[users["reviewer1"], users["reviewer2"]], overlap=2, assigned_by=users["lead"],
        )
        self.stdout.write(
            f"Demo data: {added} article(s) added, {Article.objects.count()} in all; "
            f"{len(assignments)} new assignment(s)."
        )
        self.stdout.write("Logins (username / password):")
        for username, lead in ACCOUNTS:
            role = "lead (admin panel too)" if lead else "reviewer"
            self.stdout.write(f"  {username} / {password}   {role}")
