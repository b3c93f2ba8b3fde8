"""The Label Studio labeling config, generated from the codebook (annotate/codebook.py).

Control, object and data-key names come from labelstudio/schema.py, so that the
dataset export's Label Studio JSON imports into a project made with this config.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import quoteattr

from annotate.codebook import KIND_DEFINITIONS, LABEL_DEFINITIONS, LABEL_KEYS, Label, SourceKind
from labelstudio.schema import (
    CUE_SPAN_LABEL,
    DATA_CONTEXT,
    DATA_SENTENCE,
    DATA_TITLE,
    LABEL_FROM_NAME,
    SOURCE_KIND_FROM_NAME,
    SOURCE_SPAN_LABEL,
    SPANS_FROM_NAME,
    TO_NAME,
)

# Not part of the export: the reviewer's optional note.
NOTE_FROM_NAME = "note"
CONTEXT_NAME = "context"
SPAN_LABELS = (SOURCE_SPAN_LABEL, CUE_SPAN_LABEL)
SPAN_COLOURS = {SOURCE_SPAN_LABEL: "#1f77b4", CUE_SPAN_LABEL: "#ff7f0e"}
SPAN_HOTKEYS = {SOURCE_SPAN_LABEL: "s", CUE_SPAN_LABEL: "c"}
# Every task's data carries these keys (the config reads them as $variables).
REQUIRED_DATA_KEYS = (DATA_SENTENCE, DATA_CONTEXT, DATA_TITLE)

__all__ = [
    "CONTEXT_NAME",
    "CUE_SPAN_LABEL",
    "DATA_CONTEXT",
    "DATA_SENTENCE",
    "DATA_TITLE",
    "LABEL_FROM_NAME",
    "NOTE_FROM_NAME",
    "REQUIRED_DATA_KEYS",
    "SOURCE_KIND_FROM_NAME",
    "SOURCE_SPAN_LABEL",
    "SPANS_FROM_NAME",
    "SPAN_LABELS",
    "TO_NAME",
    "config_hash",
    "label_config",
    "missing_controls",
]


def _attrs(**values: str) -> str:
    """XML attributes in double quotes (the SDK's own checks are regexes on name="…")."""
    return " ".join(f"{name.rstrip('_')}={quoteattr(str(value))}" for name, value in values.items())


def label_config() -> str:
    """The labeling config XML: article context, the sentence, one label, SOURCE/CUE spans, source kind."""
    choices = "\n".join(
        f"    <Choice {_attrs(value=label.value, hint=LABEL_DEFINITIONS[label], hotkey=LABEL_KEYS[label])}/>"
        for label in Label
    )
    spans = "\n".join(
        f"    <Label {_attrs(value=tag, hotkey=SPAN_HOTKEYS[tag], background=SPAN_COLOURS[tag])}/>"
        for tag in SPAN_LABELS
    )
    kinds = "\n".join(f"      <Choice {_attrs(value=kind.value, hint=KIND_DEFINITIONS[kind])}/>" for kind in SourceKind)
    return f"""<View>
  <Header {_attrs(value="$" + DATA_TITLE)}/>
  <Text {_attrs(name=CONTEXT_NAME, value="$" + DATA_CONTEXT, granularity="word")}/>
  <Header {_attrs(value="Sentence", size="5")}/>
  <Text {_attrs(name=TO_NAME, value="$" + DATA_SENTENCE)}/>
  <Choices {_attrs(name=LABEL_FROM_NAME, toName=TO_NAME, choice="single-radio", showInline="true", required="true")}>
{choices}
  </Choices>
  <Labels {_attrs(name=SPANS_FROM_NAME, toName=TO_NAME)}>
{spans}
  </Labels>
  <View {_attrs(visibleWhen="region-selected", whenTagName=SPANS_FROM_NAME, whenLabelValue=SOURCE_SPAN_LABEL)}>
    <Header {_attrs(value="Source kind", size="6")}/>
    <Choices {_attrs(name=SOURCE_KIND_FROM_NAME, toName=TO_NAME, perRegion="true", choice="single")}>
{kinds}
    </Choices>
  </View>
  <TextArea {_attrs(name=NOTE_FROM_NAME, toName=TO_NAME, rows="2", maxSubmissions="1", placeholder="Optional note")}/>
</View>"""


def config_hash(xml: str) -> str:
    """SHA-256 of a config, whitespace-insensitive (Label Studio may re-indent what it stores)."""
    return hashlib.sha256(" ".join(xml.split()).encode()).hexdigest()


def validate_locally(xml: str) -> None:
    """Raise ValueError when the SDK's parser rejects the config (broken XML, dangling toName)."""
    from label_studio_sdk.label_interface import LabelInterface

    try:
        LabelInterface(xml).validate()
    except Exception as exc:  # the SDK raises plain Exception subclasses
        raise ValueError(f"invalid labeling config: {exc}") from None


def config_values(xml: str) -> dict[str, set[str]]:
    """Control name -> the values it offers (Choice/Label `value`s), read from a config."""
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(xml)
    values: dict[str, set[str]] = {}
    for control in interface.controls:
        values[control.name] = {str(label) for label in getattr(control, "labels", None) or []}
    return values


def missing_controls(xml: str) -> list[str]:
    """What a remote project's config lacks for a pull: our controls and the values we rely on ([] = fine)."""
    try:
        offered = config_values(xml)
    except Exception as exc:  # unparsable remote config
        return [f"unreadable config ({exc})"]
    wanted = {
        LABEL_FROM_NAME: set(Label.values),
        SPANS_FROM_NAME: set(SPAN_LABELS),
        SOURCE_KIND_FROM_NAME: set(SourceKind.values),
    }
    problems = []
    for name, values in wanted.items():
        if name not in offered:
            problems.append(f"no control named {name!r}")
        elif values - offered[name]:
            problems.append(f"{name!r} lacks {', '.join(sorted(values - offered[name]))}")
    return problems
