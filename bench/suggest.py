"""Benchmark of suggested marks (suggestions/) on one core.

1. Suggestions for N generated news sentences (default 10,000): rules, and the learned model with
   its feature extraction (TF-IDF + rule features + logistic regression, plus the rule spans),
   against a baseline of `str.split` over the same sentences, medians of several runs.
2. suggestions_for_sentences for one stored 300-sentence article (queries included), rules and
   learned model active, on a throwaway SQLite database under /tmp.

Run from the project root: `.venv/bin/python bench/suggest.py [--sentences 10000] [--runs 5]`.
The learned model is trained on the rules' labels of generated sentences: it measures speed, not accuracy.
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
sys.path.insert(0, str(ROOT / "bench"))


def median_seconds(function: Callable[[], object], runs: int) -> float:
    """Median wall time; find_attribution's cache is emptied before each run (no help from repeats)."""
    from suggestions import predict
    from suggestions.attribution import find_attribution

    timings = []
    for _ in range(runs):
        find_attribution.cache_clear()
        predict._memo.clear()
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--train", type=int, default=2_000, help="sentences to train the learned model on")
    parser.add_argument("--sources", type=int, default=500, help="registry entries (each with one alias)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-suggest-") as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from suggest_rules import generate_sentences

        from suggestions import model as suggest_model
        from suggestions import predict
        from suggestions.attribution import suggest_label
        from suggestions.models import SuggestionModel
        from suggestions.registry import SourceIndex

        sentences = generate_sentences(args.sentences)
        mean_length = statistics.fmean(len(s) for s in sentences)
        training = generate_sentences(args.train, seed=7)
        pipeline = suggest_model.build_pipeline().fit(training, [suggest_label(s)[0] for s in training])
        learned = suggest_model.Suggester("bench", pipeline)
        index = SourceIndex()

        baseline = median_seconds(lambda: [s.split() for s in sentences], args.runs)
        rules = median_seconds(lambda: predict.suggest_texts(sentences, index=index), args.runs)
        model = median_seconds(lambda: predict.suggest_texts(sentences, suggester=learned, index=index), args.runs)
        n = len(sentences)
        print(f"{n:,} generated sentences (mean {mean_length:.0f} characters), median of {args.runs} runs, one core")
        print(f"  str.split (baseline)   {baseline * 1000:9.1f} ms {n / baseline:12,.0f} sentences/s")
        print(
            f"  rules                  {rules * 1000:9.1f} ms {n / rules:12,.0f} sentences/s"
            f"  ({rules / baseline:.0f}x the baseline)"
        )
        print(
            f"  learned (+ features)   {model * 1000:9.1f} ms {n / model:12,.0f} sentences/s"
            f"  ({model / baseline:.0f}x the baseline, {model / rules:.1f}x the rules)"
        )

        stored = store_article(generate_sentences(300, seed=11), args.sources)
        call = lambda: predict.suggestions_for_sentences(stored)  # noqa: E731
        with CaptureQueriesContext(connection) as queries:
            call()
        rules_article = median_seconds(call, args.runs * 4)
        SuggestionModel.objects.create(
            version="lr-bench",
            kind="learned",
            payload=suggest_model.dump_payload(pipeline),
            is_active=True,
            training_size=len(training),
        )
        suggest_model._loaded.clear()
        started = time.perf_counter()
        call()
        cold = time.perf_counter() - started
        learned_article = median_seconds(call, args.runs * 4)
        with CaptureQueriesContext(connection) as learned_queries:
            call()
        started = time.perf_counter()
        call()
        repeat = time.perf_counter() - started
        split_article = median_seconds(lambda: [s.text.split() for s in stored], args.runs * 4)
        print(
            f"suggestions_for_sentences, one stored 300-sentence article, registry of {args.sources + 1} "
            f"sources with aliases (SQLite)"
        )
        print(f"  str.split (baseline)   {split_article * 1000:9.2f} ms")
        print(f"  rules active           {rules_article * 1000:9.2f} ms  ({len(queries)} queries)")
        print(
            f"  learned model active   {learned_article * 1000:9.2f} ms  ({len(learned_queries)} queries; "
            f"first call after a new version, payload load included: {cold * 1000:.0f} ms)"
        )
        print(f"  same article again     {repeat * 1000:9.2f} ms  (labels remembered per model version and text)")


if __name__ == "__main__":
    main()
