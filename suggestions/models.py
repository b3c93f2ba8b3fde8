"""Versions of the suggestion model."""

from django.db import models
from django.db.models import Q


class SuggestionModel(models.Model):
    """A version of the suggestion model: rules only, or a trained classifier stored as bytes."""

    version = models.CharField(max_length=50, unique=True)
    kind = models.CharField(max_length=20, default="learned")
    training_size = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    payload = models.BinaryField(null=True, blank=True, help_text="the serialized scikit-learn pipeline")
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
