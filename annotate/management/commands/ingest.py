"""`python manage.py ingest PATH…|-`: load articles from text files, folders or JSONL."""

import json
import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.ingest import (
    OVERRIDES,
    IngestError,
    StoreError,
    check_inputs,
    iter_articles,
    open_inputs,
    store_articles,
)

PROGRESS_MIN_BYTES = 1 << 20  # no progress bar for less


class Command(BaseCommand):
    # A data path whose start-up time counts: the system checks would import every app's views.
    requires_system_checks = []
    help = (
        "Ingest articles: plain text files like the sample (a trailing 'Original Source:' line names "
        "the outlet), folders of them, or JSONL with title,url,outlet,published,text (any size: the "
        "INGEST_MAX_BYTES limit applies per article). '-' reads stdin. Every input is checked before "
        "anything is written; articles already stored (same text up to whitespace, or same URL) are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--outlet", default="", help="outlet domain or URL (overrides the trailer)")
        parser.add_argument("--url", default="", help="article URL (single plain-text input); names the outlet too")
        parser.add_argument("--title", default="", help="article title (single plain-text input)")
        parser.add_argument("--published", default="", help="publication date YYYY-MM-DD (plain text)")
        parser.add_argument("--topic", default="", help="topic name (its sides are defined by leads)")
        parser.add_argument("--dry-run", action="store_true", help="parse and print, write nothing")
        parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")

    def handle(self, *args, paths, dry_run, format, **options):
        overrides = {key: options[key] for key in OVERRIDES}
        try:
            report = self._check(paths, overrides)
        except IngestError as exc:
            raise CommandError(str(exc)) from None
        if report.error_count:
            for error in report.errors:
                self.stderr.write(f"error: {error}")
            if report.error_count > len(report.errors):
                self.stderr.write(f"… and {report.error_count - len(report.errors):,} more")
            raise CommandError(f"{report.error_count:,} input(s) failed validation; nothing was written")
        if dry_run:
            self._dry_run(report, overrides, format)
            return

        total = report.total
        outcome: dict[str, Counter] = {name: Counter() for name in report.articles}
        with tqdm(
            total=total, desc="ingesting", unit="article", disable=report.bytes < PROGRESS_MIN_BYTES, file=sys.stderr
        ) as bar:
            try:
                for result in store_articles(iter_articles(report.inputs, **overrides)):
                    outcome[result.origin]["added" if result.created else "skipped"] += 1
                    outcome[result.origin]["sentences"] += result.sentences
                    if total < 2 or not result.created:
                        where = result.origin + (f", line {result.line}" if result.line else "")
                        self.stdout.write(f"{where}: {result.message}")
                    bar.update()
            except (StoreError, IngestError) as exc:
                bar.close()
                self._report_failure(report, outcome, exc)
        added = sum(counts["added"] for counts in outcome.values())
        skipped = sum(counts["skipped"] for counts in outcome.values())
        sentences = sum(counts["sentences"] for counts in outcome.values())
        if format == "json":
            self.stdout.write(json.dumps({"added": added, "skipped": skipped, "failed": 0, "sentences": sentences}))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{added} article(s) added, {skipped} skipped (already present), 0 failed")
            )

    def _check(self, paths, overrides):
        inputs = open_inputs(paths, **overrides)
        size = sum(source.size for source in inputs)
        with tqdm(
            total=size, desc="checking", unit="B", unit_scale=True, disable=size < PROGRESS_MIN_BYTES, file=sys.stderr
        ) as bar:
            return check_inputs(inputs, progress=bar.update, **overrides)

    def _dry_run(self, report, overrides, format):
        articles = iter_articles(report.inputs, **overrides)
        if format == "json":  # streamed: {"articles": [...]} however many there are
            self.stdout.write('{"articles": [', ending="")
            for index, item in enumerate(articles):
                separator = ",\n" if index else "\n"
                self.stdout.write(separator + json.dumps(item.as_dict(), ensure_ascii=False), ending="")
            self.stdout.write("\n]}")
            return
        for item in articles:
            self.stdout.write(f"{item.outlet}: {item.title} ({len(item.sentences)} sentences)")

    def _report_failure(self, report, outcome, exc):
        """One line per input: what was stored before the failure, where it stopped, what was not reached."""
        failed_at = getattr(exc, "item", None)
        failed_origin = failed_at.origin if failed_at else getattr(exc, "origin", "")
        reached = True
        for name in report.articles:
            counts = outcome[name]
            if name == failed_origin:
                self.stderr.write(
                    f"{name}: {counts['added']} added, {counts['skipped']} skipped before the failure: {exc}"
                )
                reached = False
            elif reached:
                self.stderr.write(f"{name}: {counts['added']} added, {counts['skipped']} skipped")
            else:
                self.stderr.write(f"{name}: not reached")
        raise CommandError(
            "ingest stopped by a database error; what is listed as added is stored. Run the same command "
            "again to continue: stored articles are skipped."
        )
