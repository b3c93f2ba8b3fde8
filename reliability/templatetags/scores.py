"""Formatting filters for score pages: percentages, intervals, alpha and what it says."""

from django import template

from reliability.scoring import interpret_alpha

register = template.Library()


@register.filter
def pct(value, digits=0):
    """0.4667 -> "46.7%" (digits=1); None -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def pct_interval(interval, digits=0):
    """[0.41, 0.52] -> "41–52%"; None -> "—"."""
    if not interval:
        return "—"
    low, high = interval
    return f"{100 * low:.{int(digits)}f}–{100 * high:.{int(digits)}f}%"


@register.filter
def number(value, digits=1):
    return "—" if value is None else f"{float(value):.{int(digits)}f}"


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)


# Krippendorff's readings (scoring.interpret_alpha) in words a reader takes for what they are:
# how consistently the reviewers labelled, never a verdict on the outlet.
AGREEMENT_LEVELS = {
    "reliable": "high",
    "tentative": "moderate",
    "not reliable": "low",
    "undefined": "not measured (too few sentences marked twice)",
}


@register.filter
def agreement_level(alpha) -> str:
    """0.41 -> "low", 0.7 -> "moderate", 0.85 -> "high", None -> "not measured (…)"."""
    return AGREEMENT_LEVELS[interpret_alpha(None if alpha in (None, "") else float(alpha))]


@register.filter
def agreement(alpha) -> str:
    """0.41 -> "reviewer agreement: low"."""
    return f"reviewer agreement: {agreement_level(alpha)}"
