"""The documents the programme asks applicants for, and staff permissions on the new models."""

from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions

REQUIREMENTS = [
    {
        "code": "certificate-of-incorporation",
        "title_en": "Certificate of incorporation",
        "title_ru": "Свидетельство о регистрации компании",
        "help_en": "The company's certificate of incorporation or an extract from the commercial register, issued within the last 12 months.",
        "help_ru": "Свидетельство о регистрации компании или выписка из торгового реестра, выданные не ранее чем 12 месяцев назад.",
        "required": True,
        "position": 10,
    },
    {
        "code": "kp-registration",
        "title_en": "Kimberley Process registration",
        "title_ru": "Регистрация в системе Кимберлийского процесса",
        "help_en": "Proof of registration as an importer and exporter of rough diamonds under the Kimberley Process Certification Scheme.",
        "help_ru": "Подтверждение регистрации в качестве импортёра и экспортёра необработанных алмазов в Системе сертификации Кимберлийского процесса.",
        "required": True,
        "position": 20,
    },
    {
        "code": "aml-kyc-policy",
        "title_en": "AML/KYC policy",
        "title_ru": "Политика ПОД/ФТ и «Знай своего клиента»",
        "help_en": "The company's anti-money-laundering and know-your-customer policy as approved by its management.",
        "help_ru": "Утверждённая руководством политика компании по противодействию отмыванию денег и идентификации клиентов.",
        "required": True,
        "position": 30,
    },
    {
        "code": "audited-financial-statements",
        "title_en": "Latest audited financial statements",
        "title_ru": "Последняя аудированная финансовая отчётность",
        "help_en": "The financial statements for the last full financial year with the auditor's report.",
        "help_ru": "Финансовая отчётность за последний полный финансовый год с заключением аудитора.",
        "required": True,
        "position": 40,
    },
    {
        "code": "ownership-structure",
        "title_en": "Ownership structure",
        "title_ru": "Структура собственности",
        "help_en": "A chart or list of the company's owners down to the ultimate beneficial owners (optional).",
        "help_ru": "Схема или перечень владельцев компании вплоть до конечных бенефициаров (по желанию).",
        "required": False,
        "position": 50,
    },
]

STAFF = "Customer policy staff"
DECISION_MAKERS = "Decision makers"
STAFF_PERMISSIONS = [
    ("members", "view_member"),
    ("members", "change_member"),
    ("members", "view_membership"),
    ("members", "view_invitation"),
    ("members", "view_application"),
    ("members", "change_application"),
    ("members", "view_informationrequest"),
    ("members", "view_applicationdocument"),
    ("members", "view_documentrequirement"),
    ("members", "add_documentrequirement"),
    ("members", "change_documentrequirement"),
    ("alliance_portal", "view_document"),
]
DECISION_PERMISSIONS = [("members", "view_member"), ("members", "view_application")]


def forwards(apps, schema_editor):
    DocumentRequirement = apps.get_model("members", "DocumentRequirement")
    for spec in REQUIREMENTS:
        DocumentRequirement.objects.update_or_create(code=spec["code"], defaults=spec)

    grant_permissions(apps, {STAFF: STAFF_PERMISSIONS, DECISION_MAKERS: DECISION_PERMISSIONS})


def backwards(apps, schema_editor):
    apps.get_model("members", "DocumentRequirement").objects.filter(
        code__in=[spec["code"] for spec in REQUIREMENTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_members_and_applications"),
        ("alliance_portal", "0004_document"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
