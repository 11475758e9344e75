"""A batch of e-mails renders each language once and puts each message's text in its
places: every message reads exactly as rendering it alone would."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test.signals import template_rendered

from alliance_portal.emails import _printed_only, email_render, email_renderer

TEMPLATES = sorted(
    path.name.removesuffix("_subject.txt")
    for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_subject.txt")
)
# Values that read differently escaped, spaced, in another script, or look like markup.
VALUES = ["Plain Ltd", "Smith & Sons <Antwerp> \"D\" 'Q'", "  Two\n spaces  ", "Алмаз {{ x }} %s"]


def _contexts(template: str) -> list[dict[str, object]]:
    names = sorted(_printed_only(template) | {"company", "url", "due_on"})
    return [
        {name: f"{value} {i}" for i, name in enumerate(names)} | {"days": days}
        for value in VALUES
        for days in (0, 7)
    ]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_message_of_a_batch_reads_as_rendered_alone(template, language):
    render = email_renderer(template)
    for context in _contexts(template):
        assert render(context, language) == email_render(template, context, language)


@pytest.mark.parametrize("order", [["added", "removed", "changed"], ["removed", "added"]])
def test_a_value_a_template_tests_is_rendered_with_its_message(order):
    render = email_renderer("key_people_changed")
    for change in order:
        for role in ("signatory", "owner"):
            context = {"company": "Acme", "person": "A. Person", "change": change, "role": role}
            assert render(context, "en") == email_render("key_people_changed", context, "en")


def test_a_filtered_value_is_rendered_with_its_message():
    render = email_renderer("licence_status_changed")
    for status in ("suspended", "active", "forfeited"):
        context = {"company": "Acme", "number": "AA-2026-0001", "status": status, "url": "/x"}
        assert render(context, "en") == email_render("licence_status_changed", context, "en")
    assert "status" not in _printed_only("licence_status_changed")


def test_a_batch_renders_each_language_once():
    rendered: list[object] = []

    def count(sender, **kwargs):
        rendered.append(kwargs["template"])

    template_rendered.connect(count)
    try:
        render = email_renderer("cycle_opened")
        for n in range(40):
            for language in ("en", "ru"):
                render(
                    {"company": f"Member {n}", "url": f"/c/{n}", "due_on": "2027-01-01"}, language
                )
    finally:
        template_rendered.disconnect(count)
    # Per language: the stencil's three parts and the first message's, in full (the HTML
    # part renders the base it extends too); one at a time it would be 320.
    assert len(rendered) <= 2 * 2 * 4
