"""All API routes under /api/v1/, one DRF router, plus the OpenAPI schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from .api import SwaggerDocsView, TokenView

app_name = "api"

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("", include("annotate.api_urls")),
    path("", include("reliability.api_urls")),
    path("", include("suggestions.api_urls")),
    path("", include("datasets.api_urls")),
    path("", include("claims.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
]
