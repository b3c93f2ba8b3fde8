"""`python manage.py ingest PATH…|-`: load articles from text files, folders or JSONL."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.ingest import OVERRIDES, IngestError, InputErrors, ingest_articles, read_inputs


class Command(BaseCommand):
    help = (
        "Ingest articles: plain text files like the sample (a trailing 'Original Source:' line names "
        "the outlet), folders of them, or JSONL with title,url,outlet,published,text. '-' reads stdin."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--outlet", default="", help="outlet domain or URL (overrides the trailer)")
        parser.add_argument("--url", default="", help="article URL (single plain-text input)")
        parser.add_argument("--title", default="", help="article title (single plain-text input)")
        parser.add_argument("--published", default="", help="publication date YYYY-MM-DD (plain text)")
        parser.add_argument("--topic", default="", help="topic name (its sides are defined by leads)")
        parser.add_argument("--dry-run", action="store_true", help="parse and print, write nothing")
        parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")

    def handle(self, *args, paths, dry_run, format, **options):
        overrides = {key: options[key] for key in OVERRIDES}
        try:
            parsed = read_inputs(paths, progress=True, **overrides)
        except InputErrors as exc:
            for error in exc.errors:
                self.stderr.write(f"error: {error}")
            raise CommandError(f"{len(exc.errors)} input(s) failed validation; nothing was written") from None
        except IngestError as exc:
            raise CommandError(str(exc)) from None

        if dry_run:
            articles = [item.as_dict() for items in parsed for item in items]
            if format == "json":
                self.stdout.write(json.dumps({"articles": articles}, ensure_ascii=False, indent=2))
            else:
                for article in articles:
                    self.stdout.write(
                        f"{article['outlet']}: {article['title']} ({len(article['sentences'])} sentences)"
                    )
            return

        added = skipped = 0
        total = sum(len(items) for items in parsed)
        with tqdm(total=total, desc="ingesting", unit="article", disable=total < 2, file=sys.stderr) as bar:
            for items in parsed:
                try:
                    results = ingest_articles(items)
                except IngestError as exc:
                    raise CommandError(f"{exc} (earlier inputs were stored; this one was not)") from None
                for result in results:
                    added += result.created
                    skipped += not result.created
                    if total < 2 or not result.created:
                        self.stdout.write(f"{result.origin}: {result.message}")
                bar.update(len(items))
        summary = f"{added} article(s) added, {skipped} skipped (already present), 0 failed"
        if format == "json":
            self.stdout.write(json.dumps({"added": added, "skipped": skipped, "failed": 0}))
        else:
            self.stdout.write(self.style.SUCCESS(summary))
