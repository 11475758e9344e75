from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register.json", views.register_json, name="register_json"),
]
