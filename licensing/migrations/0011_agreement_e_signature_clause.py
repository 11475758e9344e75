"""The agreement's second version: section 7.2 states that the click-wrap signature binds the
Licensee (the clause the signature evidence page cites), and 7.3 that personal data are
processed under each person's own consent, apart from the agreement. Licences issued on
version 1 keep it; new ones take this."""

from django.db import migrations

AGREEMENT_V2 = """ALROSA ALLIANCE LOGO LICENCE AGREEMENT No. $licence_number

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
7.2 ELECTRONIC SIGNATURE. This Agreement is concluded electronically. The parties agree that the Licensee's signatory signs it by confirming their identity in the portal, typing their name and title and accepting its terms (a click-wrap signature); that this signature binds the Licensee as a handwritten signature would; and that the portal's record of it (the exact text signed and its SHA-256, the time, the account, the IP address and the browser), sealed with the Licensor's electronic signature, is evidence of the Licensee's agreement. Neither party will contest the validity of this Agreement only because it was signed electronically.
7.3 The personal data of the Licensee's people are processed under their own consent, given and withdrawn by each person in the portal, separately from this Agreement.
7.4 The English text of this Agreement is binding.
"""


def forwards(apps, schema_editor):
    AgreementTemplate = apps.get_model("licensing", "AgreementTemplate")
    if AgreementTemplate.objects.filter(body=AGREEMENT_V2).exists():
        return
    latest = AgreementTemplate.objects.order_by("-version").first()
    AgreementTemplate.objects.create(
        version=(latest.version + 1) if latest else 1,
        title="ALROSA ALLIANCE logo licence agreement",
        body=AGREEMENT_V2,
    )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0010_logo_uses_and_kit_acceptance")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
