from django.urls import path

from . import views, views_calendar, views_certificates

app_name = "compliance"

urlpatterns = [
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path(
        "cycles/<int:pk>/criteria/<int:criterion_pk>/answer/",
        views.answer_save,
        name="answer_save",
    ),
    path(
        "cycles/<int:pk>/criteria/<int:criterion_pk>/evidence/",
        views.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "cycles/<int:pk>/criteria/<int:criterion_pk>/evidence/attach/",
        views.evidence_attach,
        name="evidence_attach",
    ),
    path(
        "cycles/<int:pk>/evidence/<uuid:document_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        "cycles/<int:pk>/evidence/<uuid:document_id>/remove/",
        views.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "cycles/<int:pk>/evidence/<uuid:document_id>/restore/",
        views.evidence_restore,
        name="evidence_restore",
    ),
    path(
        "cycles/<int:pk>/criteria/<int:criterion_pk>/keep/",
        views.answer_keep,
        name="answer_keep",
    ),
    path("cycles/<int:pk>/keep/", views.cycle_keep_all, name="cycle_keep_all"),
    path("cycles/<int:pk>/submit/", views.cycle_submit, name="cycle_submit"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path(
        "findings/<int:pk>/evidence/<uuid:document_id>/",
        views.finding_evidence,
        name="finding_evidence",
    ),
    path("certificates/", views_certificates.certificates, name="certificates"),
    path(
        "certificates/<int:pk>/pdf/",
        views_certificates.certificate_pdf,
        name="certificate_pdf",
    ),
    path("calendar/", views_calendar.calendar, name="calendar"),
    path("calendar/feed/", views_calendar.calendar_token_create, name="calendar_token_create"),
    path(
        "calendar/feed/revoke/", views_calendar.calendar_token_revoke, name="calendar_token_revoke"
    ),
    # No login: the token in the address is the credential (calendar apps have no session).
    path("calendar/<str:token>.ics", views_calendar.calendar_feed, name="calendar_feed"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/documents/<uuid:document_id>/", views.case_document, name="case_document"),
]
