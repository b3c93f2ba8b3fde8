"""Benchmark of suggested marks (suggestions/) on one core.

1. Suggestions for N generated news sentences (default 10,000, in articles of 30): rules only, and the
   shipped default label model (rule spans + article features + JSON logistic regression in numpy),
   against a baseline of `str.split` over the same sentences, medians of several runs.
2. suggestions_for_sentences for one stored 300-sentence article made of real Wikinews sentences
   (queries included): the default model, and a trained model stored in the database, on a
   throwaway SQLite database under /tmp.

Run from the project root: `.venv/bin/python bench/suggest.py [--sentences 10000] [--runs 5]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # one core
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_seconds(function: Callable[[], object], runs: int) -> float:
    """Median CPU time of this process (time.process_time: on a shared, loaded machine wall time
    mostly measures the other processes); find_attribution's cache is emptied before each run."""
    from suggestions import predict
    from suggestions.attribution import find_attribution

    timings = []
    for _ in range(runs):
        find_attribution.cache_clear()
        predict.clear_memo()
        started = time.process_time()
        function()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SOURCEMARK_VAR_DIR", str(database.parent))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def store_article(sentences: list[str], n_sources: int) -> list:
    import hashlib

    from annotate.models import Article, Outlet, Sentence, Source, SourceAlias

    outlet = Outlet.objects.create(domain="bench.example.org")
    offsets, text = [], ""
    for sentence in sentences:
        start = len(text) + (1 if text else 0)
        text = f"{text} {sentence}" if text else sentence
        offsets.append((start, start + len(sentence)))
    article = Article.objects.create(
        outlet=outlet, title="bench", text=text, content_hash=hashlib.sha256(text.encode()).hexdigest()
    )
    Sentence.objects.bulk_create(
        Sentence(article=article, position=i, start=s, end=e, text=sentence)
        for i, ((s, e), sentence) in enumerate(zip(offsets, sentences, strict=True))
    )
    sources = Source.objects.bulk_create(
        Source(name=f"Registry source {i}", kind="organisation") for i in range(n_sources)
    )
    SourceAlias.objects.bulk_create(SourceAlias(source=source, name=f"Alias {source.pk}") for source in sources)
    Source.objects.create(name="The White Helmets", kind="organisation")
    return list(article.sentences.all())


def wikinews_sentences(count: int) -> list[str]:
    """`count` real sentences: the shipped Wikinews articles' sentences, in order, repeated as needed."""
    from suggestions.gold import read_gold_dirs
    from suggestions.train import DEFAULT_DATA_DIRS

    texts = [g.text for g in read_gold_dirs(DEFAULT_DATA_DIRS)]
    return [texts[i % len(texts)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sources", type=int, default=500, help="registry entries (each with one alias)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-suggest-") as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.suggest_rules import generate_sentences
        from suggestions import model as suggestion_model
        from suggestions import predict
        from suggestions.models import SuggestionModel
        from suggestions.registry import SourceIndex

        sentences = generate_sentences(args.sentences)
        articles = [sentences[i : i + 30] for i in range(0, len(sentences), 30)]
        mean_length = statistics.fmean(len(s) for s in sentences)
        default = suggestion_model.fallback_suggester()
        index = SourceIndex()

        def suggest_all(suggester) -> None:
            for article in articles:
                predict.suggest_article(article, suggester=suggester, index=index)

        baseline = median_seconds(lambda: [s.split() for s in sentences], args.runs)
        rules = median_seconds(lambda: suggest_all(suggestion_model.RULES), args.runs)
        model = median_seconds(lambda: suggest_all(default), args.runs)
        n = len(sentences)
        print(
            f"{n:,} generated sentences in articles of 30 (mean {mean_length:.0f} characters), "
            f"median of {args.runs} runs, CPU time of one core (load average {os.getloadavg()[0]:.1f})"
        )
        print(f"  str.split (baseline)   {baseline * 1000:9.1f} ms {n / baseline:12,.0f} sentences/s")
        print(
            f"  rules only             {rules * 1000:9.1f} ms {n / rules:12,.0f} sentences/s"
            f"  ({rules / baseline:.0f}x the baseline)"
        )
        print(
            f"  {default.version} model       {model * 1000:9.1f} ms {n / model:12,.0f} sentences/s"
            f"  ({model / baseline:.0f}x the baseline, {model / rules:.1f}x the rules)"
        )

        stored = store_article(wikinews_sentences(300), args.sources)
        call = lambda: predict.suggestions_for_sentences(stored)  # noqa: E731
        with CaptureQueriesContext(connection) as queries:
            call()
        default_article = median_seconds(call, args.runs * 4)
        shipped = suggestion_model.default_model()
        assert shipped is not None, "the shipped model (suggestions/data/default_model.json) is missing"
        SuggestionModel.objects.create(
            version="lr-bench",
            kind="learned",
            parameters=shipped.to_dict(),
            is_active=True,
            training_size=474,
        )
        suggestion_model._loaded.clear()
        started = time.process_time()
        call()
        cold = time.process_time() - started
        trained_article = median_seconds(call, args.runs * 4)
        with CaptureQueriesContext(connection) as trained_queries:
            call()
        started = time.process_time()
        call()
        repeat = time.process_time() - started
        split_article = median_seconds(lambda: [s.text.split() for s in stored], args.runs * 4)
        print(
            f"suggestions_for_sentences, one stored article of 300 real Wikinews sentences, registry of "
            f"{args.sources + 1} sources with aliases (SQLite)"
        )
        print(f"  str.split (baseline)   {split_article * 1000:9.2f} ms")
        print(f"  default model          {default_article * 1000:9.2f} ms  ({len(queries)} queries)")
        print(
            f"  trained model active   {trained_article * 1000:9.2f} ms  ({len(trained_queries)} queries; "
            f"first call after a new version, parameters read: {cold * 1000:.0f} ms)"
        )
        print(f"  same article again     {repeat * 1000:9.2f} ms  (labels remembered per model version and article)")


if __name__ == "__main__":
    main()
