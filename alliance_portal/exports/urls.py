"""A staff member's background exports, under /admin/exports/ (behind the admin's login)."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", admin.site.admin_view(views.job_list), name="list"),
    path("<uuid:pk>/", admin.site.admin_view(views.job_detail), name="job"),
    path("<uuid:pk>/download/", admin.site.admin_view(views.job_download), name="download"),
]
