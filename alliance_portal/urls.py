from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views, views_notifications
from .admin_links import use_labelled_autocomplete

# The admin signs in through the portal's own login (with MFA), not a second login form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = _("ALROSA ALLIANCE administration")
admin.site.site_title = _("ALROSA ALLIANCE")
admin.site.index_title = _("Customer policy")
use_labelled_autocomplete(admin.site)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("portal/notifications/", views_notifications.notifications, name="notifications"),
    path(
        "portal/notifications/<int:pk>/open/",
        views_notifications.notification_open,
        name="notification_open",
    ),
    path(
        "portal/notifications/read-all/",
        views_notifications.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "portal/notifications/preference/",
        views_notifications.notification_preference,
        name="notification_preference",
    ),
    path("portal/", include("compliance.urls_dashboard")),
    path("portal/", include("compliance.urls")),
    path("portal/", include("members.urls")),
    path("portal/", include("licensing.urls")),
    path("", include("licensing.urls_public")),
    path("", include("trust.urls")),
    path("verify/", include("compliance.urls_public")),
    path("auditor/", include("compliance.urls_auditor")),
    # Staff pages outside the model admin (home queues, review screen, 360° view, calendar).
    path("admin/workbench/", include("workbench.urls")),
    path("admin/exports/", include("alliance_portal.exports.urls")),
    path("admin/", admin.site.urls),
    # The REST API under /api/v1/ and the portal's page for API tokens.
    path("", include("api.urls")),
]
