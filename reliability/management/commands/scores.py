"""`python manage.py scores [--recompute] [--format table|json] [--publish]`: print every
outlet's score with interval, indicators, counts and agreement; store a new run; publish it."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reliability.models import ScoreRun
from reliability.scoring import INDICATORS
from reliability.services import publishable_error, recompute_outlet_scores

SHORT = {
    "sourcing_rate": "src",
    "named_share": "named",
    "anonymous_share": "anon",
    "second_hand_share": "2nd",
    "analysis_share": "anal",
    "original_share": "orig",
    "first_share": "first",
    "weak_claim_share": "weak",
    "corroboration_rate": "corr",
}


def _pct(value):
    return "—" if value is None else f"{100 * value:.0f}%"


def _f1(spans, measure):
    value = (spans or {}).get(measure, {}).get("f1")
    return "—" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "Print every outlet's reliability score; --recompute stores a new run, --publish publishes the latest."

    def add_arguments(self, parser):
        parser.add_argument("--recompute", action="store_true", help="compute from the current marks and store a run")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--publish", action="store_true", help="publish the latest run to anonymous readers")

    def handle(self, *args, recompute=False, format="table", publish=False, **options):
        run: ScoreRun | None
        if recompute:
            run = recompute_outlet_scores()
        else:
            run = ScoreRun.objects.first()
            if run is None:
                raise CommandError("No scores computed yet. Run `python manage.py scores --recompute`.")
        if publish and not run.published:
            # The command line is a lead's tool (it needs shell access), so no user check here;
            # the run's own rules still apply (its record must be kept, no newer run published).
            error = publishable_error(run)
            if error:
                raise CommandError(error)
            run.published, run.published_at = True, timezone.now()
            run.save(update_fields=["published", "published_at"])
        snapshots = list(run.snapshots.select_related("outlet").order_by("outlet__domain"))
        if format == "json":
            self.stdout.write(json.dumps(self._as_json(run, snapshots), indent=2, default=str))
            return
        self._print_table(run, snapshots)

    def _as_json(self, run, snapshots):
        return {
            "run": run.pk,
            "method_version": run.method_version,
            "computed_at": run.computed_at.isoformat(),
            "published": run.published,
            "overall_alpha": run.overall_alpha,
            "global_rates": run.figures.get("global_rates", {}),
            "span_agreement": run.figures.get("span_agreement"),
            "outlets": [
                {
                    "outlet": s.outlet.domain,
                    "score": s.score,
                    "score_interval": s.figures.get("score_interval"),
                    "insufficient_evidence": s.insufficient_evidence,
                    "article_count": s.article_count,
                    "sentence_count": s.sentence_count,
                    "alpha": s.alpha,
                    "alpha_interpretation": s.figures.get("alpha_interpretation"),
                    "indicators": s.figures.get("indicators", {}),
                    "side_balance": s.figures.get("side_balance"),
                    "span_agreement": s.figures.get("span_agreement"),
                    "method_version": s.method_version,
                }
                for s in snapshots
            ],
        }

    def _print_table(self, run, snapshots):
        state = "published" if run.published else "not published"
        alpha = "undefined" if run.overall_alpha is None else f"{run.overall_alpha:.3f}"
        self.stdout.write(
            f"Run {run.pk} · method v{run.method_version} · {run.computed_at:%Y-%m-%d %H:%M} UTC · "
            f"{state} · overall alpha {alpha}"
        )
        spans = run.figures.get("span_agreement")
        if spans and spans.get("sentences"):
            self.stdout.write(
                f"Span agreement F1 (exact / token overlap, {spans['sentences']} sentence comparisons): "
                f"source {_f1(spans, 'source_exact')} / {_f1(spans, 'source_token')}, "
                f"cue {_f1(spans, 'cue_exact')} / {_f1(spans, 'cue_token')}"
            )
        if not snapshots:
            self.stdout.write("No outlets yet: ingest articles first.")
            return
        header = (
            f"{'outlet':30} {'score':>6} {'90% interval':>14} "
            + " ".join(f"{SHORT[n]:>6}" for n in INDICATORS)
            + f" {'arts':>5} {'sents':>6} {'alpha':>6} {'srcF1':>5}"
        )
        self.stdout.write(header)
        for s in snapshots:
            if s.insufficient_evidence:
                score, interval = "—", "insufficient"
            else:
                score = "—" if s.score is None else f"{s.score:.1f}"
                interval = "—" if s.score_low is None else f"{s.score_low:.1f}–{s.score_high:.1f}"
            indicators = s.figures.get("indicators", {})
            shown = "raw" if s.insufficient_evidence else "smoothed"
            values = " ".join(f"{_pct(indicators.get(n, {}).get(shown)):>6}" for n in INDICATORS)
            alpha = "—" if s.alpha is None else f"{s.alpha:.2f}"
            source_f1 = _f1(s.figures.get("span_agreement"), "source_token")
            self.stdout.write(
                f"{s.outlet.domain[:30]:30} {score:>6} {interval:>14} {values} "
                f"{s.article_count:>5} {s.sentence_count:>6} {alpha:>6} {source_f1:>5}"
            )
        if all(s.insufficient_evidence for s in snapshots):
            self.stdout.write(
                "Every outlet has insufficient evidence (fewer than "
                f"{run.method_settings.get('min_articles', 5)} articles with settled gold labels). "
                "Annotate articles with overlap and settle disputes at /adjudicate/."
            )
        else:
            self.stdout.write("Indicators are smoothed values (raw for outlets with insufficient evidence).")
        self.stdout.write("srcF1: source-span token-overlap F1 between reviewer pairs (— without spans to compare).")
