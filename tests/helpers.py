import time

import lxml.html
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str


def login_with_mfa(client, user) -> None:
    """Sign in as allauth leaves a session after password and TOTP (staff pages ask for both)."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": 0.0, "email": user.email},
        {"method": "mfa", "at": 0.0, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


def login_with_password(client, user, *, seconds_ago: float = 0.0) -> float:
    """Sign in as allauth leaves a session after a password login ``seconds_ago`` (signing and
    declaring ask for a recent one). Returns the time of the login."""
    at = time.time() - seconds_ago
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": at, "email": user.email}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()
    return at


def reauthenticate(client, user) -> float:
    """Add what allauth records when the user re-enters their password. Returns its time."""
    at = time.time()
    session = client.session
    records = session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        *records,
        {"method": "password", "at": at, "email": user.email, "reauthenticated": True},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()
    return at


def form_values(html: str, form_id: str) -> dict[str, list[str]]:
    """What a browser sends from the form ``form_id`` of a page as it was rendered."""
    (form,) = lxml.html.fromstring(html).xpath(f'//form[@id="{form_id}"]')
    textareas = set(form.xpath(".//textarea/@name"))
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        if name in textareas and value.startswith("\n"):
            value = value[1:]  # the browser drops the newline that opens a textarea
        data.setdefault(name, []).append(value)
    return data
