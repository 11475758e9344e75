"""Calendar feeds (RFC 5545) of due dates, shared by the staff feed (workbench) and the
member feed (compliance): the dated items, their stable UIDs, the feed's window, the secret
token's hash and the ICS response. Each app decides which dates a person may see."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import icalendar
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation

from .emails import absolute_url


@dataclass(frozen=True)
class DueDate:
    uid: str
    day: date
    kind: str
    kind_label: str
    title: str
    member: str
    url: str


def _host() -> str:
    return settings.ALLIANCE_BASE_URL.split("://", 1)[-1].split("/", 1)[0] or "alliance"


def due_uid(kind: str, pk: Any) -> str:
    # Stable across feeds and refreshes: the kind and the row, never the date (a moved due
    # date updates the same event in the subscriber's calendar).
    return f"{kind}-{pk}@{_host()}"


def feed_range(today: date) -> tuple[date, date]:
    """A feed looks back a month (so a date just missed is still there) and four years
    ahead (a licence runs up to three)."""
    return today - timedelta(days=31), today + timedelta(days=4 * 366)


def calendar_token_hash(raw: str) -> str:
    """Feed tokens are 256 random bits: only their SHA-256 is kept."""
    return hashlib.sha256(raw.encode()).hexdigest()


def ics_response(
    dates: Iterable[DueDate], *, product: str, name: str, language: str
) -> HttpResponse:
    """The feed: one all-day event per date, linking to the record."""
    with translation.override(language):
        feed = icalendar.Calendar()
        feed.add("prodid", f"-//ALROSA ALLIANCE//{product}//EN")
        feed.add("version", "2.0")
        feed.add("x-wr-calname", name)
        stamp = timezone.now()
        for due in dates:
            event = icalendar.Event()
            event.add("uid", due.uid)
            event.add("dtstamp", stamp)
            event.add("dtstart", due.day)
            event.add("dtend", due.day + timedelta(days=1))
            event.add("summary", due.title)
            event.add("categories", [due.kind_label])
            event.add("url", absolute_url(due.url))
            feed.add_component(event)
    response = HttpResponse(feed.to_ical(), content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=900"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
