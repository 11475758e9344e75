"""Publish the Guidelines (2nd edition, adopted 21 February 2018) with their real structure,
each criterion described in our own words, and the first licence agreement template."""

from django.db import migrations
from django.utils import timezone

from alliance_portal.migration_helpers import grant_permissions

SECTIONS = [
    (
        1,
        "Kimberley Process and the System of Warranties",
        "Кимберлийский процесс и Система гарантий",
    ),
    (
        2,
        "Corporate principles of sustainable development",
        "Корпоративные принципы устойчивого развития",
    ),
    (3, "Human resources and social principles", "Принципы в области персонала и социальной сферы"),
    (4, "Environment", "Окружающая среда"),
    (5, "GRI implementation", "Применение стандартов GRI"),
]

# (section, code, title_en, title_ru, description_en, description_ru, evidence_en, evidence_ru)
CRITERIA = [
    (
        1,
        "1.1",
        "Kimberley Process certification",
        "Сертификация Кимберлийского процесса",
        "The company buys, sells, imports and exports rough diamonds only with valid Kimberley Process certificates and keeps records of every shipment.",
        "Компания покупает, продаёт, ввозит и вывозит необработанные алмазы только с действующими сертификатами Кимберлийского процесса и ведёт учёт каждой партии.",
        "KP registration, a sample of certificates for the year, the shipment register.",
        "Регистрация в системе КП, выборка сертификатов за год, реестр партий.",
    ),
    (
        1,
        "1.2",
        "System of Warranties",
        "Система гарантий",
        "Every invoice for diamonds carries the warranty statement of the World Diamond Council System of Warranties, and warranties received from suppliers are checked and kept.",
        "Каждый счёт на алмазы содержит гарантийное заявление Системы гарантий Всемирного алмазного совета; гарантии, полученные от поставщиков, проверяются и хранятся.",
        "Sample invoices with the warranty statement; the procedure for checking suppliers' warranties.",
        "Образцы счетов с гарантийным заявлением; порядок проверки гарантий поставщиков.",
    ),
    (
        2,
        "2.1",
        "Ethical values and legal compliance",
        "Этические ценности и соблюдение закона",
        "The company has a code of conduct approved by its management, trains its staff in it and complies with the laws of the countries where it operates.",
        "У компании есть утверждённый руководством кодекс поведения, сотрудники обучены ему, и компания соблюдает законы стран, в которых работает.",
        "The code of conduct, training records, a statement of material legal proceedings.",
        "Кодекс поведения, сведения об обучении, перечень существенных судебных разбирательств.",
    ),
    (
        2,
        "2.2",
        "Countering bribery and corruption",
        "Противодействие взяточничеству и коррупции",
        "The company forbids bribery in any form, keeps a register of gifts and hospitality, and has a way for staff and partners to report concerns safely.",
        "Компания запрещает взяточничество в любой форме, ведёт реестр подарков и представительских расходов и даёт сотрудникам и партнёрам безопасный способ сообщать о нарушениях.",
        "The anti-bribery policy, the gifts register, the whistle-blowing procedure.",
        "Антикоррупционная политика, реестр подарков, порядок сообщения о нарушениях.",
    ),
    (
        2,
        "2.3",
        "Financial transparency",
        "Финансовая прозрачность",
        "The company keeps audited accounts, knows its customers and counterparties, screens them against sanctions lists and reports suspicious transactions as the law requires.",
        "Компания ведёт аудируемую отчётность, идентифицирует клиентов и контрагентов, проверяет их по санкционным спискам и сообщает о подозрительных операциях в соответствии с законом.",
        "The latest audited financial statements, the AML/KYC policy, the sanctions screening procedure.",
        "Последняя аудированная финансовая отчётность, политика ПОД/ФТ и KYC, порядок санкционной проверки.",
    ),
    (
        2,
        "2.4",
        "Responsible supply chain and disclosure",
        "Ответственная цепочка поставок и раскрытие информации",
        "The company knows where its diamonds come from, assesses the risks of its supply chain, keeps natural and laboratory-grown diamonds apart and discloses them truthfully to its customers.",
        "Компания знает происхождение своих алмазов, оценивает риски цепочки поставок, разделяет природные и выращенные алмазы и правдиво раскрывает сведения о них покупателям.",
        "The supply chain policy and risk assessment, the procedure for segregating and disclosing laboratory-grown diamonds.",
        "Политика и оценка рисков цепочки поставок, порядок разделения и раскрытия сведений о выращенных алмазах.",
    ),
    (
        3,
        "3.1",
        "Human rights",
        "Права человека",
        "The company respects human rights as set out in the UN Guiding Principles on Business and Human Rights and expects the same of its suppliers.",
        "Компания уважает права человека в соответствии с Руководящими принципами ООН в сфере бизнеса и прав человека и ожидает того же от своих поставщиков.",
        "The human rights policy, the supplier code or contract clauses.",
        "Политика в области прав человека, кодекс поставщика или договорные условия.",
    ),
    (
        3,
        "3.2",
        "Labour rights and employment",
        "Трудовые права и занятость",
        "No child or forced labour; fair pay and working hours; freedom of association; no discrimination in hiring, pay or promotion.",
        "Отсутствие детского и принудительного труда; справедливая оплата и продолжительность рабочего времени; свобода объединений; отсутствие дискриминации при найме, оплате и продвижении.",
        "Employment policies, a summary of the workforce by contract type, results of any labour inspection.",
        "Кадровые политики, сведения о численности персонала по видам договоров, результаты трудовых проверок.",
    ),
    (
        3,
        "3.3",
        "Health and safety",
        "Охрана труда и здоровья",
        "The company assesses workplace risks, trains its staff and records and investigates accidents.",
        "Компания оценивает риски на рабочих местах, обучает сотрудников, регистрирует и расследует несчастные случаи.",
        "The health and safety policy, the risk assessment, the accident register for the year.",
        "Политика в области охраны труда, оценка рисков, журнал несчастных случаев за год.",
    ),
    (
        3,
        "3.4",
        "Support of local communities",
        "Поддержка местных сообществ",
        "The company contributes to the communities where it works, through employment, purchasing or social projects, and reports what it does.",
        "Компания вносит вклад в жизнь сообществ, в которых работает, — через занятость, закупки или социальные проекты — и сообщает об этом.",
        "A description of community programmes and their results.",
        "Описание программ поддержки сообществ и их результатов.",
    ),
    (
        4,
        "4.1",
        "Environmental management",
        "Управление охраной окружающей среды",
        "The company identifies its effects on the environment, complies with environmental law, uses energy, water and materials sparingly and reduces waste.",
        "Компания выявляет своё воздействие на окружающую среду, соблюдает природоохранное законодательство, бережно расходует энергию, воду и материалы и сокращает отходы.",
        "The environmental policy, permits where required, energy and waste figures for the year.",
        "Экологическая политика, разрешения (где требуются), показатели энергопотребления и отходов за год.",
    ),
    (
        5,
        "5.1",
        "Sustainability reporting",
        "Отчётность об устойчивом развитии",
        "The company reports on its economic, environmental and social performance following the GRI Standards, in proportion to its size.",
        "Компания отчитывается о своей экономической, экологической и социальной деятельности по стандартам GRI соразмерно своему масштабу.",
        "The latest sustainability report or the GRI content index.",
        "Последний отчёт об устойчивом развитии или указатель содержания GRI.",
    ),
]

AGREEMENT_V1 = """ALROSA ALLIANCE LOGO LICENCE AGREEMENT No. $licence_number

1. PARTIES
1.1 ALROSA (the "Licensor"), acting through its Customer Policy Department.
1.2 $member_name, registered in $member_country under number $member_registration, at $member_address, Kimberley Process registration $kp_registration, a long-term buyer of rough diamonds from ALROSA under contract $contract_reference (the "Licensee").

2. GRANT
2.1 The Licensor grants the Licensee a non-exclusive, non-transferable licence to use the ALROSA ALLIANCE logo (the "Logo") to show that the Licensee is a member of the ALROSA ALLIANCE programme.
2.2 The Licensee may use the Logo only in the forms supplied in the logo kit and only as the brand book describes. It may not alter the Logo, combine it with other marks, or use it for goods or activities that do not meet the Guidelines.
2.3 The Licensee may not grant sub-licences.

3. CONDITIONS
3.1 The $guidelines (the "Guidelines") form an integral part of this Agreement. The Licensee undertakes to follow them in all its business.
3.2 Each year, and whenever the Licensor asks, the Licensee attests to each requirement of the Guidelines through the ALROSA ALLIANCE portal, with evidence.
3.3 The Licensee cooperates with the Licensor's reviews and audits, gives access to the records they need, and puts right any finding within the time the Licensor sets.
3.4 The Licensee tells the Licensor without delay of any event that may affect its compliance with the Guidelines or its reputation, including legal proceedings and sanctions.

4. TERM
4.1 This Agreement takes effect on the day it is signed in the portal and runs for $term_years years, unless it ends earlier under section 5.
4.2 It may be renewed by a new agreement.

5. SUSPENSION AND FORFEITURE
5.1 If the Licensee fails to meet the Guidelines or this Agreement, the Licensor may, after giving notice and the opportunity to respond, issue a warning, suspend the licence for a period or until the failure is remedied, or declare the licence forfeited.
5.2 The Licensor may also end this Agreement if the long-term contract with ALROSA ends or if the Licensee becomes subject to sanctions.
5.3 While the licence is suspended the Licensee may not use the Logo.

6. WHEN THE LICENCE ENDS
6.1 When the licence is suspended, forfeited, terminated or expires, the Licensee stops using the Logo at once, removes it from its materials, websites and premises within 30 days, and no longer presents itself as a member of the programme.
6.2 Sections 6 and 7 survive the end of this Agreement.

7. GENERAL
7.1 The Licensee's membership and licence status are published in the public register of members while the Licensee consents to it.
7.2 This Agreement is concluded electronically. The Licensee's signatory signs it by accepting its terms in the portal; the record of that signature is evidence of the Licensee's agreement.
7.3 The English text of this Agreement is binding.
"""


def forwards(apps, schema_editor):
    GuidelinesVersion = apps.get_model("licensing", "GuidelinesVersion")
    GuidelinesSection = apps.get_model("licensing", "GuidelinesSection")
    Criterion = apps.get_model("licensing", "Criterion")
    AgreementTemplate = apps.get_model("licensing", "AgreementTemplate")

    version, _ = GuidelinesVersion.objects.get_or_create(
        edition="2nd edition",
        defaults={
            "title_en": "ALROSA ALLIANCE Guidelines on Responsible Business Practices",
            "title_ru": "Руководство ALROSA ALLIANCE по ответственной деловой практике",
            "adopted_on": "2018-02-21",
            "published_at": timezone.now(),
        },
    )
    sections = {}
    for number, title_en, title_ru in SECTIONS:
        sections[number], _ = GuidelinesSection.objects.get_or_create(
            version=version, number=number, defaults={"title_en": title_en, "title_ru": title_ru}
        )
    for position, row in enumerate(CRITERIA):
        section, code, title_en, title_ru, desc_en, desc_ru, ev_en, ev_ru = row
        Criterion.objects.get_or_create(
            section=sections[section],
            code=code,
            defaults={
                "title_en": title_en,
                "title_ru": title_ru,
                "description_en": desc_en,
                "description_ru": desc_ru,
                "evidence_en": ev_en,
                "evidence_ru": ev_ru,
                "position": position,
            },
        )
    AgreementTemplate.objects.get_or_create(
        version=1,
        defaults={"title": "ALROSA ALLIANCE logo licence agreement", "body": AGREEMENT_V1},
    )

    grant_permissions(
        apps,
        {
            "Customer policy staff": [
                ("licensing", "view_guidelinesversion"),
                ("licensing", "add_guidelinesversion"),
                ("licensing", "change_guidelinesversion"),
                ("licensing", "view_agreementtemplate"),
                ("licensing", "add_agreementtemplate"),
                ("licensing", "change_agreementtemplate"),
                ("licensing", "view_licenceagreement"),
                ("licensing", "add_licenceagreement"),
                ("licensing", "change_licenceagreement"),
                ("licensing", "view_signature"),
            ],
            "Decision makers": [("licensing", "view_licenceagreement")],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0001_initial"),
        ("members", "0004_requirements_and_permissions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
