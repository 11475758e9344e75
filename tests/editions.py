"""Test data for Guidelines editions and carried-forward answers."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from alliance_portal.models import Document
from compliance import services
from compliance.models import ReviewCycle
from licensing import editions
from licensing import services as licensing
from licensing.models import Criterion, GuidelinesSection, GuidelinesVersion
from tests.factories import answer_everything, cycle_for, signatory_of
from tests.files import pdf_bytes


def accepted_with_evidence(
    staff, licence, documents: dict[str, dict[str, date | None]]
) -> ReviewCycle:
    """An accepted review of ``licence``: every criterion "not applicable", except those of
    ``documents``, answered "compliant" with their PDFs (file name: valid until)."""
    cycle = cycle_for("open", licence=licence)
    signatory = signatory_of(licence.member)
    answer_everything(cycle, signatory)
    for code, files in documents.items():
        criterion = cycle.answers.get(criterion__code=code).criterion
        services.answer_save(
            actor=signatory,
            cycle=cycle,
            criterion=criterion,
            answer="compliant",
            explanation=f"Our policy for {code}.",
        )
        for name, expires_on in files.items():
            link = services.evidence_add(
                actor=signatory,
                cycle=cycle,
                criterion=criterion,
                uploaded_file=SimpleUploadedFile(name, pdf_bytes()),
            )
            assert link is not None
            Document.objects.filter(pk=link.document_id).update(expires_on=expires_on)
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan Signer", declared=True)
    services.cycle_start_review(actor=staff, cycle=cycle)
    services.cycle_accept(actor=staff, cycle=cycle, grade="compliant")
    return ReviewCycle.objects.get(pk=cycle.pk)


def third_edition(staff) -> GuidelinesVersion:
    """A draft edition after the 2nd: 2.4 reworded, 1.3 added, 5.1 gone, the rest the same;
    its mapping proposed by code (complete)."""
    second = GuidelinesVersion.objects.get(edition="2nd edition")
    third = GuidelinesVersion.objects.create(
        edition="3rd edition", title_en="Third", title_ru="Третья", adopted_on=date(2030, 1, 1)
    )
    for old_section in GuidelinesSection.objects.filter(version=second).order_by("number"):
        criteria = [c for c in old_section.criteria.all() if c.code != "5.1"]
        if not criteria:
            continue
        section = GuidelinesSection.objects.create(
            version=third,
            number=old_section.number,
            title_en=old_section.title_en,
            title_ru=old_section.title_ru,
        )
        for old in criteria:
            old.pk, old.section = None, section
            if old.code == "2.4":
                old.description_en += " Polished suppliers too."
            old.save()
        if section.number == 1:
            Criterion.objects.create(
                section=section,
                code="1.3",
                position=3,
                title_en="Origin disclosure",
                title_ru="Раскрытие происхождения",
                description_en="The origin is disclosed.",
                description_ru="Происхождение раскрывается.",
                evidence_en="The procedure.",
                evidence_ru="Порядок.",
            )
    editions.criterion_mappings_propose(actor=staff, version=third)
    return third


def publish(staff, version: GuidelinesVersion) -> GuidelinesVersion:
    return licensing.guidelines_publish(actor=staff, version=version)
