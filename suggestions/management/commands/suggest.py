"""`python manage.py suggest train|evaluate|predict`: the suggested-marks model and its figures."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.ingest import OVERRIDES, IngestError, InputErrors, read_inputs
from suggestions import evaluate, predict, registry, train
from suggestions import model as suggestion_model
from suggestions.gold import GoldFileError, gold_sentences, read_gold_dirs
from suggestions.model import LabelModel, ModelFormatError, load_model

PREDICT_BATCH = 2000


class Command(BaseCommand):
    help = (
        "Suggested marks. train: with --gold-dir, fit a model on gold files (dev-set format) and write it as "
        "JSON (the shipped default: suggestions/data/default_model.json); without, retrain on the team's gold "
        "labels plus the default's data and switch to it only if it does at least as well on the team's folds. "
        "evaluate: rules, default and retrained model by cross-validation over articles (per label, spans, "
        "calibration, coverage at 95 % precision). predict: suggestions for the sentences of any input `ingest` "
        "takes, as JSON lines; stores nothing."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="train|evaluate|predict")
        train_parser = actions.add_parser("train", help="train a model (from gold files, or the team's gold labels)")
        train_parser.add_argument(
            "--gold-dir", action="append", default=[], metavar="DIR", help="gold files to train on (repeatable)"
        )
        train_parser.add_argument(
            "--output",
            default=str(suggestion_model.DEFAULT_MODEL_PATH),
            help="where --gold-dir training writes the model",
        )
        train_parser.add_argument("--version", default=train.DEFAULT_VERSION, help="version of a --gold-dir model")
        train_parser.add_argument("--folds", type=int, default=5, help="cross-validation folds on the team's data")
        train_parser.add_argument("--background", action="store_true", help="enqueue a background task instead")
        evaluate_parser = actions.add_parser("evaluate", help="print the figures a lead needs")
        evaluate_parser.add_argument(
            "--gold-dir", action="append", default=[], metavar="DIR", help="score on gold files instead of the team's"
        )
        evaluate_parser.add_argument(
            "--folds", type=int, default=None, help="default: 5, or one per article with --gold-dir"
        )
        evaluate_parser.add_argument(
            "--model", metavar="PATH", help="score this model file as the default (e.g. one trained with --output)"
        )
        evaluate_parser.add_argument(
            "--with-default-data",
            action="store_true",
            help="with --gold-dir: each fold also trains on the default model's other articles (its recipe)",
        )
        evaluate_parser.add_argument("--format", choices=["text", "json"], default="text")
        predict_parser = actions.add_parser("predict", help="suggestions for text files, folders, JSONL or '-'")
        predict_parser.add_argument("paths", nargs="+", metavar="PATH")
        predict_parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        for option in OVERRIDES:
            predict_parser.add_argument(f"--{option}", default="", help=f"as for `ingest --{option}`")

    def handle(self, *args, action, **options):
        if options.get("folds") is not None and options["folds"] < 2:
            raise CommandError("--folds must be at least 2")
        getattr(self, f"handle_{action}")(**options)

    def _progress(self, step: str) -> None:
        self.stderr.write(f"suggest: {step} …")

    def handle_train(self, *, gold_dir, output, version, folds, background, **options):
        if gold_dir:
            try:
                trained, figures = train.train_default_model(
                    gold_dir, version=version, output=Path(output), progress=self._progress
                )
            except GoldFileError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"trained {trained.version} on {trained.metadata['sentences']} sentences of "
                    f"{len(trained.metadata['training_articles'])} articles; wrote {output}"
                )
            )
            self.stdout.write(format_scores("held out (leave one article out)", figures))
            return
        if background:
            from suggestions.tasks import train_suggestion_model_task

            enqueued = train_suggestion_model_task.enqueue(folds=folds)
            self.stdout.write(f"enqueued training task {enqueued.id}; run a worker: python manage.py db_worker")
            return
        result = train.train_model(folds=folds, progress=self._progress)
        if result.model is None:
            self.stdout.write(self.style.WARNING(result.message))
            return
        self.stdout.write((self.style.SUCCESS if result.active else self.style.WARNING)(result.message))
        self.stdout.write(format_report(result.model.metrics["evaluation"], None))

    def handle_evaluate(self, *, gold_dir, folds, format, model=None, with_default_data=False, **options):
        acceptance = None
        default: LabelModel | bool = True
        if model:
            try:
                default = load_model(model)
            except (OSError, ModelFormatError) as exc:
                raise CommandError(f"{model}: {exc}") from None
        if gold_dir:
            try:
                gold = read_gold_dirs(gold_dir)
            except GoldFileError as exc:
                raise CommandError(str(exc)) from None
            extra = train.default_data_without(gold) if with_default_data else ()
            report = evaluate.evaluate(gold, folds=folds, extra=extra, default=default)
        else:
            gold = gold_sentences()
            if not gold:
                raise CommandError("no gold-labelled sentences yet: nothing to evaluate")
            report = evaluate.evaluate(
                gold, folds=folds or 5, extra=read_gold_dirs(train.DEFAULT_DATA_DIRS), default=default
            )
            acceptance = evaluate.acceptance_rate()
            report["acceptance"] = acceptance
            report["active_model"] = suggestion_model.active_suggester().version
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
        suggester = suggestion_model.active_suggester()
        index = registry.load_source_index()
        total = sum(len(article.sentences) for article in articles)
        with tqdm(total=total, desc="suggesting", unit="sentence", disable=total < 5000, file=sys.stderr) as bar:
            for article in articles:
                wanted = [sentence.text for sentence in article.sentences if sentence.reviewable]
                results = iter(
                    predict.suggest_article(wanted, published=article.published, suggester=suggester, index=index)
                )
                for sentence in article.sentences:
                    found = next(results) if sentence.reviewable else None
                    self.stdout.write(json.dumps(predict_record(article, sentence, found), ensure_ascii=False))
                bar.update(len(article.sentences))


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
        "prefill": found.get("prefill"),
        "source_span": _shift(found.get("source_span"), sentence.start),
        "cue_span": _shift(found.get("cue_span"), sentence.start),
        "source_name": found.get("source_name"),
        "source_kind": found.get("source_kind"),
        "source_id": found.get("source_id"),
        "model_version": found.get("model_version"),
    }


def _row(name: str, scores: dict) -> str:
    return f"  {name:<22} {scores['precision']:>9.3f} {scores['recall']:>7.3f} {scores['f1']:>7.3f}"


def format_scores(name: str, scores: dict) -> str:
    """One way of suggesting: per label, spans, calibration, pre-fill coverage, confusion."""
    if "skipped" in scores:
        return f"{name}: not evaluated ({scores['skipped']})"
    lines = [f"{name}: accuracy {scores['accuracy']:.3f}, macro F1 {scores['macro_f1']:.3f} (labels present)"]
    lines.append(f"  {'label':<22} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}")
    for label, figures in scores["labels"].items():
        lines.append(_row(label, figures) + f" {figures['support']:>8}")
    for key, what in (("spans", "source spans"), ("cues", "cue spans")):
        spans = scores[key]
        lines.append(f"  {what} ({spans['gold']} gold, {spans['predicted']} suggested):")
        lines.append(_row("overlap", spans["overlap"]))
        lines.append(_row("exact", spans["exact"]))
        lines.append(_row("token overlap", spans["token_overlap"]))
    calibration = scores["calibration"]
    brier = f"Brier {calibration['brier']:.3f}, " if calibration.get("brier") is not None else ""
    lines.append(f"  calibration: {brier}expected calibration error {calibration['ece']:.3f}")
    lines.append(
        "  right (label, and spans for attributions): "
        f"{scores['right']:.1%} of suggestions; at 95 % precision: " + _coverage(scores["at_95"])
    )
    lines.append("  pre-filled (confidence >= the model's threshold): " + _coverage(scores["prefill"]))
    labels = scores["confusion"]["labels"]
    lines.append("  confusion (rows: gold, columns: suggested)")
    lines.append(f"    {'':<12}" + "".join(f"{label[:7]:>8}" for label in labels))
    for label, row in zip(labels, scores["confusion"]["matrix"], strict=True):
        lines.append(f"    {label:<12}" + "".join(f"{n:>8}" for n in row))
    return "\n".join(lines)


def _coverage(figures: dict) -> str:
    if figures["threshold"] is None:
        return "none (no threshold reaches it)"
    return (
        f"confidence >= {figures['threshold']:.3f} covers {figures['coverage']:.0%} of sentences "
        f"({figures['count']}), {figures['precision']:.1%} right"
    )


def format_report(report: dict, acceptance: dict | None) -> str:
    """The evaluation as plain text: each way of suggesting, then acceptance and the active model."""
    folds = (
        "leave-one-article-out cross-validation"
        if report.get("leave_one_out")
        else f"{report['folds']}-fold cross-validation by article (an article never spans two folds)"
    )
    lines = [
        f"Gold-labelled sentences: {report['sentences']} in {report['articles']} article(s); {folds}.",
        "Gold label counts: " + ", ".join(f"{k} {v}" for k, v in report["label_counts"].items()),
    ]
    for name, scores in report["models"].items():
        lines.append("")
        title = f"{name} ({scores['version']})" if scores.get("version") else name
        lines.append(format_scores(title, scores))
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
            f"Active suggestions: {report['active_model']} (retraining needs {report['min_training']} "
            "gold-labelled sentences)"
        )
    return "\n".join(lines)
