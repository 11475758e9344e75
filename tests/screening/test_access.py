"""Who reaches screening: staff with the permission; nobody else, and members never see it."""

import lxml.html
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from members.models import ApplicationStatus, Role
from screening.models import Hit, ListEntry, ListVersion
from screening.services import hit_start_review, subjects_screen_pending
from tests.factories import (
    MemberFactory,
    UserFactory,
    auditor,
    complete_application,
    decider,
    licence_in,
    member_with,
)
from tests.helpers import login_with_mfa

from .helpers import SIDOROV, SIDOROV_ENTRY, UNRELATED, import_and_screen, owner, write_ftm

pytestmark = pytest.mark.django_db


@pytest.fixture
def hit(tmp_path):
    import_and_screen(write_ftm(tmp_path / "l.json", [*UNRELATED, SIDOROV_ENTRY]))
    member = MemberFactory()
    owner(member=member, **SIDOROV)
    subjects_screen_pending()
    return Hit.objects.get()


def screening_urls(hit):
    entry, version = ListEntry.objects.first(), ListVersion.objects.first()
    return [
        reverse("admin:screening_hit_changelist"),
        reverse("admin:screening_hit_change", args=[hit.pk]),
        reverse("admin:screening_hit_act", args=[hit.pk, "start_review"]),
        reverse("admin:screening_hit_act", args=[hit.pk, "false_positive"]),
        reverse("admin:screening_hit_act", args=[hit.pk, "confirm"]),
        reverse("admin:screening_listversion_changelist"),
        reverse("admin:screening_listversion_change", args=[version.pk]),
        reverse("admin:screening_listentry_changelist"),
        reverse("admin:screening_listentry_change", args=[entry.pk]),
    ]


def _signed_in(client, user):
    if user is not None:
        login_with_mfa(client, user)
    return client


@pytest.mark.parametrize("who", ["anonymous", "member", "owner_member", "auditor"])
def test_no_one_but_staff_reaches_a_screening_url(client, hit, who):
    """The admin's pattern: whoever is not staff is sent to its login page, and sees nothing."""
    user = {
        "anonymous": lambda: None,
        "member": lambda: member_with(Role.SIGNATORY)[1],
        # A signatory of the very member the hit is about.
        "owner_member": lambda: member_with(Role.SIGNATORY)[1],
        "auditor": auditor,
    }[who]()
    if who == "owner_member":
        user.memberships.update(member=hit.subject.member)
    client = _signed_in(client, user)
    for url in screening_urls(hit):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
        response = client.post(url, {"reason": "x"})
        assert response.status_code == 302, url
    hit.refresh_from_db()
    assert hit.status == "new"


def test_staff_without_the_screening_permission_get_403(client, hit):
    staff = UserFactory(staff=True)
    staff.groups.set(Group.objects.none())
    client = _signed_in(client, staff)
    for url in screening_urls(hit):
        assert client.get(url).status_code == 403, url


def test_staff_see_the_queue_and_the_hit_explained(client, hit, django_assert_max_num_queries):
    client = _signed_in(client, UserFactory(staff=True))
    for url in screening_urls(hit)[:3] + screening_urls(hit)[5:]:
        assert client.get(url).status_code == 200, url
    with django_assert_max_num_queries(25):
        page = client.get(reverse("admin:screening_hit_change", args=[hit.pk]))
    html = page.content.decode()
    assert "Иван Петрович Сидоров" in html and "1971-03-14" in html
    assert "same name in another spelling" in html or "same" in html
    tree = lxml.html.fromstring(page.content.decode())
    (table,) = tree.xpath('//table[@class="screening-features"]')
    features = [row.xpath("string(td[1])").strip() for row in table.xpath(".//tbody/tr")]
    assert features[0] == "Name" and "Date of birth: matches" in features
    with django_assert_max_num_queries(25):
        listing = client.get(reverse("admin:screening_hit_changelist") + "?status__exact=new")
    assert listing.status_code == 200 and "Иван Петрович Сидоров" in listing.content.decode()


def test_the_list_query_count_does_not_grow_with_the_hits(
    client, hit, tmp_path, django_assert_max_num_queries
):
    client = _signed_in(client, UserFactory(staff=True))
    for _i in range(20):
        owner(member=MemberFactory(), **SIDOROV)
    subjects_screen_pending()
    assert Hit.objects.count() == 21
    with django_assert_max_num_queries(25):
        assert client.get(reverse("admin:screening_hit_changelist")).status_code == 200


def test_only_a_decision_maker_other_than_the_proposer_sees_the_confirm_button(client, hit):
    staff = UserFactory(staff=True)
    hit = hit_start_review(actor=staff, hit=hit)
    client = _signed_in(client, staff)
    act = reverse("admin:screening_hit_act", args=[hit.pk, "propose_confirm"])
    response = client.post(act, {"note": "Same man, same passport."})
    assert response.status_code == 302
    confirm = reverse("admin:screening_hit_act", args=[hit.pk, "confirm"])
    page = client.get(reverse("admin:screening_hit_change", args=[hit.pk])).content.decode()
    assert confirm not in page
    assert client.post(confirm).status_code == 403  # the proposer

    boss = decider()
    licence_in("active", member=hit.subject.member)
    client.logout()
    client = _signed_in(client, boss)
    page = client.get(reverse("admin:screening_hit_change", args=[hit.pk])).content.decode()
    assert confirm in page
    assert client.post(confirm).status_code == 302
    hit.refresh_from_db()
    assert hit.status == "confirmed" and hit.case is not None


def test_the_staff_home_has_a_screening_queue(client, hit):
    client = _signed_in(client, UserFactory(staff=True))
    tree = lxml.html.fromstring(client.get(reverse("admin:index")).content)
    (row,) = tree.xpath('//tr[@id="queue-screening_hits"]')
    assert row.xpath('string(.//td[@class="queue-count"])').strip() == "1"
    (link,) = row.xpath(".//a/@href")[:1]
    assert client.get(link).status_code == 200


def test_the_360_page_lists_the_members_hits(client, hit):
    client = _signed_in(client, UserFactory(staff=True))
    page = client.get(reverse("workbench:member", args=[hit.subject.member_id]))
    tree = lxml.html.fromstring(page.content.decode())
    (section,) = tree.xpath('//div[@id="member-screening"]')
    assert "Иван Петрович Сидоров" in section.text_content()


def test_the_applicant_sees_nothing_of_screening(client, tmp_path):
    import_and_screen(write_ftm(tmp_path / "l.json", [SIDOROV_ENTRY]))
    application = complete_application(status=ApplicationStatus.UNDER_REVIEW)
    owner(application=application, **SIDOROV)
    subjects_screen_pending()
    application.refresh_from_db()
    assert application.screening_hold and Hit.objects.count() == 1
    login_with_mfa(client, application.applicant)
    for url in (
        reverse("dashboard"),
        reverse("portal:application_detail", args=[application.pk]),
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        text = lxml.html.fromstring(response.content.decode()).text_content().lower()
        for word in ("screening", "sanctions list", "match", "hit", "fict", "held"):
            assert word not in text, (url, word)
