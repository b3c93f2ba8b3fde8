from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("scores", api.ScoreSnapshotViewSet, basename="score")
router.register("adjudications", api.AdjudicationViewSet, basename="adjudication")

urlpatterns = [
    path("adjudications/queue/", api.AdjudicationQueueView.as_view(), name="adjudication-queue"),
    *router.urls,
]
