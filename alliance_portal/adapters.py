from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # E-mails to a user go out in the language they used when they signed up.
        user.language = translation.get_language() or "en"
        return super().save_user(request, user, form, commit)
