"""`python manage.py check_offsets`: every stored sentence still reads its article's text.

Sentences are offsets into their article's text (`article.text[start:end] == sentence.text`) and
the text is immutable once split. This command proves it: the offsets are compared in the
database (one query, characters counted as Python counts them, on SQLite and PostgreSQL), and each
article's text against its stored SHA-256. Exit status 1 listing every violation, 0 when all hold.
"""

import hashlib
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.models import Article, Sentence

SHOWN = 20


class Command(BaseCommand):
    help = "Check that every sentence is article.text[start:end] and every article text matches its content hash."

    def handle(self, *args, **options):
        total = Sentence.objects.count()
        articles = Article.objects.count()
        problems = [
            f"article {s.article_id} sentence {s.pk} (#{s.position}, [{s.start}, {s.end}]): "
            f"the text there is {s.piece[:80]!r}, the sentence says {s.text[:80]!r}"
            for s in Sentence.objects.offset_mismatches()
            .annotate(piece=Sentence.objects.offset_piece())
            .order_by("article_id", "position")
            .only("pk", "article_id", "position", "start", "end", "text")
        ]
        mismatched = len(problems)
        rows = Article.objects.order_by("pk").values_list("pk", "text", "content_hash").iterator(chunk_size=500)
        for pk, text, content_hash in tqdm(rows, total=articles, desc="content hashes", file=sys.stderr, disable=None):
            if hashlib.sha256(text.encode()).hexdigest() != content_hash:
                problems.append(f"article {pk}: its text no longer matches its content hash (edited after ingest?)")
        if problems:
            shown = "\n  ".join(problems[:SHOWN])
            more = f"\n  … and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
            raise CommandError(
                f"{mismatched} of {total} sentences do not match their article's text; "
                f"{len(problems) - mismatched} article(s) with a stale content hash:\n  {shown}{more}"
            )
        self.stdout.write(
            f"{total} sentences of {articles} articles: every text[start:end] equals its sentence, "
            "every content hash matches."
        )
