"""The logo page in Chromium: the kit downloads only once the rules are ticked; the compliance
officer submits a planned use with its artwork."""

import io
import zipfile

import pytest
from playwright.sync_api import expect

from licensing.models import LogoKitAcceptance, LogoUse
from members.models import Membership, Role
from tests.alliance_portal.test_exports_browser import sign_in
from tests.factories import UserFactory, licence_in, signatory_of
from tests.files import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_kit_needs_the_rules_ticked_and_a_use_is_submitted(page, live_server, tmp_path):
    licence = licence_in("active")
    officer = UserFactory()
    Membership.objects.create(member=licence.member, user=officer, role=Role.COMPLIANCE_OFFICER)
    sign_in(page, live_server, signatory_of(licence.member))
    page.goto(f"/portal/licences/{licence.pk}/")
    page.get_by_role("link", name="The logo: kit and approved uses").click()
    expect(page.get_by_text(f"/register/{licence.number}/")).to_be_visible()

    page.get_by_role("button", name="Download the logo kit").click()
    expect(
        page.get_by_text("Accept the rules of use of the logo to download the kit.")
    ).to_be_visible()
    assert not LogoKitAcceptance.objects.exists()

    page.get_by_label("I have read the rules of use of the logo and will follow them.").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the logo kit").click()
    path = tmp_path / "kit.zip"
    download_info.value.save_as(path)
    names = zipfile.ZipFile(io.BytesIO(path.read_bytes())).namelist()
    assert "alrosa-alliance-logo/licence.txt" in names
    assert LogoKitAcceptance.objects.get().user == signatory_of(licence.member)

    page.context.clear_cookies()
    sign_in(page, live_server, officer)
    page.goto(f"/portal/members/{licence.member_id}/logo/")
    page.get_by_role("link", name="Submit a planned use").click()
    artwork = tmp_path / "banner.png"
    artwork.write_bytes(png_bytes())
    page.get_by_label("Artwork").set_input_files(str(artwork))
    page.get_by_label("Medium").select_option("website")
    page.get_by_label("Markets or countries").fill("Worldwide online")
    page.get_by_label("From", exact=True).fill("2030-01-01")
    page.get_by_label("To", exact=True).fill("2030-12-31")
    page.get_by_label("Description").fill("The white logo in our website's footer.")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted. Staff will approve or reject the use")).to_be_visible()
    expect(page.get_by_text("Awaiting approval")).to_be_visible()
    assert LogoUse.objects.get().markets == "Worldwide online"
