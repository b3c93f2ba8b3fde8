"""`python manage.py suggest train|evaluate|predict`: the suggested-marks model and its figures."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.ingest import OVERRIDES, IngestError, InputErrors, read_inputs
from suggestions import evaluate, model, predict, registry, train

PREDICT_BATCH = 2000


class Command(BaseCommand):
    help = (
        "Suggested marks. train: fit the learned label model on the gold labels and make it active "
        "(below SUGGEST_MIN_TRAINING the rules stay in use). evaluate: per-label and source-span "
        "precision/recall/F1 of rules and learned model by cross-validation over articles. predict: "
        "suggestions for the sentences of any input `ingest` takes, as JSON lines; stores nothing."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="train|evaluate|predict")
        train = actions.add_parser("train", help="train and activate a learned model")
        train.add_argument("--folds", type=int, default=5, help="cross-validation folds for the stored figures")
        train.add_argument("--skip-evaluation", action="store_true", help="train only, store no figures")
        train.add_argument("--background", action="store_true", help="enqueue a background task instead")
        evaluate = actions.add_parser("evaluate", help="print the figures a lead needs")
        evaluate.add_argument("--folds", type=int, default=5)
        evaluate.add_argument("--format", choices=["text", "json"], default="text")
        predict = actions.add_parser("predict", help="suggestions for text files, folders, JSONL or '-'")
        predict.add_argument("paths", nargs="+", metavar="PATH")
        predict.add_argument("--format", choices=["jsonl"], default="jsonl")
        for option in OVERRIDES:
            predict.add_argument(f"--{option}", default="", help=f"as for `ingest --{option}`")

    def handle(self, *args, action, **options):
        if options.get("folds") is not None and options["folds"] < 2:
            raise CommandError("--folds must be at least 2")
        getattr(self, f"handle_{action}")(**options)

    def handle_train(self, *, folds, skip_evaluation, background, **options):
        if background:
            from suggestions.tasks import train_suggestion_model_task

            result = train_suggestion_model_task.enqueue(folds=folds)
            self.stdout.write(f"enqueued training task {result.id}; run a worker: python manage.py db_worker")
            return
        result = train.train_model(folds=folds, evaluate_first=not skip_evaluation)
        if result.model is None:
            self.stdout.write(self.style.WARNING(result.message))
            return
        self.stdout.write(self.style.SUCCESS(result.message))
        evaluation = result.model.metrics.get("evaluation")
        if evaluation:
            self.stdout.write(format_report(evaluation, None))

    def handle_evaluate(self, *, folds, format, **options):
        gold = evaluate.gold_sentences()
        if not gold:
            raise CommandError("no gold-labelled sentences yet: nothing to evaluate")
        report = evaluate.evaluate(gold, folds=folds)
        acceptance = evaluate.acceptance_rate()
        report["acceptance"] = acceptance
        report["active_model"] = model.active_suggester().version
        report["min_training"] = train.min_training_size()
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(format_report(report, acceptance))

    def handle_predict(self, *, paths, format, **options):
        overrides = {key: options[key] for key in OVERRIDES}
        try:
            articles = [article for group in read_inputs(paths, **overrides) for article in group]
        except InputErrors as exc:
            for error in exc.errors:
                self.stderr.write(f"error: {error}")
            raise CommandError(f"{len(exc.errors)} input(s) failed validation; nothing was predicted") from None
        except IngestError as exc:
            raise CommandError(str(exc)) from None
        suggester = model.active_suggester()
        index = registry.load_source_index()
        rows = [(article, sentence) for article in articles for sentence in article.sentences]
        with tqdm(
            total=len(rows), desc="suggesting", unit="sentence", disable=len(rows) < 5000, file=sys.stderr
        ) as bar:
            for first in range(0, len(rows), PREDICT_BATCH):
                batch = rows[first : first + PREDICT_BATCH]
                wanted = [sentence.text for _, sentence in batch if sentence.reviewable]
                results = iter(predict.suggest_texts(wanted, suggester=suggester, index=index))
                for article, sentence in batch:
                    found = next(results) if sentence.reviewable else None
                    self.stdout.write(json.dumps(predict_record(article, sentence, found), ensure_ascii=False))
                bar.update(len(batch))


def _shift(span, offset):
    return None if span is None else [span[0] + offset, span[1] + offset]


def predict_record(article, sentence, found: dict | None) -> dict:
    """One output line: the sentence with offsets into the article text and its suggestion (null
    fields for non-reviewable sentences such as the 'Original Source:' trailer)."""
    found = found or {}
    return {
        "article": article.title or article.origin,
        "file": article.origin,
        "position": sentence.position,
        "start": sentence.start,
        "end": sentence.end,
        "text": sentence.text,
        "reviewable": sentence.reviewable,
        "label": found.get("label"),
        "confidence": found.get("confidence"),
        "source_span": _shift(found.get("source_span"), sentence.start),
        "cue_span": _shift(found.get("cue_span"), sentence.start),
        "source_name": found.get("source_name"),
        "source_kind": found.get("source_kind"),
        "source_id": found.get("source_id"),
        "model_version": found.get("model_version"),
    }


def _row(name: str, scores: dict) -> str:
    return f"  {name:<22} {scores['precision']:>9.3f} {scores['recall']:>7.3f} {scores['f1']:>7.3f}"


def format_report(report: dict, acceptance: dict | None) -> str:
    """The evaluation as plain text: per-label and span P/R/F1, coverage, confusion, acceptance."""
    lines = [
        f"Gold-labelled sentences: {report['sentences']} in {report['articles']} article(s); "
        f"{report['folds']}-fold cross-validation by article (an article never spans two folds).",
        "Gold label counts: " + ", ".join(f"{k} {v}" for k, v in report["label_counts"].items()),
    ]
    for name, scores in report["models"].items():
        lines.append("")
        if "skipped" in scores:
            lines.append(f"{name}: not evaluated ({scores['skipped']})")
            continue
        lines.append(f"{name}: accuracy {scores['accuracy']:.3f}, macro F1 {scores['macro_f1']:.3f}")
        lines.append(f"  {'label':<22} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}")
        for label, figures in scores["labels"].items():
            lines.append(_row(label, figures) + f" {figures['support']:>8}")
        spans = scores["spans"]
        lines.append(f"  source spans ({spans['gold']} gold, {spans['predicted']} suggested):")
        lines.append(_row("exact", spans["exact"]))
        lines.append(_row("token overlap", spans["token_overlap"]))
        lines.append(
            "  coverage: "
            + "; ".join(
                f"confidence >= {c['threshold']}: {c['coverage']:.0%} of sentences, accuracy {c['accuracy']:.3f}"
                for c in scores["coverage"]
            )
        )
        labels = scores["confusion"]["labels"]
        lines.append("  confusion (rows: gold, columns: suggested)")
        lines.append(f"    {'':<12}" + "".join(f"{label[:7]:>8}" for label in labels))
        for label, row in zip(labels, scores["confusion"]["matrix"], strict=True):
            lines.append(f"    {label:<12}" + "".join(f"{n:>8}" for n in row))
    if acceptance is not None:
        lines.append("")
        lines.append(
            f"Accepted unchanged from a suggestion: {acceptance['accepted_unchanged']} of {acceptance['marks']} marks "
            f"({acceptance['rate']:.1%})"
            + (
                "; by version: " + ", ".join(f"{k} {v}" for k, v in acceptance["by_version"].items())
                if acceptance["by_version"]
                else ""
            )
        )
    if "active_model" in report:
        lines.append(
            f"Active suggestions: {report['active_model']} (a learned model needs "
            f"{report['min_training']} gold-labelled sentences)"
        )
    return "\n".join(lines)
