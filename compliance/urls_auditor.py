from django.urls import path

from . import views_auditor

app_name = "auditor"

urlpatterns = [
    path("", views_auditor.members, name="members"),
    path("members.csv", views_auditor.members_csv, name="members_csv"),
    path("certificates/<int:pk>.pdf", views_auditor.certificate_pdf, name="certificate_pdf"),
]
