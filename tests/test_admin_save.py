"""Every admin change page takes its own Save: the form posted back unchanged is never a 500."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from api.services import token_create
from licensing.models import AgreementTemplate, Criterion, GuidelinesSection, GuidelinesVersion
from members.models import User
from tests.factories import UserFactory
from tests.helpers import form_values, login_with_mfa


@pytest.fixture
def demo_data(db, django_capture_on_commit_callbacks):
    with override_settings(DEBUG=True), django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    # What the demo only has in its frozen form: terms no licence uses yet, an edition being
    # written, with a section and a criterion.
    AgreementTemplate.objects.create(version=99, title="Next terms", body="For $member_name.")
    draft = GuidelinesVersion.objects.create(
        edition="draft", title_en="Draft", title_ru="Проект", adopted_on=date(2030, 1, 1)
    )
    section = GuidelinesSection.objects.create(
        version=draft, number=1, title_en="One", title_ru="Один"
    )
    Criterion.objects.create(
        section=section,
        code="1.1",
        title_en="A rule",
        title_ru="Правило",
        description_en="Line one.\nLine two.",
        description_ru="Строка.",
        evidence_en="Proof.",
        evidence_ru="Доказательство.",
    )
    # API tokens are never seeded (seed_demo sits below the api app, and a seeded secret would
    # be a shared credential): a staff member's own token.
    staff = User.objects.get(email="staff@example.com")
    token_create(
        actor=staff,
        user=staff,
        name="Demo",
        scope="read",
        expires_at=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def all_powerful(client, demo_data):
    """A staff member holding every permission (not a superuser: the admin's own checks run)."""
    user = UserFactory(staff=True)
    user.user_permissions.set(Permission.objects.all())
    login_with_mfa(client, user)
    return user


def registered_admins():
    return sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)


@pytest.mark.django_db
def test_saving_any_change_page_unchanged_is_never_a_server_error(client, all_powerful):
    tried, answers = [], {}
    request = RequestFactory().get("/admin/")
    request.user = all_powerful
    for model, model_admin in registered_admins():
        opts = model._meta
        # The first object the admin lets staff change, else the first one (a read-only page).
        objects = list(model._default_manager.order_by("pk")[:50])
        editable = [o for o in objects if model_admin.has_change_permission(request, o)]
        obj = (editable or objects or [None])[0]
        if obj is None:
            continue
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        page = client.get(url)
        assert page.status_code == 200, url
        data = form_values(page.content.decode(), f"{opts.model_name}_form")
        answers[opts.label] = client.post(url, {**data, "_save": "Save"}).status_code
        tried.append(opts.label)
    # Saved (302), refused as read-only (403) or re-shown with a message (200): never a 500.
    assert {label: code for label, code in answers.items() if code not in (200, 302, 403)} == {}
    # The demo data reaches (nearly) every registered model, licences among them.
    assert answers["licensing.LicenceAgreement"] == 302
    assert len(tried) >= len(admin.site._registry) - 1
