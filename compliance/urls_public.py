from django.urls import path

from . import views_public

app_name = "verify"

urlpatterns = [
    path("", views_public.verify, name="form"),
    path("<str:code>/", views_public.verify_code, name="code"),
]
