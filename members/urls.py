from django.urls import path

from . import views, views_people, views_privacy

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
    path("members/<int:member_pk>/documents/", views.member_documents, name="member_documents"),
    path(
        "members/<int:member_pk>/documents/<uuid:document_id>/",
        views.member_document,
        name="member_document",
    ),
    path(
        "applications/<int:pk>/people/add/",
        views_people.application_person_add,
        name="application_person_add",
    ),
    path(
        "applications/<int:pk>/people/<int:person_pk>/edit/",
        views_people.application_person_edit,
        name="application_person_edit",
    ),
    path(
        "applications/<int:pk>/people/<int:person_pk>/remove/",
        views_people.application_person_remove,
        name="application_person_remove",
    ),
    path(
        "applications/<int:pk>/people/<int:person_pk>/document/",
        views_people.application_person_document,
        name="application_person_document",
    ),
    path("people/", views_people.people, name="people"),
    path("people/<int:pk>/", views_people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views_people.person_edit, name="person_edit"),
    path("people/<int:pk>/remove/", views_people.person_remove, name="person_remove"),
    path("people/<int:pk>/document/", views_people.person_document, name="person_document"),
    path("members/<int:member_pk>/people/add/", views_people.person_add, name="person_add"),
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
