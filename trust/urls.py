from django.urls import path

from . import views

app_name = "trust"

urlpatterns = [
    # Any licence number the member holds or held (printed with the logo) leads to its page.
    path("register/<str:number>/", views.member, name="member"),
    path("report/", views.report, name="report"),
    path("report/status/<str:token>/", views.report_status, name="report_status"),
]
