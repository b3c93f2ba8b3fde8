"""The Label Studio side of an export: control and object names shared with the labeling config
(annotate/labelstudio/config.py imports these), and one task per exported sentence.

Task shape (Label Studio JSON import): {"data": {...}, "annotations": [{"result": [...]}]}.
`completed_by` is left out on purpose: Label Studio only accepts the id or e-mail of a member of
the target project and rejects the whole import otherwise; without it the annotation belongs to
the importing user. Who made each mark is kept in `data.annotators` (same order as annotations).
"""

from __future__ import annotations

# Object (what is labelled) and the data keys the config's $variables read.
TO_NAME = "sentence"
DATA_SENTENCE = "sentence"
DATA_CONTEXT = "context"
DATA_TITLE = "article_title"
# Controls.
LABEL_FROM_NAME = "label"  # <Choices name="label" toName="sentence"> with the codebook labels
SPANS_FROM_NAME = "spans"  # <Labels name="spans" toName="sentence"> with SOURCE and CUE
SOURCE_KIND_FROM_NAME = "source_kind"  # per-region <Choices perRegion="true"> with the source kinds
SOURCE_SPAN_LABEL = "SOURCE"
CUE_SPAN_LABEL = "CUE"
# Characters of article text shown on either side of the sentence in `context`.
CONTEXT_CHARS = 300


def context_window(article_text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> str:
    """The article text around [start, end): `width` characters either side, cut at whitespace."""
    left = max(0, start - width)
    right = min(len(article_text), end + width)
    if left > 0:
        cut = article_text.find(" ", left, start)
        left = cut + 1 if cut != -1 else left
    if right < len(article_text):
        cut = article_text.rfind(" ", end, right)
        right = cut if cut != -1 else right
    return article_text[left:right]


def _region(region_id: str, text: str, span: list[int], tag: str) -> dict:
    start, end = span
    return {
        "id": region_id,
        "from_name": SPANS_FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [tag]},
    }


def annotation_result(record_annotation: dict, text: str, prefix: str) -> list[dict]:
    """The Label Studio `result` list of one reviewer's mark (see annotations in records.py)."""
    result = [
        {
            "id": f"{prefix}-label",
            "from_name": LABEL_FROM_NAME,
            "to_name": TO_NAME,
            "type": "choices",
            "value": {"choices": [record_annotation["label"]]},
        }
    ]
    if record_annotation["source_span"]:
        region_id = f"{prefix}-source"
        result.append(_region(region_id, text, record_annotation["source_span"], SOURCE_SPAN_LABEL))
        source = record_annotation["source"]
        if source:
            start, end = record_annotation["source_span"]
            result.append(
                {
                    "id": region_id,
                    "from_name": SOURCE_KIND_FROM_NAME,
                    "to_name": TO_NAME,
                    "type": "choices",
                    "value": {"start": start, "end": end, "text": text[start:end], "choices": [source["kind"]]},
                }
            )
    if record_annotation["cue_span"]:
        result.append(_region(f"{prefix}-cue", text, record_annotation["cue_span"], CUE_SPAN_LABEL))
    return result


def task_for(record: dict, article_title: str, article_text: str) -> dict:
    """One Label Studio task for an export record, carrying its reviewers' marks as annotations."""
    text = record["text"]
    data = {
        DATA_SENTENCE: text,
        DATA_CONTEXT: context_window(article_text, record["start"], record["end"]),
        DATA_TITLE: article_title,
        "sentence_id": record["sentence_id"],
        "article_id": record["article_id"],
        "outlet": record["outlet"],
        "url": record["url"],
        "published": record["published"],
        "position": record["position"],
        "gold_label": record["label"],
        "label_source": record["label_source"],
        "split": record["split"],
        "annotators": [mark["reviewer"] for mark in record["annotations"]],
    }
    annotations = [
        {
            "result": annotation_result(mark, text, f"s{record['sentence_id']}-{index}"),
            "created_at": mark["created"],
            "ground_truth": False,
            "was_cancelled": False,
        }
        for index, mark in enumerate(record["annotations"])
    ]
    return {"data": data, "annotations": annotations}
