from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):  # type: ignore[no-untyped-def]
        # E-mails to a user go out in the language they used when they signed up.
        user.language = translation.get_language() or "en"
        return super().save_user(request, user, form, commit)
