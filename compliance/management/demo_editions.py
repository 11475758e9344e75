"""The demo's Guidelines editions and carried-forward answers (part of ``seed_demo``).

A draft 3rd edition, written as staff would write one: the 2nd edition's sections and
criteria with an origin-disclosure criterion and an environmental risk criterion added and
two criteria reworded (fictional wording: the real text is not public), and its mapping from
the 2nd edition, complete and ready to publish. Idempotent."""

from datetime import date, timedelta

from django.utils import timezone

from alliance_portal.models import Document
from compliance.models import AnswerEvidence, ReviewCycle
from licensing import editions
from licensing import services as licensing
from licensing.models import (
    Criterion,
    CriterionChange,
    CriterionMapping,
    GuidelinesSection,
    GuidelinesVersion,
)
from members.models import User

THIRD = "3rd edition"

# code: (title_en, title_ru, description_en, description_ru, evidence_en, evidence_ru)
ADDED = {
    "1.3": (
        "Origin disclosure",
        "Раскрытие происхождения",
        "The company tells its customers the country of mining of the rough diamonds it "
        "sells where it is known, and never presents diamonds of unknown origin as of a "
        "known one.",
        "Компания сообщает покупателям страну добычи продаваемых необработанных алмазов, "
        "если она известна, и никогда не выдаёт алмазы неизвестного происхождения за алмазы "
        "известного.",
        "The origin disclosure procedure; sample invoices or certificates naming the origin.",
        "Порядок раскрытия происхождения; образцы счетов или сертификатов с указанием "
        "происхождения.",
    ),
    "4.2": (
        "Environmental risk management",
        "Управление экологическими рисками",
        "The company assesses the environmental risks of its operations and of its main "
        "suppliers, sets targets to reduce them and reports progress every year.",
        "Компания оценивает экологические риски своей деятельности и основных поставщиков, "
        "ставит цели по их снижению и ежегодно отчитывается о прогрессе.",
        "The environmental risk assessment, the reduction targets and the year's progress report.",
        "Оценка экологических рисков, цели по их снижению и отчёт о прогрессе за год.",
    ),
}
REWORDED = {
    "2.4": (
        "The due diligence now covers polished suppliers, not only rough.",
        "The company knows where its diamonds come from, assesses the risks of its supply "
        "chain for rough and polished suppliers alike, keeps natural and laboratory-grown "
        "diamonds apart and discloses them truthfully to its customers.",
        "Компания знает происхождение своих алмазов, оценивает риски цепочки поставок как у "
        "поставщиков необработанных алмазов, так и у поставщиков бриллиантов, разделяет "
        "природные и выращенные алмазы и правдиво раскрывает сведения о них покупателям.",
    ),
    "5.1": (
        "Reporting now names the environmental risks of criterion 4.2.",
        "The company reports on its economic, environmental and social performance following "
        "the GRI Standards, in proportion to its size, including the environmental risks it "
        "has assessed.",
        "Компания отчитывается о своей экономической, экологической и социальной деятельности "
        "по стандартам GRI соразмерно своему масштабу, включая оценённые ею экологические "
        "риски.",
    ),
}


def seed_third_edition(staff: User) -> GuidelinesVersion:
    """The draft 3rd edition with its complete mapping from the 2nd."""
    third = GuidelinesVersion.objects.filter(edition=THIRD).first()
    if third is not None:
        return third
    second = GuidelinesVersion.objects.get(edition="2nd edition")
    third = GuidelinesVersion.objects.create(
        edition=THIRD,
        title_en="ALROSA ALLIANCE Guidelines on Responsible Business Practices",
        title_ru="Руководство ALROSA ALLIANCE по ответственной деловой практике",
        adopted_on=date(2027, 3, 1),
    )
    for old_section in GuidelinesSection.objects.filter(version=second).order_by("number"):
        section = licensing.guidelines_section_save(
            actor=staff,
            section=GuidelinesSection(
                version=third,
                number=old_section.number,
                title_en=old_section.title_en,
                title_ru=old_section.title_ru,
            ),
        )
        for old in old_section.criteria.order_by("position", "code"):
            criterion = Criterion(
                section=section,
                code=old.code,
                position=old.position,
                title_en=old.title_en,
                title_ru=old.title_ru,
                description_en=REWORDED.get(old.code, ("", old.description_en, ""))[1],
                description_ru=REWORDED.get(old.code, ("", "", old.description_ru))[2],
                evidence_en=old.evidence_en,
                evidence_ru=old.evidence_ru,
            )
            licensing.criterion_save(actor=staff, criterion=criterion)
        for code, texts in ADDED.items():
            if code.split(".")[0] == str(section.number):
                title_en, title_ru, description_en, description_ru, evidence_en, evidence_ru = texts
                licensing.criterion_save(
                    actor=staff,
                    criterion=Criterion(
                        section=section,
                        code=code,
                        position=int(code.split(".")[1]),
                        title_en=title_en,
                        title_ru=title_ru,
                        description_en=description_en,
                        description_ru=description_ru,
                        evidence_en=evidence_en,
                        evidence_ru=evidence_ru,
                    ),
                )
    editions.criterion_mappings_propose(actor=staff, version=third)
    for line in CriterionMapping.objects.filter(
        version=third, change=CriterionChange.CHANGED
    ).select_related("criterion", "previous"):
        line.note = REWORDED[line.criterion.code][0]  # type: ignore[union-attr]
        editions.criterion_mapping_save(actor=staff, mapping=line)
    return third


def seed_expired_evidence(cycle: ReviewCycle) -> None:
    """One document of the accepted review has expired: kept answers leave it behind."""
    today = timezone.localdate()
    link = (
        AnswerEvidence.objects.filter(answer__cycle=cycle, answer__criterion__code="1.1")
        .select_related("document")
        .first()
    )
    if link is not None and link.document.expires_on is None:
        Document.objects.filter(pk=link.document_id).update(
            issued_on=today - timedelta(days=375), expires_on=today - timedelta(days=10)
        )
