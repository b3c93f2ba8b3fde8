"""Versions of the suggestion model."""

from django.db import models
from django.db.models import Q


class SuggestionModel(models.Model):
    """A version of the suggestion model trained on a team's gold labels: its parameters as plain
    JSON (suggestions.model.LabelModel.to_dict), never pickled bytes."""

    version = models.CharField(max_length=50, unique=True)
    kind = models.CharField(max_length=20, default="learned")
    training_size = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    parameters = models.JSONField(
        null=True, blank=True, help_text="classes, feature names, coefficients, temperature, pre-fill threshold"
    )
    is_active = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_suggestion_model"
            ),
        ]

    def __str__(self):
        return self.version
