from django.urls import path

from . import views

app_name = "reliability"

urlpatterns = [
    path("outlets/", views.outlet_list, name="outlet-list"),
    path("outlets/publish/", views.publish, name="publish"),
    path("outlets/recompute/", views.recompute, name="recompute"),
    path("outlets/<str:domain>/", views.outlet_detail, name="outlet-detail"),
    path("outlets/<str:domain>/evidence/", views.outlet_evidence, name="outlet-evidence"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("method/", views.method, name="method"),
    path("adjudicate/", views.adjudication_queue, name="adjudicate"),
    path("adjudicate/<int:sentence_id>/", views.adjudicate, name="adjudicate-sentence"),
]
