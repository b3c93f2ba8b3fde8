"""Who said it first: the claim index (features and LSH band keys per sentence), scored sentence
pairs, claim groups and their members, leads' grouping decisions, and article -> original links
(declared credits and detected rewrites)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from annotate.models import Article, Outlet, Sentence


class IndexedSentence(models.Model):
    """A sentence in the claim index: the features the verifier compares (JSON of
    `matching.Features`) and whether it can match at all (enough content words)."""

    sentence = models.OneToOneField(Sentence, on_delete=models.CASCADE, primary_key=True, related_name="claim_entry")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    features = models.JSONField()
    matchable = models.BooleanField(default=True)
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["article"], name="claims_indexed_article")]

    def __str__(self):
        return f"indexed sentence {self.sentence_id}"


class ClaimBand(models.Model):
    """One LSH band key of an indexed sentence: sentences sharing a key are candidate pairs."""

    key = models.BigIntegerField()
    sentence = models.ForeignKey(IndexedSentence, on_delete=models.CASCADE, related_name="bands")

    class Meta:
        indexes = [models.Index(fields=["key"], name="claims_band_key")]

    def __str__(self):
        return f"{self.key} -> {self.sentence_id}"


class TokenFrequency(models.Model):
    """In how many indexed sentences a token occurs: the verifier's IDF weights."""

    token = models.CharField(max_length=200, primary_key=True)
    sentences = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "token frequencies"

    def __str__(self):
        return f"{self.token}: {self.sentences}"


class SentencePairQuerySet(models.QuerySet):
    def touching(self, sentence_ids):
        """Pairs with either sentence among `sentence_ids`: a union of two index lookups (an OR of
        the two columns makes PostgreSQL scan the whole table)."""
        ids = list(sentence_ids)
        return self.filter(first__in=ids).order_by().union(self.filter(second__in=ids).order_by())

    def automatic(self):
        from .matching import AUTO_THRESHOLD

        return self.filter(score__gte=AUTO_THRESHOLD)

    def for_review(self):
        """Pairs between the review and the automatic threshold that no lead has decided yet."""
        from .matching import AUTO_THRESHOLD

        decided = ClaimDecision.objects.filter(first=models.OuterRef("first"), second=models.OuterRef("second"))
        return self.filter(score__lt=AUTO_THRESHOLD).exclude(models.Exists(decided))


class SentencePair(models.Model):
    """Two sentences of different outlets that the verifier scored at or above the review
    threshold (`first` has the smaller id). Automatic pairs group; the rest wait for a lead."""

    first = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reason = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = SentencePairQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "first_id", "second_id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="claims_pair_unique"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="claims_pair_ordered"),
        ]
        indexes = [models.Index(fields=["second"], name="claims_pair_second")]

    def __str__(self):
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"


class ClaimGroupQuerySet(models.QuerySet):
    def for_outlet(self, domain: str):
        return self.filter(members__sentence__article__outlet__domain=domain).distinct()


class ClaimGroup(models.Model):
    """Sentences of several outlets stating the same fact. Figures are cached from the members
    whose gold label is claim or attribution (or not settled yet); see services.refresh_groups."""

    class Status(models.TextChoices):
        CORROBORATED = "corroborated", "corroborated"
        SINGLE_SOURCE = "single_source", "single source"
        UNSOURCED = "unsourced", "unsourced"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNSOURCED, db_index=True)
    first_published = models.DateField(null=True, blank=True, db_index=True)
    outlet_count = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now, help_text="kept when a recomputation continues the group")
    updated = models.DateTimeField(auto_now=True)

    objects = ClaimGroupQuerySet.as_manager()

    class Meta:
        ordering = ["-first_published", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["corroborated", "single_source", "unsourced"]), name="claims_group_status_valid"
            ),
        ]

    def __str__(self):
        return f"claim {self.pk} ({self.outlet_count} outlets, {self.status})"

    def get_absolute_url(self):
        return reverse("claims:detail", args=[self.pk])


class ClaimMember(models.Model):
    group = models.ForeignKey(ClaimGroup, on_delete=models.CASCADE, related_name="members")
    sentence = models.OneToOneField(Sentence, on_delete=models.CASCADE, related_name="claim_membership")

    class Meta:
        ordering = ["group", "sentence"]

    def __str__(self):
        return f"{self.sentence_id} in {self.group_id}"


class ClaimDecision(models.Model):
    """A lead's grouping decision; every decision is kept, the latest per pair counts, and each one
    is applied again whenever groups are recomputed."""

    class Kind(models.TextChoices):
        SAME = "same", "same claim"
        APART = "apart", "not the same claim"
        DETACH = "detach", "in no group"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    first = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Sentence, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True, db_index=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["same", "apart", "detach"]), name="claims_decision_kind"),
            models.CheckConstraint(
                condition=(Q(kind="detach") & Q(second__isnull=True))
                | (~Q(kind="detach") & Q(second__isnull=False) & Q(first__lt=F("second"))),
                name="claims_decision_shape",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.first_id}/{self.second_id} by {self.lead}"


class ArticleLinkQuerySet(models.QuerySet):
    def standing(self):
        """Links that mark their article as not original reporting: all but rejected ones."""
        return self.exclude(status=ArticleLink.Status.REJECTED)


class ArticleLink(models.Model):
    """Article -> the article or outlet it restates: a declared credit ("Original Source: …",
    "via Reuters") or a detected rewrite (most of its sentences match an earlier article)."""

    class Kind(models.TextChoices):
        DECLARED = "declared", "declared credit"
        DETECTED = "detected", "detected rewrite"

    class Status(models.TextChoices):
        PENDING = "pending", "not reviewed"
        CONFIRMED = "confirmed", "confirmed by a lead"
        REJECTED = "rejected", "rejected by a lead"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="rewrite_links")
    original_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="rewritten_by"
    )
    original_outlet = models.ForeignKey(Outlet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    original_domain = models.CharField(max_length=253, help_text="the credited or rewritten outlet's domain")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    similarity = models.FloatField(null=True, blank=True, help_text="share of the article's sentences matched")
    evidence = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleLinkQuerySet.as_manager()

    class Meta:
        ordering = ["article", "kind", "original_domain"]
        constraints = [
            models.UniqueConstraint(fields=["article", "kind", "original_domain"], name="claims_link_unique"),
            models.CheckConstraint(condition=Q(kind__in=["declared", "detected"]), name="claims_link_kind"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "rejected"]), name="claims_link_status"
            ),
            models.CheckConstraint(condition=~Q(original_domain=""), name="claims_link_domain_not_empty"),
        ]

    def __str__(self):
        target = f"article {self.original_article_id}" if self.original_article_id else self.original_domain
        return f"{self.article_id} -> {target} ({self.kind}, {self.status})"
