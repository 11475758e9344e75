"""The portal's URLs and the anchor page, for the page bench only."""

from django.urls import path

from alliance_portal.urls import urlpatterns as portal

from . import views

urlpatterns = [path("bench/anchor/", views.anchor), *portal]
