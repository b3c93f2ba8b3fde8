"""Routes of the annotate API (mounted under /api/v1/ in the `api` namespace)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("outlets", api.OutletViewSet, basename="outlet")
router.register("articles", api.ArticleViewSet, basename="article")
router.register("sources", api.SourceViewSet, basename="source")
router.register("annotations", api.AnnotationViewSet, basename="annotation")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register("flags", api.FlagViewSet, basename="flag")

urlpatterns = [
    path("articles/<int:pk>/sentences/", api.ArticleSentenceList.as_view(), name="article-sentences"),
    *router.urls,
]
