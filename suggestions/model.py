"""The learned label model as plain data: JSON coefficients and vocabulary, inference in numpy.

A model is a calibrated multinomial logistic regression over the named features of
suggestions/features.py: probabilities = softmax((intercepts + coefficients · features) / temperature).
It is stored as JSON (the shipped default in suggestions/data/default_model.json, trained models in
SuggestionModel.parameters) and never unpickled: loading reads numbers and names only. scikit-learn
is needed to train one (suggestions/train.py), not to use one.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MODEL_FORMAT = "sourcemark-label-model/1"
RULES_VERSION = "rules-3"
LEARNED_KIND = "learned"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "data" / "default_model.json"
DIGITS = 6


class ModelFormatError(ValueError):
    """A stored model that is not a well-formed label model of this format."""


@dataclass(frozen=True, eq=False)
class LabelModel:
    """A calibrated linear label model.

    `coefficients[c][f]` weighs feature `features[f]` for class `classes[c]`. `prefill_threshold` is
    the confidence at and above which suggestions were right (label and spans) at least 95 % of the
    time on held-out folds when the model was trained; None: never pre-fill.
    """

    version: str
    classes: tuple[str, ...]
    features: tuple[str, ...]
    coefficients: tuple[tuple[float, ...], ...]
    intercepts: tuple[float, ...]
    temperature: float = 1.0
    prefill_threshold: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.features)}

    @cached_property
    def _weights(self) -> np.ndarray:
        """(features, classes), so that a row's logits are a sum of a few gathered rows."""
        return np.asarray(self.coefficients, dtype=np.float64).T.copy()

    @cached_property
    def _bias(self) -> np.ndarray:
        return np.asarray(self.intercepts, dtype=np.float64)

    def logits(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """(rows, classes) uncalibrated scores; features the model does not know are ignored."""
        out = np.tile(self._bias, (len(rows), 1))
        index, weights = self._index, self._weights
        for i, row in enumerate(rows):
            known = [(index[name], value) for name, value in row.items() if name in index and value]
            if known:
                positions, values = zip(*known, strict=True)
                out[i] += np.asarray(values) @ weights[list(positions)]
        return out

    def probabilities(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """(rows, classes) calibrated probabilities, each row summing to 1."""
        return softmax(self.logits(rows) / self.temperature)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; `weights` maps each feature to its weight for each class, in `classes` order."""
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "classes": list(self.classes),
            "intercepts": [round(v, DIGITS) for v in self.intercepts],
            "temperature": round(self.temperature, DIGITS),
            "prefill_threshold": None if self.prefill_threshold is None else round(self.prefill_threshold, DIGITS),
            "weights": {
                name: [round(row[i], DIGITS) for row in self.coefficients] for i, name in enumerate(self.features)
            },
            "metadata": dict(self.metadata),
        }

    def dumps(self) -> str:
        """Stable, reviewable JSON text: sorted keys, rounded numbers, one line per feature's weights.
        Retraining on the same data gives the same file."""
        data = self.to_dict()
        weights = data.pop("weights")
        head = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
        rows = ",\n".join(f"  {json.dumps(name)}: {json.dumps(row)}" for name, row in sorted(weights.items()))
        return head[:-2] + ',\n "weights": {\n' + rows + "\n }\n}\n"

    @classmethod
    def from_dict(cls, data: Any) -> LabelModel:
        """Validate and build; ModelFormatError names the first problem found."""
        if not isinstance(data, Mapping) or data.get("format") != MODEL_FORMAT:
            raise ModelFormatError(f"not a {MODEL_FORMAT} model")
        try:
            classes = tuple(_strings(data["classes"], "classes"))
            if len(classes) < 2 or len(set(classes)) != len(classes):
                raise ModelFormatError("a model needs two or more distinct classes")
            weights = data["weights"]
            if not isinstance(weights, Mapping):
                raise ModelFormatError("weights must map feature names to lists of numbers")
            features = tuple(str(name) for name in weights)
            columns = [_numbers(weights[name], "weights") for name in features]
            if any(len(column) != len(classes) for column in columns):
                raise ModelFormatError("each feature needs one weight per class")
            coefficients = tuple(tuple(column[c] for column in columns) for c in range(len(classes)))
            intercepts = tuple(_numbers(data["intercepts"], "intercepts"))
            temperature = float(data.get("temperature", 1.0))
            threshold = data.get("prefill_threshold")
            version = str(data["version"])
        except ModelFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"malformed model: {exc}") from None
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ModelFormatError("a model needs two or more distinct classes")
        if len(intercepts) != len(classes):
            raise ModelFormatError("one intercept per class is needed")
        if not (math.isfinite(temperature) and temperature > 0):
            raise ModelFormatError("temperature must be a positive number")
        if threshold is not None and not (isinstance(threshold, int | float) and 0 < threshold <= 1):
            raise ModelFormatError("prefill_threshold must be in (0, 1] or null")
        return cls(
            version=version,
            classes=classes,
            features=features,
            coefficients=coefficients,
            intercepts=intercepts,
            temperature=temperature,
            prefill_threshold=None if threshold is None else float(threshold),
            metadata=dict(data.get("metadata") or {}),
        )

    @classmethod
    def loads(cls, text: str) -> LabelModel:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ModelFormatError(f"not JSON: {exc}") from None
        return cls.from_dict(data)


def _strings(values: Any, what: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ModelFormatError(f"{what} must be a list of strings")
    return values


def _numbers(values: Any, what: str) -> list[float]:
    if not isinstance(values, list) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ModelFormatError(f"{what} must be lists of numbers")
    numbers = [float(v) for v in values]
    if not all(math.isfinite(v) for v in numbers):
        raise ModelFormatError(f"{what} must be finite")
    return numbers


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def load_model(path: Path | str) -> LabelModel:
    return LabelModel.loads(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_model() -> LabelModel | None:
    """The model shipped with the app (suggestions/data/default_model.json); None, with a warning
    logged, when the file is missing or damaged (suggestions then come from the rules)."""
    try:
        return load_model(DEFAULT_MODEL_PATH)
    except (OSError, ModelFormatError) as exc:
        logger.warning("default suggestion model %s is not usable (%s): using the rules", DEFAULT_MODEL_PATH, exc)
        return None


@dataclass(frozen=True)
class Suggester:
    """What produces suggestions: a version string and the label model (None: rules only)."""

    version: str
    model: LabelModel | None = None


RULES = Suggester(RULES_VERSION)
# Parsed models by SuggestionModel version; a failed load is cached as the fallback too.
_loaded: dict[str, Suggester] = {}


def fallback_suggester() -> Suggester:
    """The shipped default model, else the rules."""
    model = default_model()
    return Suggester(model.version, model) if model is not None else RULES


def active_suggester() -> Suggester:
    """The active trained model if there is a usable one, else the shipped default, else the rules.

    One query; a second (the parameters) only the first time this process meets a model version.
    """
    from suggestions.models import SuggestionModel

    active = SuggestionModel.objects.filter(is_active=True).values_list("pk", "version", "kind").first()
    if active is None or active[2] != LEARNED_KIND:
        return fallback_suggester()
    pk, version, _ = active
    if version not in _loaded:
        parameters = SuggestionModel.objects.filter(pk=pk).values_list("parameters", flat=True).first()
        try:
            model = LabelModel.from_dict(parameters)
            suggester = Suggester(version, model)
        except ModelFormatError as exc:
            logger.warning("suggestion model %s is not usable (%s): using the default", version, exc)
            suggester = fallback_suggester()
        _loaded.clear()
        _loaded[version] = suggester
    return _loaded[version]
