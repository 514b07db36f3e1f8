from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("articles/<int:pk>/<str:slug>/", views.ArticleDetailView.as_view(), name="detail"),
    path("sources/<slug:slug>/", views.SourceView.as_view(), name="source"),
    path("categories/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path("tags/<slug:slug>/", views.TagView.as_view(), name="tag"),
    path("stocks/<str:symbol>/", views.StockView.as_view(), name="stock"),
]
