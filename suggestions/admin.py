"""Admin for versions of the suggestion model (read-only: `suggest train` makes them)."""

from django.contrib import admin

from .models import SuggestionModel


@admin.register(SuggestionModel)
class SuggestionModelAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "training_size", "is_active", "created"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["version", "kind", "training_size", "metrics", "parameters", "created"]
