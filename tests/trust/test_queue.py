"""The staff home's report queues: reports to acknowledge, and reports overdue."""

from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.helpers import login_with_mfa
from trust import services
from trust.models import Report
from workbench.selectors import home_queues

pytestmark = pytest.mark.django_db


def submit(days_ago=0):
    report, _token = services.report_submit(category="logo_non_member", description="Shop.")
    received = timezone.now() - timedelta(days=days_ago)
    Report.objects.filter(pk=report.pk).update(
        submitted_at=received,
        acknowledge_due_on=services.working_days_after(timezone.localdate(received), 5),
        conclude_due_on=timezone.localdate(received) + timedelta(days=60),
    )
    return Report.objects.get(pk=report.pk)


def queues(user, mine=False):
    return {q.key: q for q in home_queues(user, mine=mine)}


def test_reports_to_acknowledge_and_overdue(client):
    staff = UserFactory(staff=True)
    fresh = submit()
    late = submit(days_ago=9)  # more than five working days ago
    old = submit(days_ago=70)
    services.report_acknowledge(actor=staff, report=old)  # acknowledged, not concluded in 60
    found = queues(staff)
    assert found["reports_new"].count == 2
    assert found["reports_new"].oldest_label == late.reference
    assert found["reports_overdue"].count == 2
    assert found["reports_overdue"].oldest_label == old.reference
    # The links lead to the admin list filtered to exactly those rows.
    login_with_mfa(client, staff)
    listed = client.get(found["reports_overdue"].url)
    assert listed.status_code == 200
    html = listed.content.decode()
    assert late.reference in html and old.reference in html and fresh.reference not in html
    html = client.get(found["reports_new"].url).content.decode()
    assert late.reference in html and fresh.reference in html and old.reference not in html
    home = lxml.html.fromstring(client.get(reverse("admin:index")).content)
    assert home.xpath('//tr[@id="queue-reports_new"]/td[@class="queue-count"]/text()') == ["2"]


def test_my_overdue_reports_are_the_ones_i_handled():
    me, colleague = UserFactory(staff=True), UserFactory(staff=True)
    mine, theirs = submit(days_ago=70), submit(days_ago=70)
    services.report_acknowledge(actor=me, report=mine)
    services.report_acknowledge(actor=colleague, report=theirs)
    assert queues(me, mine=True)["reports_overdue"].count == 1
    assert queues(me, mine=False)["reports_overdue"].count == 2


def test_concluded_reports_leave_the_queues():
    staff = UserFactory(staff=True)
    report = submit(days_ago=70)
    services.report_acknowledge(actor=staff, report=report)
    services.report_dismiss(actor=staff, report=report, reason="r", public_outcome="o")
    found = queues(staff)
    assert found["reports_new"].count == 0 and found["reports_overdue"].count == 0


def test_only_staff_with_the_report_list_see_the_queues():
    limited = UserFactory(staff=True)
    limited.groups.clear()
    limited = type(limited).objects.get(pk=limited.pk)
    assert "reports_new" not in queues(limited)
