"""Benchmark of the rule-based label suggester (suggestions/attribution/) on one core.

Times suggest_label over 10,000 generated news sentences (median of 5 runs) against a baseline of one
compiled `re.search` per sentence. Run from the project root: `.venv/bin/python bench/suggest_rules.py`.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suggestions.attribution import suggest_label  # noqa: E402

N_SENTENCES = 10_000
RUNS = 5
BASELINE = re.compile(r"\b(?:said|says|according to|reportedly)\b")

SOURCES = [
    "The White Helmets, an opposition rescue service,",
    "The Syrian Observatory for Human Rights",
    "Military analysts",
    "The Ministry of Defence",
    "President Bashar al-Assad",
    "U.S. officials",
    "Reuters",
    "Sky News",
    "A spokesperson for the UN",
    "Residents who fled the city",
]
CUES = ["said", "affirmed", "warned", "claimed", "told reporters", "denied", "suggest", "announced that"]
EVENTS = [
    "at least 25 people were killed in airstrikes on Idlib",
    "rebel forces have advanced into the outskirts of Hama",
    "the hospital in northern Aleppo was hit twice overnight",
    "Iran-backed militias crossed the border near Al-Bukamal",
    "aid convoys have been blocked for three days",
    "the government regained control of two villages",
]
ANALYSIS = [
    "This resurgence of conflict marks a significant point in the civil war.",
    "The offensive signals a pivotal shift that could reshape the region.",
    "The future of Syria remains uncertain, highlighting the fragile nature of peace.",
    "Such gains underscore the complexities of a war with many external actors.",
]
OTHER = ["Original Source: news.sky.com", "Reporting by Jane Doe; Editing by John Smith", "Photo: AFP", "Read more"]


def generate_sentences(n: int, seed: int = 2024) -> list[str]:
    """A reproducible mix of attribution, claim, analysis and boilerplate sentences (curly quotes included)."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        event = rng.choice(EVENTS)
        shape = rng.random()
        if shape < 0.25:
            sentences.append(f"{rng.choice(SOURCES)} {rng.choice(CUES)} {event}.")
        elif shape < 0.35:
            sentences.append(f"{event[0].upper()}{event[1:]}, {rng.choice(SOURCES).rstrip(',')} said.")
        elif shape < 0.45:
            sentences.append(f"According to {rng.choice(SOURCES).rstrip(',')}, {event}.")
        elif shape < 0.5:
            sentences.append(f"“{event[0].upper()}{event[1:]},” said Gen. Jones.")
        elif shape < 0.75:
            sentences.append(f"{event[0].upper()}{event[1:]} on {rng.choice(['Monday', 'Friday'])}.")
        elif shape < 0.95:
            sentences.append(rng.choice(ANALYSIS))
        else:
            sentences.append(rng.choice(OTHER))
    return sentences


def median_seconds(function: Callable[[str], object], sentences: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for sentence in sentences:
            function(sentence)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    sentences = generate_sentences(N_SENTENCES)
    rules = median_seconds(suggest_label, sentences)
    baseline = median_seconds(BASELINE.search, sentences)
    mean_length = statistics.fmean(len(sentence) for sentence in sentences)
    print(f"{N_SENTENCES:,} sentences (mean {mean_length:.0f} characters), median of {RUNS} runs, one core")
    print(f"suggest_label    {rules * 1000:8.1f} ms  {N_SENTENCES / rules:12,.0f} sentences/s")
    print(f"re.search (base) {baseline * 1000:8.1f} ms  {N_SENTENCES / baseline:12,.0f} sentences/s")
    print(f"ratio            {rules / baseline:8.1f}x the baseline")


if __name__ == "__main__":
    main()
