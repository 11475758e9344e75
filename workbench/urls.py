"""The staff workbench: pages for customer policy staff, served inside the admin site."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from . import views_member

app_name = "workbench"

urlpatterns: list[URLPattern | URLResolver] = [
    path("member/<int:pk>/", admin.site.admin_view(views_member.member_360), name="member"),
]
