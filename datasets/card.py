"""The human-readable dataset card (README.md) of an export, rendered from its dataset.json."""

from __future__ import annotations

import re

FILE_NOTES = {
    "sentences.jsonl": "one export record per line (schema below)",
    "sentences.csv": "one row per sentence; gold label and each reviewer's label and source in columns",
    "labelstudio.json": "Label Studio tasks with the reviewers' marks as annotations (import as they are)",
    "spans.conll": "token<TAB>tag, BIO tags for SOURCE and CUE spans, blank line between sentences",
}

SCHEMA = """\
Each JSONL line: `sentence_id, article_id, outlet, url, published, position, text, start, end,
label, label_source, source, annotations, agreement, split, adjudication, article` (and `claim_group`
when the export includes claim groups).

- `label` is the gold label (docs/scoring.md §1): adjudicated, else unanimous, else strict majority.
  `label_source` is `adjudicated`, `unanimous` or `majority`. Disputed and unmarked sentences are
  left out unless the export includes unsettled sentences; then `label` is null and
  `label_source` is `disputed` or `unmarked`.
- `source` is the gold source of an attribution ({name, kind, side, side_topic}) or null.
- `annotations`: every counted mark, by reviewer username: reviewer, label, source, source_span
  and cue_span (character offsets into `text`), created.
- `agreement`: share of the sentence's marks equal to the gold label (null without marks).
- `split`: train/dev/test by article, from SHA-256 of "seed:article_id".
- `article`: on the first line of each article, {title, outlet_name, topic, text} (the full text,
  `text == article.text[start:end]`); null on the other lines. `adjudication`: the lead's
  decision ({label, source, lead, note}) or null.

- `claim_group` (exports with claim groups only; also a CSV column): the id of the claim group the
  sentence belongs to, i.e. sentences of other outlets matched as stating the same fact
  (/claims/<id>/ and /api/v1/claims/<id>/), or null. Sentences sharing an id are paraphrase pairs;
  groups come from an automatic matcher (precision about 0.9 on hand-labelled pairs) and leads'
  merges and splits, so treat them as silver labels (docs/claims.md).

BIO spans (spans.conll) come from the first reviewer (by username) whose label equals the gold
label, whose source equals the gold source when there is one, and who marked a span.
"""


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


def _one_line(value) -> str:
    return _CONTROL_OR_SPACE.sub(" ", str(value)).strip()


def escape_markdown(value) -> str:
    """Any value as inert Markdown text on one line: every ASCII punctuation character is
    backslash-escaped (CommonMark lets each be, so no link, heading, list, emphasis or HTML tag can
    start), and line breaks and control characters become one space."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", _one_line(value))


def code_span(value) -> str:
    """Any value as one Markdown code span (shown literally: no link, tag or emphasis inside),
    fenced with one more backtick than its longest run of backticks."""
    text = _one_line(value)
    runs = re.findall(r"`+", text)
    fence = "`" * (max(map(len, runs), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _filter_value(value) -> str:
    """A filter's value in the card: each item a code span; nothing chosen is "(any)"."""
    if value is None or value == "" or value == []:
        return "(any)"
    items = value if isinstance(value, list | tuple) else [value]
    return ", ".join(code_span(item) for item in items)


def render_readme(card: dict) -> str:
    counts, agreement = card["counts"], card["agreement"]
    lines = [
        f"# {escape_markdown(card['name'])}",
        "",
        "Labelled sentences from Sourcemark: each sentence of a news article marked as claim, attribution,",
        "analysis or other, with the source and cue spans of attributions.",
        "",
        f"- Created: {card['created']}",
        f"- Schema version: {card['schema_version']} · codebook version: {card['codebook_version']}",
        f"- {card['message']}",
        "",
        "## Files",
        "",
    ]
    for name in sorted(card["files"]):
        lines.append(f"- `{name}`: {FILE_NOTES.get(name, '')}".rstrip(": "))
    lines += ["- `dataset.json`: this card as data, with the SHA-256 of every other file", "", "## Counts", ""]
    lines += [
        "| split | " + " | ".join(counts["by_label"]) + " | total |",
        "| --- |" + " --- |" * (len(counts["by_label"]) + 1),
    ]
    for split, total in counts["by_split"].items():
        per_label = counts["by_split_label"][split]
        lines.append(
            f"| {split} | " + " | ".join(str(per_label.get(label, 0)) for label in counts["by_label"]) + f" | {total} |"
        )
    lines += [
        "| all | " + " | ".join(str(n) for n in counts["by_label"].values()) + f" | {counts['sentences']} |",
        "",
        "Gold label reached by: " + (", ".join(f"{k} {v}" for k, v in counts["by_label_source"].items()) or "—"),
        "",
        "## Agreement",
        "",
        f"Krippendorff's alpha (nominal, label): {agreement['krippendorff_alpha']} "
        f"({agreement['interpretation']}) over {agreement['pairable_sentences']} sentences with 2 or more marks; "
        f"mean sentence agreement {agreement['mean_sentence_agreement']}.",
        "",
        "## Filters",
        "",
    ]
    lines += [f"- {key}: {_filter_value(value)}" for key, value in card["filters"].items()]
    lines += ["", "## Schema", "", SCHEMA]
    return "\n".join(lines)
