from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("claims/", views.group_list, name="list"),
    path("claims/review/", views.review, name="review"),
    path("claims/review/pair/", views.decide_pair, name="decide-pair"),
    path("claims/links/<int:pk>/", views.review_link, name="review-link"),
    path("claims/articles/<int:pk>/", views.article_claims, name="article"),
    path("claims/<int:pk>/", views.group_detail, name="detail"),
    path("claims/<int:pk>/merge/", views.merge, name="merge"),
    path("claims/<int:pk>/split/", views.split, name="split"),
    path("claims/<int:pk>/detach/<int:sentence_id>/", views.detach, name="detach"),
]
