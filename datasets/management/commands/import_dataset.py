"""`python manage.py import_dataset EXPORT.jsonl`: load a JSONL export into an empty database."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from datasets.importer import DatasetImportError, import_records


class Command(BaseCommand):
    help = (
        "Recreate outlets, articles, sentences, sources, reviewers (as users), marks (origin 'import') and "
        "adjudications from a JSONL export (a sentences.jsonl file, or an export folder). Article and sentence "
        "ids are kept, so the target database must not hold them yet. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="sentences.jsonl, an export folder holding it, or - for stdin")

    def handle(self, *args, path, **options):
        if path == "-":
            handle = sys.stdin
        else:
            file = Path(path)
            if file.is_dir():
                file = file / "sentences.jsonl"
            if not file.is_file():
                raise CommandError(f"{file} does not exist")
            handle = open(file, encoding="utf-8")  # noqa: SIM115 (closed below)
        try:
            lines = tqdm(handle, desc="importing", unit="sentence", file=sys.stderr, disable=None)
            result = import_records(lines)
        except DatasetImportError as exc:
            raise CommandError(f"{exc}; nothing was imported") from None
        finally:
            if handle is not sys.stdin:
                handle.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.articles} articles, {result.sentences} sentences, {result.annotations} marks, "
                f"{result.adjudications} adjudications; created {len(result.users_created)} users and "
                f"{result.sources_created} sources."
            )
        )
