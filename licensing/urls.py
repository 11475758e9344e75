from django.urls import path

from . import views

app_name = "licensing"

urlpatterns = [
    path("licences/<int:pk>/", views.licence_detail, name="licence_detail"),
    path("licences/<int:pk>/sign/", views.licence_sign, name="licence_sign"),
    path("licences/<int:pk>/agreement.pdf", views.licence_pdf, name="licence_pdf"),
    path("members/<int:member_pk>/logo-kit.zip", views.logo_kit, name="logo_kit"),
    path(
        "licences/<int:pk>/guidelines/<int:version_pk>/acknowledge/",
        views.guidelines_acknowledge,
        name="guidelines_acknowledge",
    ),
]
