"""Logins, failed logins, logouts and two-factor changes go to the audit log, whichever view
performed them (allauth's pages or the admin's)."""

from collections.abc import Callable
from typing import Any

from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login")
def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", target=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", target=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password; keep only the identifier that was tried.
    login = credentials.get("email") or credentials.get("username") or ""
    audit_record(
        actor=None,
        action="auth.login_failed",
        payload={"login": str(login)[:254]},
        request=request,
    )


def _on_authenticator(action: str) -> Callable[..., None]:
    def receiver(
        sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kw: Any
    ) -> None:
        audit_record(
            actor=user,
            action=action,
            target=user,
            payload={"type": authenticator.type},
            request=request,
        )

    return receiver


_mfa_added = _on_authenticator("auth.mfa_added")
_mfa_removed = _on_authenticator("auth.mfa_removed")
_mfa_reset = _on_authenticator("auth.mfa_reset")
authenticator_added.connect(_mfa_added, dispatch_uid="audit_mfa_added")
authenticator_removed.connect(_mfa_removed, dispatch_uid="audit_mfa_removed")
authenticator_reset.connect(_mfa_reset, dispatch_uid="audit_mfa_reset")
