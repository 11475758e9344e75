"""Demo reports (called by ``seed_demo``, which lives below this app and so names it only).

A report about Demo Diamonds' use of the logo waits for acknowledgement past its deadline (the
staff home's report queues show it), and a concluded one has a fixed status link the README
gives. Idempotent: nothing is added when the concluded demo report exists.
"""

import hashlib
from datetime import timedelta
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from alliance_portal.emails import absolute_url
from members.models import Member, User
from trust import services
from trust.models import Report, ReportCategory
from trust.services import working_days_after

# Fixed so the README can link to it; a real status link carries a random 256-bit token.
DEMO_MEMBER_NAME = "Demo Diamonds Ltd"
DEMO_REPORT_TOKEN = "demo-report-Vb7Kq2Xw9LmT4nRc8ZpJ3sHd6fYg1aEu"  # noqa: S105


def _photo() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 300), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 450, 270), outline="#9a1b1b", width=6)
    draw.text((60, 120), "ALROSA ALLIANCE logo on a shop window (demo photo)", fill="#9a1b1b")
    buffer = BytesIO()
    image.save(buffer, "JPEG")
    return SimpleUploadedFile("shop-window.jpg", buffer.getvalue(), content_type="image/jpeg")


class Command(BaseCommand):
    help = "Create the demo reports (only with DEBUG on); run by seed_demo."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_trust_demo only runs with DEBUG on.")
        digest = hashlib.sha256(DEMO_REPORT_TOKEN.encode()).hexdigest()
        if not Report.objects.filter(token_sha256=digest).exists():
            self._seed(digest)
        demo = Member.objects.get(legal_name=DEMO_MEMBER_NAME)
        number = demo.licences.exclude(number=None).order_by("-pk").values_list("number").first()
        if number is not None:
            page = absolute_url(reverse("trust:member", args=[number[0]]))
            self.stdout.write(f"  Demo member page: {page}")
        status = absolute_url(reverse("trust:report_status", args=[DEMO_REPORT_TOKEN]))
        self.stdout.write(f"  Demo report status link: {status}")

    @staticmethod
    def _seed(digest: str) -> None:
        staff = User.objects.get(email="staff@example.com")
        demo = Member.objects.get(legal_name=DEMO_MEMBER_NAME)
        waiting, _token = services.report_submit(
            category=ReportCategory.LOGO_AGAINST_RULES,
            member=demo,
            description=(
                "The ALROSA ALLIANCE logo is painted on the window of a jewellery shop in "
                "Antwerp that names Demo Diamonds Ltd as its supplier, next to the words "
                "'certified conflict-free polished diamonds'."
            ),
            reporter_email="concerned.buyer@example.net",
            reporter_ip="192.0.2.10",
            files=[_photo()],
        )
        # Received eight days ago: past its five working days, so it is overdue as well.
        received = timezone.now() - timedelta(days=8)
        Report.objects.filter(pk=waiting.pk).update(
            submitted_at=received,
            acknowledge_due_on=working_days_after(
                timezone.localdate(received), settings.ALLIANCE_REPORT_ACKNOWLEDGE_WORKING_DAYS
            ),
            conclude_due_on=timezone.localdate(received)
            + timedelta(days=settings.ALLIANCE_REPORT_CONCLUDE_DAYS),
        )

        concluded, _token = services.report_submit(
            category=ReportCategory.LOGO_BY_NON_MEMBER,
            description=(
                "An online shop sells rough diamond parcels under the ALROSA ALLIANCE logo; "
                "the company is not in the register."
            ),
        )
        Report.objects.filter(pk=concluded.pk).update(token_sha256=digest)
        services.report_acknowledge(actor=staff, report=concluded)
        services.report_start_review(actor=staff, report=concluded)
        services.report_conclude(
            actor=staff,
            report=concluded,
            public_outcome=(
                "The company is not a member. ALROSA asked it to remove the logo, and it has "
                "been removed from the shop's pages. Thank you for telling us."
            ),
        )
