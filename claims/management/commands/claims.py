"""`python manage.py claims match|evaluate`: match the corpus across outlets (claim groups, credits,
rewrites); measure the matcher on the labelled sentence pairs."""

import json

from django.core.management.base import BaseCommand, CommandError

from claims import matching


class Command(BaseCommand):
    help = "Claims across outlets: `match` the corpus (index, pairs, groups, links); `evaluate` the matcher."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        match = sub.add_parser("match", help="index what is new, match across outlets, regroup, detect links")
        match.add_argument(
            "--rebuild",
            action="store_true",
            help="drop the index and stored pairs first (leads' decisions and reviewed links stay)",
        )
        evaluate = sub.add_parser("evaluate", help="precision and recall on claims/data/pairs.jsonl")
        evaluate.add_argument(
            "--threshold",
            type=float,
            action="append",
            help="score threshold(s) (default: the review and automatic thresholds)",
        )
        evaluate.add_argument("--format", choices=["table", "json"], default="table")
        evaluate.add_argument("--errors", action="store_true", help="also list the misjudged pairs")

    def handle(self, *args, action, **options):
        if action == "match":
            from claims.services import match_corpus

            result = match_corpus(rebuild=options["rebuild"], progress=True)
            timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items())
            self.stdout.write(f"{result.summary()} ({timings}).")
        else:
            self._evaluate(options)

    def _evaluate(self, options):
        from claims.evaluation import evaluate, load_pairs, score_pairs

        thresholds = options["threshold"] or [matching.REVIEW_THRESHOLD, matching.AUTO_THRESHOLD]
        if any(not 0 <= t <= 1 for t in thresholds):
            raise CommandError("a threshold is a score between 0 and 1")
        scored = score_pairs(load_pairs())
        rows = []
        for split in ("all", "dev", "test"):
            subset = [item for item in scored if split == "all" or item[0].split == split]
            for threshold in thresholds:
                result = evaluate(subset, threshold)
                rows.append({"split": split, "threshold": threshold, "pairs": result.pairs,
                             "true_positives": result.true_positives, "false_positives": result.false_positives,
                             "false_negatives": result.false_negatives, "precision": result.precision,
                             "recall": result.recall})  # fmt: skip
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
        else:
            self.stdout.write(
                f"{'split':6} {'threshold':>9} {'pairs':>5} {'TP':>4} {'FP':>4} {'FN':>4} "
                f"{'precision':>9} {'recall':>6}"
            )
            for row in rows:
                precision = "-" if row["precision"] is None else f"{row['precision']:.3f}"
                recall = "-" if row["recall"] is None else f"{row['recall']:.3f}"
                self.stdout.write(
                    f"{row['split']:6} {row['threshold']:9.2f} {row['pairs']:5} {row['true_positives']:4} "
                    f"{row['false_positives']:4} {row['false_negatives']:4} {precision:>9} {recall:>6}"
                )
        if options["errors"]:
            auto = max(thresholds)
            for pair, verdict in sorted(scored, key=lambda item: -item[1].score):
                if (verdict.score >= auto) != pair.same:
                    kind = "false positive" if not pair.same else "false negative"
                    self.stdout.write(
                        f"\n{kind} {verdict.score:.2f} [{pair.event}] {verdict.reason}"
                        f"\n  {pair.a_text}\n  {pair.b_text}"
                    )
