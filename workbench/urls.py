"""The staff workbench: pages for customer policy staff, served inside the admin site."""

from django.urls import URLPattern, URLResolver

app_name = "workbench"

urlpatterns: list[URLPattern | URLResolver] = []
