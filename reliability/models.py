"""Stored score runs: one run of the method, each outlet's figures in it, and the gold label of
every sentence it used (the run's record, docs/scoring.md section 1), so that a published figure
and the evidence behind it agree for ever."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.deletion import ProtectedError

from annotate.codebook import Label, SourceKind
from annotate.models import Article, Outlet, Sentence, Source, is_lead

# Figures that name reviewers: for leads only (docs/scoring.md section 2).
PEOPLE_KEYS = ("reviewer_pairs",)


def without_people(figures: dict) -> dict:
    """`figures` (a run's or a snapshot's) without anything that names a reviewer: reviewer-pair
    agreement and span agreement per reviewer pair. Public pages and non-leads read this."""
    kept = {key: value for key, value in figures.items() if key not in PEOPLE_KEYS}
    spans = kept.get("span_agreement")
    if isinstance(spans, dict) and "pairs" in spans:
        kept["span_agreement"] = {key: value for key, value in spans.items() if key != "pairs"}
    return kept


def can_read_scores(user) -> bool:
    """Signed-in users may read scores; anonymous readers only while PUBLIC_SCORES is on."""
    return user.is_authenticated or settings.PUBLIC_SCORES


class ScoreRunQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Leads read every run; everyone else published runs (anonymous readers only when
        PUBLIC_SCORES is on, else none). Snapshots, run records, evidence and source pages all
        follow this (`ScoreSnapshotQuerySet.readable_by`, `RunSentenceQuerySet.readable_by`)."""
        if is_lead(user):
            return self
        if not can_read_scores(user):
            return self.none()
        return self.filter(published=True)

    def delete(self):
        """Delete unpublished runs; a published run is refused (ProtectedError), with nothing deleted."""
        published = list(self.filter(published=True)[:1])
        if published:
            raise ProtectedError("A published score run is kept for ever; it cannot be deleted.", set(published))
        return super().delete()


class ScoreRun(models.Model):
    """One recompute of every outlet's score with one method version and settings."""

    method_version = models.CharField(max_length=20)
    method_settings = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    overall_alpha = models.FloatField(null=True, blank=True)
    figures = models.JSONField(default=dict, blank=True, help_text="global rates, overall agreement")
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published = models.BooleanField(default=False, help_text="visible to anonymous readers")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    record_kept = models.BooleanField(
        default=True,
        help_text="False once the per-sentence record of an old unpublished run was pruned: it can no "
        "longer be published (its evidence is gone)",
    )
    sentence_count = models.PositiveIntegerField(default=0, help_text="sentences in the run's record")
    revision = models.PositiveIntegerField(
        default=0,
        help_text="times the figures of this unpublished run were refreshed after marks changed (a publish "
        "names the revision it reviewed)",
    )

    objects = ScoreRunQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self):
        return f"run {self.pk} (v{self.method_version}, {self.computed_at:%Y-%m-%d %H:%M})"

    def delete(self, *args, **kwargs):
        if self.published:
            raise ProtectedError("A published score run is kept for ever; it cannot be deleted.", {self})
        return super().delete(*args, **kwargs)

    def figures_for(self, user) -> dict:
        """The run's figures as `user` may read them: leads all, others `without_people`."""
        return self.figures if is_lead(user) else without_people(self.figures)


class ScoreSnapshotQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Snapshots of the runs `user` may read (`ScoreRunQuerySet.readable_by`)."""
        return self.filter(run__in=ScoreRun.objects.readable_by(user))


class ScoreSnapshot(models.Model):
    """An outlet's figures in one run: history and trends survive recomputes."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="snapshots")
    # An outlet with stored figures is never deleted (retire it instead): its history must stay.
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="score_snapshots")
    method_version = models.CharField(max_length=20, db_index=True)
    computed_at = models.DateTimeField(db_index=True)
    score = models.FloatField(null=True, blank=True)
    score_low = models.FloatField(null=True, blank=True)
    score_high = models.FloatField(null=True, blank=True)
    insufficient_evidence = models.BooleanField(default=True)
    article_count = models.PositiveIntegerField(default=0)
    sentence_count = models.PositiveIntegerField(default=0)
    alpha = models.FloatField(null=True, blank=True)
    figures = models.JSONField(default=dict)

    objects = ScoreSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "outlet"]
        constraints = [models.UniqueConstraint(fields=["run", "outlet"], name="snapshot_unique_per_run")]
        indexes = [models.Index(fields=["outlet", "-computed_at"], name="snapshot_outlet_recent")]

    def __str__(self):
        return f"{self.outlet} v{self.method_version} {self.computed_at:%Y-%m-%d}: {self.score}"

    def figures_for(self, user) -> dict:
        """The outlet's figures as `user` may read them: leads all, others `without_people`."""
        return self.figures if is_lead(user) else without_people(self.figures)


class RunSentenceQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Record rows of the runs `user` may read (`ScoreRunQuerySet.readable_by`)."""
        return self.filter(run__in=ScoreRun.objects.readable_by(user))


class RunSentence(models.Model):
    """The gold label one score run used for one sentence: the run's record.

    Written once per run in one INSERT ... SELECT (`reliability.queries.record_run_sentences`),
    for every reviewable sentence with a counting mark or an adjudication; every roll-up of the
    run (counts, agreement, label status) and its evidence and source pages read these rows, so
    they agree with the published figures whatever changes later. The mark counts per label are
    the sentence's agreement pattern (Krippendorff's alpha needs nothing else).
    """

    # (run, outlet, sentence): one row per sentence and run (a sentence has one outlet), and the
    # index every read of a run and of one outlet in it walks.
    pk = models.CompositePrimaryKey("run_id", "outlet_id", "sentence_id")
    # Foreign keys without database constraints: checking three keys per row would cost more than
    # deciding every gold label. Django enforces the deletion rules (PROTECT, CASCADE), and
    # nothing deletes sentences, sources or runs behind its back.
    run = models.ForeignKey(
        ScoreRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="sentences"
    )
    # A sentence (so its article, so its outlet) that a stored run used cannot be deleted. No index
    # of its own: it would slow every run's record down for the rare deletion check.
    sentence = models.ForeignKey(
        Sentence, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    # Copies of the sentence's article and outlet, so that roll-ups group without joins (the
    # sentence's PROTECT already keeps both).
    article = models.ForeignKey(
        Article, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    label = models.CharField(max_length=20, choices=Label.choices, null=True, help_text="gold label; null: disputed")
    label_source = models.CharField(max_length=20, help_text="adjudicated | unanimous | majority | disputed")
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        db_constraint=False,
        db_index=False,
        related_name="+",
        help_text="gold source",
    )
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices, blank=True)
    claim_marks = models.PositiveSmallIntegerField(default=0)
    attribution_marks = models.PositiveSmallIntegerField(default=0)
    analysis_marks = models.PositiveSmallIntegerField(default=0)
    other_marks = models.PositiveSmallIntegerField(default=0)

    objects = RunSentenceQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["source", "run"], name="runsentence_source", condition=Q(source__isnull=False)),
        ]

    def __str__(self):
        return f"run {self.run_id} · sentence {self.sentence_id}: {self.label or self.label_source}"

    @property
    def marks(self) -> int:
        return self.claim_marks + self.attribution_marks + self.analysis_marks + self.other_marks


class RunClaim(models.Model):
    """A claim or attribution of a run's record that belongs to a claim group carried by two or
    more outlets when the run was made (method version 2, docs/claims.md): the group, its status
    and whether this sentence's outlet published it first, all decided from the run's own gold
    labels (`reliability.queries.record_run_claims`). The claims indicators and their evidence read
    these rows, so they agree for ever, however groups are merged, split or recomputed later.
    """

    pk = models.CompositePrimaryKey("run_id", "outlet_id", "sentence_id")
    run = models.ForeignKey(
        ScoreRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="claims"
    )
    sentence = models.ForeignKey(
        Sentence, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    article = models.ForeignKey(
        Article, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The claims app's group id at the time (no foreign key: a later regroup may retire it).
    group_id = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, help_text="corroborated | single_source | unsourced")
    first = models.BooleanField(help_text="this outlet published the claim first (ties: all of them)")

    class Meta:
        indexes = [models.Index(fields=["run", "group_id"], name="runclaim_group")]

    def __str__(self):
        return f"run {self.run_id} · sentence {self.sentence_id}: claim {self.group_id} ({self.status})"


# The per-label mark count columns of RunSentence, in codebook order (an agreement pattern).
PATTERN_FIELDS: dict[str, str] = {label: f"{label}_marks" for label in Label.values}


class RunOutletParts(models.Model):
    """One outlet's share of a run before anything that depends on every outlet is applied (global
    rates, overall agreement, claims across outlets): per-article gold counts, attributions per
    source and alpha; the outlet's agreement patterns, label status, reviewer-pair patterns and span
    agreement counts (`reliability.services.OutletParts`). Kept for the newest run only: a refresh
    after marks change recomputes the outlets the change touches and reads the others from here."""

    pk = models.CompositePrimaryKey("run_id", "outlet_id")
    run = models.ForeignKey(
        ScoreRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="outlet_parts"
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    parts = models.JSONField()
    # What the outlet's figures hold that does not depend on the global rates, and what it was made
    # from besides the parts (`reliability.services.OutletBase`); the bootstrap's resampled totals
    # (resamples x count fields, `OutletBase.bootstrap_bytes`). A refresh reuses them for
    # an outlet it does not touch while those inputs are unchanged. NULL: made before they were kept.
    base = models.JSONField(null=True, blank=True)
    bootstrap = models.BinaryField(null=True, blank=True)

    def __str__(self):
        return f"run {self.run_id} · outlet {self.outlet_id}"
