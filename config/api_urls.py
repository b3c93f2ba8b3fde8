"""All API routes under /api/v1/, one DRF router, plus the OpenAPI schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from annotate.api import SwaggerDocsView

app_name = "api"

urlpatterns = [
    path("", include("annotate.api_urls")),
    path("", include("reliability.api_urls")),
    path("", include("annotate.suggest_api_urls")),
    path("", include("annotate.exports.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
]
