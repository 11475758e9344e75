"""The portal's URLs and the anchor page, for the page bench only."""

from django.urls import path

from alliance_portal.urls import urlpatterns as portal

from . import middleware, views

urlpatterns = [
    path("bench/anchor/", views.anchor),
    path("bench/streamed-queries/", middleware.streamed_queries),
    *portal,
]
