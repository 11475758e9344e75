from django.urls import path

from . import views_auditor

app_name = "auditor"

urlpatterns = [
    path("", views_auditor.members, name="members"),
    path("members.csv", views_auditor.members_csv, name="members_csv"),
    path("certificates/<int:pk>.pdf", views_auditor.certificate_pdf, name="certificate_pdf"),
    path("members/<int:pk>/", views_auditor.member_detail, name="member_detail"),
    path("cycles/<int:pk>/", views_auditor.cycle_detail, name="cycle_detail"),
    path(
        "cycles/<int:pk>/evidence/<uuid:document_id>/",
        views_auditor.evidence_download,
        name="evidence_download",
    ),
    path("cycles/<int:pk>/evidence-pack.zip", views_auditor.evidence_pack, name="evidence_pack"),
]
