from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotate import views as annotate_views

from . import views

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("start/", views.landing, name="landing"),
    path("lead/", views.lead_home, name="lead-home"),
    path("guidelines/", annotate_views.guidelines, name="guidelines"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("annotate/", include("annotate.urls")),
    path("exports/", include("datasets.urls")),
    path("", include("reliability.urls")),
    path("", include("claims.urls")),
    path("api/v1/", include("config.api_urls")),
    path("admin/", admin.site.urls),
]
