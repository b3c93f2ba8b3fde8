from django.urls import path

from . import views

app_name = "annotate"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("articles/<int:pk>/", views.article, name="article"),
]
