"""The charts page: figures from aggregate queries, each chart with its table, no inline script."""

import json
from datetime import timedelta

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import Finding, ReviewCycle, Submission
from licensing.models import Criterion
from members.models import Application
from tests.factories import UserFactory, complete_application, cycle_for, licence_in
from tests.helpers import login_with_mfa
from workbench import selectors_charts

pytestmark = pytest.mark.django_db


def _figure(key: str) -> selectors_charts.Figure:
    (figure,) = [f for f in selectors_charts.chart_figures() if f.key == key]
    return figure


def test_members_by_licence_status():
    licence_in("active")
    licence_in("active")
    licence_in("suspended")
    from tests.factories import MemberFactory

    MemberFactory()
    figure = _figure("members")
    values = dict(zip(figure.labels, figure.series[0]["values"], strict=True))
    assert values["Active"] == 2 and values["Suspended"] == 1 and values["No licence yet"] == 1


def test_outcomes_findings_and_overdue_cycles():
    staff = UserFactory(staff=True)
    now, today = timezone.now(), timezone.localdate()
    accepted = cycle_for("accepted", decided_at=now)
    rejected = cycle_for("rejected", decided_at=now)
    ReviewCycle.objects.filter(pk=accepted.pk).update(outcome="minor")
    ReviewCycle.objects.filter(pk=rejected.pk).update(outcome="major")
    criterion = Criterion.objects.get(code="2.4")
    for severity in ("minor", "minor", "major"):
        Finding.objects.create(
            cycle=accepted,
            criterion=criterion,
            severity=severity,
            description="d",
            corrective_action="a",
            due_on=today,
            raised_by=staff,
        )
    outcomes = _figure("outcomes")
    this_quarter = outcomes.labels[-1]
    by_grade = {s["label"]: s["values"][-1] for s in outcomes.series}
    assert by_grade["Minor non-conformity"] == 1 and by_grade["Major non-conformity"] == 1
    assert this_quarter.startswith(str(today.year))

    findings = _figure("findings")
    assert findings.labels == ["Section 2"]
    by_severity = {s["label"]: s["values"][0] for s in findings.series}
    assert by_severity["Minor"] == 2 and by_severity["Major"] == 1

    # Overdue at the end of this month (today): open, due 40 days ago, never submitted;
    # another submitted in time is not overdue.
    late = cycle_for("open", licence=licence_in("active"))
    ReviewCycle.objects.filter(pk=late.pk).update(
        due_on=today - timedelta(days=40), opened_at=now - timedelta(days=80)
    )
    on_time = cycle_for("submitted", licence=licence_in("active"))
    ReviewCycle.objects.filter(pk=on_time.pk).update(
        due_on=today - timedelta(days=40), opened_at=now - timedelta(days=80)
    )
    Submission.objects.create(
        cycle=on_time,
        round=1,
        signatory=staff,
        typed_name="x",
        statement="x",
        statement_sha256="0" * 64,
        answers=[],
        answers_sha256="0" * 64,
        submitted_at=now - timedelta(days=45),
    )
    overdue = _figure("overdue")
    assert overdue.series[0]["values"][-1] == 1
    assert overdue.labels[-1] == today.strftime("%Y-%m")


def test_median_days_to_decide_against_the_target():
    now = timezone.now()
    for days in (10, 20, 40):
        application = complete_application(status="approved")
        Application.objects.filter(pk=application.pk).update(
            submitted_at=now - timedelta(days=days), decided_at=now
        )
    figure = _figure("decide")
    median, target = (s["values"][-1] for s in figure.series)
    assert median == 20.0 and target == 30


def test_the_page_is_for_staff_draws_from_json_and_costs_the_same_queries(client, settings):
    settings.ALLIANCE_CHARTS_CACHE_SECONDS = 0  # the figures' own queries, computed each time
    login_with_mfa(client, UserFactory())
    response = client.get(reverse("workbench:charts"))
    assert response.status_code == 302 and "/login/" in response["Location"]

    login_with_mfa(client, UserFactory(staff=True))
    client.get(reverse("workbench:charts"))
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("workbench:charts"))
    for _i in range(5):
        cycle_for("accepted", decided_at=timezone.now())
    with CaptureQueriesContext(connection) as more:
        response = client.get(reverse("workbench:charts"))
    assert len(few) == len(more)
    page = lxml.html.fromstring(response.content)
    # Scripts come from files only (the CSP forbids inline ones); data is JSON, not script.
    assert all(s.get("src") for s in page.xpath("//script[not(@type='application/json')]"))
    for key in ("members", "outcomes", "decide", "overdue", "findings"):
        (section,) = page.xpath(f'//section[@id="figure-{key}"]')
        assert section.xpath(".//canvas") and section.xpath(".//table//th")
        data = json.loads(page.xpath(f'//script[@id="data-{key}"]/text()')[0])
        assert "labels" in data and data["series"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_figures_are_kept_for_a_while_per_language(client, settings):
    """Aggregates over every member: computed once per ALLIANCE_CHARTS_CACHE_SECONDS, per
    language; the page says when."""
    settings.ALLIANCE_CHARTS_CACHE_SECONDS = 600
    licence_in("active")

    def active() -> int:
        (figure,) = [f for f in selectors_charts.charts().figures if f.key == "members"]
        values = dict(zip(figure.labels, figure.series[0]["values"], strict=True))
        return int(values["Active"])

    assert active() == 1
    licence_in("active")
    with CaptureQueriesContext(connection) as queries:
        assert active() == 1  # kept
    assert len(queries) == 0
    settings.ALLIANCE_CHARTS_CACHE_SECONDS = 0
    assert active() == 2  # computed again

    settings.ALLIANCE_CHARTS_CACHE_SECONDS = 600
    login_with_mfa(client, UserFactory(staff=True))
    english = client.get(reverse("workbench:charts"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Members by licence status" in english.content.decode()
    assert "they are computed again after 10 minutes" in english.content.decode()
    client.cookies["django_language"] = "ru"
    russian = client.get(reverse("workbench:charts"), HTTP_ACCEPT_LANGUAGE="ru")
    assert "Members by licence status" not in russian.content.decode()
