from django.urls import path

from . import views

app_name = "reliability"

urlpatterns = [
    path("outlets/", views.outlet_list, name="outlet-list"),
    path("outlets/<str:domain>/", views.outlet_detail, name="outlet-detail"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
]
