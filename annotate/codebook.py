"""The codebook: what reviewers mark. The single source for labels, source kinds and their meaning.

Everything that lists labels (models, API validation, the annotation page, the Label Studio
labeling config, exports) derives them from here.
"""

from django.db import models

CODEBOOK_VERSION = "1"


class Label(models.TextChoices):
    CLAIM = "claim", "Claim"
    ATTRIBUTION = "attribution", "Attribution"
    ANALYSIS = "analysis", "Analysis"
    OTHER = "other", "Other"


class SourceKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    GOVERNMENT = "government", "Government"
    MEDIA = "media", "Media"
    DOCUMENT = "document", "Document"
    ANONYMOUS = "anonymous", "Anonymous"


LABEL_DEFINITIONS = {
    Label.CLAIM: ("A checkable statement of fact that the outlet makes in its own voice, without naming who says so."),
    Label.ATTRIBUTION: (
        "The sentence reports what a source said, claimed, reported or showed: a source, "
        "a cue such as “said”, “affirmed”, “according to”, “reports indicate”, and the content."
    ),
    Label.ANALYSIS: ("Interpretation, context, assessment, prediction or opinion, not a checkable event."),
    Label.OTHER: "Not part of the report: bylines, credits, boilerplate, captions.",
}

LABEL_EXAMPLES = {
    Label.CLAIM: "Militias backed by Iran have recently crossed into Syria …",
    Label.ATTRIBUTION: ("The White Helmets, an opposition rescue service, affirmed the rising casualties …"),
    Label.ANALYSIS: "This resurgence of conflict marks a significant point in the civil war …",
    Label.OTHER: "Original Source: news.sky.com",
}

KIND_DEFINITIONS = {
    SourceKind.PERSON: "A named individual.",
    SourceKind.ORGANISATION: "A named organisation that is not a government body.",
    SourceKind.GOVERNMENT: "Officials, ministries, armed forces.",
    SourceKind.MEDIA: "Another outlet, or “reports” in general.",
    SourceKind.DOCUMENT: "A study, data set or court record.",
    SourceKind.ANONYMOUS: "Unnamed or vague: “analysts”, “reports indicate”, “sources said”.",
}

# Keyboard keys of the annotation page, in codebook order.
LABEL_KEYS = {Label.CLAIM: "1", Label.ATTRIBUTION: "2", Label.ANALYSIS: "3", Label.OTHER: "4"}

# Kinds that count as named sources in the scores (docs/scoring.md section 3).
NAMED_KINDS = frozenset({SourceKind.PERSON, SourceKind.ORGANISATION, SourceKind.GOVERNMENT, SourceKind.DOCUMENT})
