"""Routes of the suggestion API (mounted under /api/v1/ in the `api` namespace)."""

from django.urls import path

from .api import SentenceSuggestionView

urlpatterns = [
    path("sentences/<int:pk>/suggestion/", SentenceSuggestionView.as_view(), name="sentence-suggestion"),
]
