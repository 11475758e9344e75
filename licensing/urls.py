from django.urls import path

from . import views, views_logo

app_name = "licensing"

urlpatterns = [
    path("licences/<int:pk>/", views.licence_detail, name="licence_detail"),
    path("licences/<int:pk>/sign/", views.licence_sign, name="licence_sign"),
    path("licences/<int:pk>/agreement.pdf", views.licence_pdf, name="licence_pdf"),
    path(
        "licences/<int:pk>/guidelines/<int:version_pk>/acknowledge/",
        views.guidelines_acknowledge,
        name="guidelines_acknowledge",
    ),
    path("members/<int:member_pk>/logo/", views_logo.logo, name="logo"),
    path("members/<int:member_pk>/logo-kit.zip", views_logo.logo_kit, name="logo_kit"),
    path("members/<int:member_pk>/logo/uses/new/", views_logo.logo_use_new, name="logo_use_new"),
    path(
        "members/<int:member_pk>/logo/uses/<int:pk>/",
        views_logo.logo_use_detail,
        name="logo_use_detail",
    ),
    path(
        "members/<int:member_pk>/logo/uses/<int:pk>/artwork",
        views_logo.logo_use_artwork,
        name="logo_use_artwork",
    ),
]
