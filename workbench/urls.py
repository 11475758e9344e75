"""The staff workbench: pages for customer policy staff, served inside the admin site."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from . import views, views_member

app_name = "workbench"

urlpatterns: list[URLPattern | URLResolver] = [
    path("member/<int:pk>/", admin.site.admin_view(views_member.member_360), name="member"),
    path("charts/", admin.site.admin_view(views.charts), name="charts"),
    path("calendar/", admin.site.admin_view(views.calendar), name="calendar"),
    path(
        "calendar/feed/",
        admin.site.admin_view(views.calendar_token_create),
        name="calendar_token_create",
    ),
    path(
        "calendar/feed/revoke/",
        admin.site.admin_view(views.calendar_token_revoke),
        name="calendar_token_revoke",
    ),
    # No admin_view: the token in the address is the credential (calendar apps have no session).
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
