"""The member dashboard's body, rendered once and cached per user.

The body is cached under a key made of the versions of the namespaces whose changes alter it
(``compliance.dashboard_invalidation`` bumps them on every write), so it is never stale:

- the user's own namespace: their name, staff flag, memberships and roles (the list of their
  companies is cached under it too), consents, and the applications they started before
  approval;
- one namespace per company they belong to: its name, applications, licences, reviews,
  findings, notices and documents;
- one namespace for everyone: the texts of criteria and document requirements;

plus today's date (what is due or expiring depends on it), the language and the consent text.
The navigation, messages and CSRF token are per request: the first two live in the base
template outside the body, and the token is put in the cached body per request (see
``CSRF_PLACEHOLDER``).
"""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from alliance_portal.cache_versions import namespaces_version
from licensing import selectors as licensing_selectors
from members import selectors as members_selectors
from members.consent import consent_sha256, consent_text
from members.models import User
from members.permissions import member_ids_of

from . import selectors
from .permissions import can_have_calendar_feed
from .selectors_validity import documents_to_update_for

CACHE_SECONDS = 300  # a safety net (and the bound while Redis is down): the bumps keep it fresh

DASHBOARDS = "dashboard-all"

# The body is rendered with this in place of the CSRF token and the request's token replaces
# it before the page is sent: a cached body must not carry one request's token to another.
# Data in the body is always escaped, so "<!--" cannot come from it, only from the
# ``{% csrf_token %}`` tag given this (safe) value.
CSRF_PLACEHOLDER = mark_safe("<!--csrf-token-->")


def member_namespace(member_id: int) -> str:
    return f"dashboard-member-{member_id}"


def user_namespace(user_id: int) -> str:
    return f"dashboard-user-{user_id}"


def _member_ids(user: User, user_version: str) -> list[int]:
    """The user's companies, kept under their own version (a change of membership bumps it):
    a cached dashboard then needs no query of its own."""
    key = f"dashboard-members:{user.pk}:{user_version}"
    ids = cache.get(key)
    if not isinstance(ids, list):
        ids = sorted(set(member_ids_of(user)))
        cache.set(key, ids, timeout=CACHE_SECONDS)
    return ids


def _cache_key(user: User) -> str:
    namespaces = [DASHBOARDS, user_namespace(user.pk)]
    versions = namespaces_version(namespaces)
    members = [member_namespace(pk) for pk in _member_ids(user, versions[1])]
    raw = "|".join(
        [
            str(user.pk),
            str(user.is_staff),
            *namespaces,
            *versions,
            *members,
            *namespaces_version(members),
            timezone.localdate().isoformat(),
            get_language() or "",
            consent_sha256(consent_text()),
        ]
    )
    return "dashboard:" + hashlib.sha256(raw.encode()).hexdigest()


def _render_body(user: User) -> str:
    return render_to_string(
        "compliance/includes/dashboard_body.html",
        {
            "user": user,
            "nav_is_staff": user.is_staff,
            "csrf_token": CSRF_PLACEHOLDER,
            "memberships": members_selectors.memberships_of(user),
            "applications": members_selectors.applications_for_dashboard(user),
            "licences": licensing_selectors.licences_for_dashboard(user),
            "cycles": selectors.open_cycles_for_dashboard(user),
            "findings": selectors.open_findings_for_dashboard(user),
            "cases": selectors.cases_for_dashboard(user),
            "can_calendar": can_have_calendar_feed(user),
            "documents_to_update": documents_to_update_for(user),
            # Starting an application asks for the personal-data consent if none is in force.
            "needs_consent": members_selectors.consent_in_force(user) is None,
            "consent_text": consent_text(),
        },
    )


def dashboard_body(request: HttpRequest, user: User) -> SafeString:
    """The body of ``user``'s dashboard for this request, from the cache when it has it."""
    key = _cache_key(user)
    body = cache.get(key)
    if not isinstance(body, str):
        body = _render_body(user)
        cache.set(key, body, timeout=CACHE_SECONDS)
    return mark_safe(body.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308
