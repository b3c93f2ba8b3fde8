"""`python manage.py export --format jsonl|csv|labelstudio|conll|all --out PATH [filters]`."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from datasets.options import (
    DEFAULT_FORMAT,
    DEFAULT_RATIOS,
    DEFAULT_SEED,
    FORMAT_CHOICES,
    LABEL_SOURCES,
    ExportOptions,
    ExportOptionsError,
)
from datasets.services import ExportError, write_export


class Command(BaseCommand):
    help = (
        "Export labelled sentences (gold label, reviewers' marks, spans, split) as a dataset folder "
        "(or zip) with a dataset card. Disputed and unmarked sentences are left out unless --include-unsettled."
    )
    # System checks import every URL's view (numpy, the sentence splitter, the API schema): seconds
    # of start-up an export does not need. `manage.py check`, migrate and the servers run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--format", default=DEFAULT_FORMAT, help=f"one of {', '.join(FORMAT_CHOICES)}")
        parser.add_argument("--out", required=True, help="destination folder (or zip with --zip)")
        parser.add_argument("--force", action="store_true", help="replace an existing destination")
        parser.add_argument("--zip", action="store_true", help="write one .zip instead of a folder")
        parser.add_argument("--outlet", action="append", default=[], help="outlet domain (repeatable)")
        parser.add_argument("--article", action="append", type=int, default=[], help="article id (repeatable)")
        parser.add_argument("--topic", action="append", default=[], help="article topic name (repeatable)")
        parser.add_argument("--side", action="append", default=[], help="gold source side name (repeatable)")
        parser.add_argument("--reviewer", action="append", default=[], help="count only these reviewers' marks")
        parser.add_argument("--from", dest="date_from", help="published on or after YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="published on or before YYYY-MM-DD")
        parser.add_argument("--min-agreement", type=float, help="minimum sentence agreement, 0-1")
        parser.add_argument(
            "--label-source",
            action="append",
            default=[],
            choices=LABEL_SOURCES,
            help="keep only these gold-label origins (repeatable), e.g. --label-source adjudicated",
        )
        parser.add_argument("--exclude-other", action="store_true", help="leave out gold label `other`")
        parser.add_argument(
            "--include-unsettled", action="store_true", help="keep disputed/unmarked sentences with label null"
        )
        parser.add_argument(
            "--claim-groups", action="store_true", help="add each sentence's claim group id (claim_group)"
        )
        parser.add_argument("--seed", default=DEFAULT_SEED, help="split seed")
        parser.add_argument("--ratios", default=",".join(map(str, DEFAULT_RATIOS)), help="train,dev,test ratios")

    def handle(self, *args, **o):
        try:
            options = ExportOptions(
                format=o["format"],
                outlets=o["outlet"],
                article_ids=o["article"],
                topics=o["topic"],
                sides=o["side"],
                reviewers=o["reviewer"],
                date_from=o["date_from"],
                date_to=o["date_to"],
                min_agreement=o["min_agreement"],
                label_sources=o["label_source"],
                include_other=not o["exclude_other"],
                include_unsettled=o["include_unsettled"],
                claim_groups=o["claim_groups"],
                seed=o["seed"],
                ratios=o["ratios"],
            )
        except ExportOptionsError as exc:
            raise CommandError(str(exc)) from None
        bar = tqdm(desc="exporting", unit="sentence", file=sys.stderr, disable=None)
        done = 0

        def progress(read: int) -> None:
            nonlocal done
            bar.update(read - done)
            done = read

        def total(n: int) -> None:
            bar.total = n
            bar.refresh()

        try:
            result = write_export(
                options, o["out"], force=o["force"], as_zip=o["zip"], on_total=total, on_progress=progress
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        card = result.card
        if card["empty"]:
            self.stdout.write(self.style.WARNING(f"{card['message']} Written to {result.path}"))
        else:
            alpha = card["agreement"]["krippendorff_alpha"]
            self.stdout.write(
                self.style.SUCCESS(
                    f"Exported {card['counts']['sentences']} sentences from {card['counts']['articles']} articles "
                    f"({', '.join(card['formats'])}; alpha {alpha}) to {result.path}"
                )
            )
