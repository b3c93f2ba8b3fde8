from django.urls import path

from . import views

app_name = "annotate"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("continue/", views.continue_work, name="continue"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("assign/", views.assign, name="assign"),
    path("progress/", views.progress, name="progress"),
    path("flags/", views.flags, name="flags"),
    path("flags/<int:pk>/resolve/", views.resolve, name="resolve-flag"),
]
