"""allauth's own e-mails in the portal's branding and the recipient's language, with a
plain-text and an HTML part, through the outbox."""

import pytest
from django.urls import reverse

from alliance_portal.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_the_sign_up_email_is_branded_and_in_the_language_signed_up_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "irina@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "personal_data_consent": "on",
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 302
    [message] = OutboxMessage.objects.filter(recipient="irina@example.org")
    assert message.template == "email_confirmation_signup" and message.language == "ru"
    assert "Hello from" not in message.body_text and "127.0.0.1" not in message.subject
    assert message.subject == "[ALROSA ALLIANCE] Подтвердите адрес электронной почты"
    assert (
        "ALROSA ALLIANCE" in message.body_text
        and "Подтвердите, что этот адрес" in message.body_text
    )
    assert (
        "Подтвердить адрес" in message.body_html and "/accounts/confirm-email/" in message.body_html
    )


@pytest.mark.django_db
def test_a_password_reset_goes_in_the_accounts_language(client):
    UserFactory(email="pyotr@example.org", language="ru")
    client.post(reverse("account_reset_password"), {"email": "pyotr@example.org"})
    [message] = OutboxMessage.objects.filter(recipient="pyotr@example.org")
    assert message.language == "ru" and message.sensitive
    assert message.subject == "[ALROSA ALLIANCE] Сброс пароля"
    assert "Задать новый пароль" in message.body_html
    assert "/accounts/password/reset/key/" in message.body_text
