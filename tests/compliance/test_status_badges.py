"""One colour per status, from one map: the `status_badge` tag every page uses."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.template import Context, Template
from django.urls import reverse

from compliance.templatetags.compliance_tags import STATUS_TONES
from tests.factories import cycle_for, signatory_of

TONES = {"success", "warning", "primary", "danger", "dark", "secondary"}
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("label", sorted(STATUS_TONES))
def test_every_status_has_one_tone(label):
    model = apps.get_model(label)
    statuses = {value for value, _label in model._meta.get_field("status").choices}
    assert set(STATUS_TONES[label]) == statuses
    assert set(STATUS_TONES[label].values()) <= TONES


def test_no_template_colours_a_status_by_hand():
    by_hand = re.compile(r"(?:text-bg|bg|alert)-\{%\s*if\b[^%]*\bstatus\b")
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if by_hand.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_the_badge_shows_the_label_in_the_status_colour():
    cycle = cycle_for("changes_requested")
    html = Template('{% load compliance_tags %}{% status_badge cycle "cycle-status" %}').render(
        Context({"cycle": cycle})
    )
    assert html == (
        '<span class="badge text-bg-warning" id="cycle-status">Changes requested</span>'
    )
    plain = Template("{% load compliance_tags %}{% status_badge cycle %}").render(
        Context({"cycle": cycle})
    )
    assert plain == '<span class="badge text-bg-warning">Changes requested</span>'


@pytest.mark.django_db
def test_a_cycle_has_the_same_colour_on_the_dashboard_and_on_its_page(client):
    cycle = cycle_for("open")  # the two pages used to disagree: primary here, warning there
    client.force_login(signatory_of(cycle.member))
    dashboard = client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("compliance:cycle_detail", args=[cycle.pk])).content.decode()
    assert '<span class="badge text-bg-warning">Open</span>' in dashboard
    assert '<span class="badge text-bg-warning" id="cycle-status">Open</span>' in page
