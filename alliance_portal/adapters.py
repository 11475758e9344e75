from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from .email_addresses import email_address_clean, email_address_normalize
from .emails import email_queue_message


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # Sign-up, added addresses and password resets: one canonical form (no zero-width
        # characters, NFKC), and no look-alike of another account.
        return email_address_clean(super().clean_email(email)).lower()

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        # An address typed with an invisible character is the same login (and the same
        # failed-login rate-limit key).
        if isinstance(credentials.get("email"), str):
            credentials["email"] = email_address_normalize(credentials["email"])
        return super().authenticate(request, **credentials)

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # E-mails to a user go out in the language they used when they signed up.
        user.language = translation.get_language() or "en"
        return super().save_user(request, user, form, commit)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Sign-up, password reset and security notices go through the outbox like every
        # other message: the request never waits on the mail server.
        # In the portal's branding, and in the language of the account when there is one (a
        # password reset asked for from a page in another language).
        context = {**context, "portal_url": settings.ALLIANCE_BASE_URL}
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
            email_queue_message(message, template=template_prefix.rpartition("/")[2])
