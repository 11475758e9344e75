"""The public register, a bounded page at a time and cached.

A page is cached under the register's namespace version (bumped by the services that change
what it shows: see ``alliance_portal.cache_versions.public_register_changed``), today's date
(a licence whose term ended yesterday leaves it before the nightly job) and the language (the
country names). Country names come from one lookup per page, not a translation per row.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django_countries import countries

from alliance_portal.cache_versions import PUBLIC_REGISTER, namespace_version

from . import selectors

PAGE_SIZE = 25
MAX_QUERY = 100
CACHE_SECONDS = 300  # a safety net: the services' bumps are what keeps it fresh


@dataclass(frozen=True)
class RegisterSlice:
    count: int
    rows: list[dict[str, str]]


def _uncached(query: str, offset: int, limit: int) -> RegisterSlice:
    licences = selectors.public_register(query)
    count = licences.count()
    page = (
        list(
            licences.values_list(
                "member__legal_name", "member__country", "number", "member__approved_at"
            )[offset : offset + limit]
        )
        if offset < count
        else []
    )
    names = dict(countries)  # translated once per language by django-countries
    rows = [
        {
            "member": name,
            "country": str(country),
            "country_name": str(names.get(country, country)),
            "licence_number": number or "",
            "member_since": approved_at.date().isoformat() if approved_at else "",
        }
        for name, country, number, approved_at in page
    ]
    return RegisterSlice(count=count, rows=rows)


def register_slice(query: str, offset: int, limit: int = PAGE_SIZE) -> RegisterSlice:
    """``limit`` rows of the register from ``offset``, for ``query``; cached."""
    query = query.strip()[:MAX_QUERY]
    version = namespace_version(PUBLIC_REGISTER)
    raw = f"{version}|{timezone.localdate()}|{get_language()}|{offset}|{limit}|{query}"
    key = "register:" + hashlib.sha256(raw.encode()).hexdigest()
    cached: Any = cache.get(key)
    if isinstance(cached, RegisterSlice):
        return cached
    found = _uncached(query, offset, limit)
    cache.set(key, found, timeout=CACHE_SECONDS)
    return found
