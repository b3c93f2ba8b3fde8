"""Formatting filters for score pages: percentages, intervals, alpha."""

from django import template

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
