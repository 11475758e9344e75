from django.urls import path

from . import views, views_privacy

app_name = "portal"

urlpatterns = [
    path("applications/new/", views.application_start, name="application_start"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/documents/", views.application_upload, name="application_upload"),
    path(
        "applications/<int:pk>/documents/<uuid:document_id>/",
        views.application_document,
        name="application_document",
    ),
    path(
        "applications/<int:pk>/documents/<uuid:document_id>/remove/",
        views.application_document_remove,
        name="application_document_remove",
    ),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/answer/", views.application_resubmit, name="application_resubmit"),
    path(
        "applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"
    ),
    path("members/<int:member_pk>/team/", views.team, name="team"),
    path("members/<int:member_pk>/team/invite/", views.team_invite, name="team_invite"),
    path(
        "members/<int:member_pk>/team/<int:membership_pk>/role/",
        views.team_change_role,
        name="team_change_role",
    ),
    path(
        "members/<int:member_pk>/team/<int:membership_pk>/remove/",
        views.team_remove,
        name="team_remove",
    ),
    path(
        "members/<int:member_pk>/invitations/<int:invitation_pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("privacy/", views_privacy.privacy, name="privacy"),
    path("privacy/consent/", views_privacy.privacy_consent, name="privacy_consent"),
    path("privacy/withdraw/", views_privacy.privacy_withdraw, name="privacy_withdraw"),
]
