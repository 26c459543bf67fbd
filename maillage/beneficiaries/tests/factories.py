from datetime import date

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from maillage.beneficiaries.models import (
    Beneficiary,
    Caregiver,
    CareTeamMember,
    Consent,
    Document,
    MedicalRecord,
)
from maillage.core.roles import Role
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory

# A real one-page PDF (written by pypdf): uploads are checked for their structure.
PDF = (
    b'%PDF-1.3\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n2 0 obj\n'
    b'<<\n/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\nendobj\n3 0 obj\n<<\n'
    b'/Type /Catalog\n/Pages 2 0 R\n>>\nendobj\n4 0 obj\n<<\n/Type /Page\n/Resources <<\n'
    b'>>\n/MediaBox [ 0.0 0.0 200 200 ]\n/Parent 2 0 R\n>>\nendobj\nxref\n0 5\n'
    b'0000000000 65535 f \n0000000015 00000 n \n0000000054 00000 n \n0000000113 00000 n \n'
    b'0000000162 00000 n \ntrailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n'
    b'256\n%%EOF\n'
)


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary
        skip_postgeneration_save = True

    birth_name = factory.Sequence(lambda n: f"DUPONT{n}")
    first_names = "Jeanne Marie"
    first_name = "Jeanne"
    birth_date = date(1938, 5, 12)
    sex = "F"
    birth_place_code = "49331"
    address = "3 rue des Lilas"
    commune = factory.LazyAttribute(lambda o: CommuneFactory(crt=o.crt))

    @factory.post_generation
    def medical(self, create, extracted, **kwargs):
        if create:
            MedicalRecord.objects.create(crt=self.crt, beneficiary=self, allergies="Pénicilline",
                                         allergies_status="documented")


class CaregiverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Caregiver

    last_name = "Martin"
    first_name = "Paul"
    relation = "fils"


def consent(beneficiary, kind=Consent.Kind.CARE_TEAM_SHARING, user=None, **fields):
    from maillage.core.tests.factories import UserFactory

    return Consent.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, collected_on=timezone.localdate(),
        method=Consent.Method.ORAL, collected_by=user or UserFactory(), **fields,
    )


def join_care_team(beneficiary, user, roles=(), visits_home=True):
    """Put ``user`` in the care team: as CRT staff, or as a partner professional."""
    if Role.PARTNER in roles:
        pro = ProfessionalFactory(crt=beneficiary.crt, user=user, profession="gp")
        return CareTeamMember.objects.create(
            crt=beneficiary.crt, beneficiary=beneficiary, professional=pro,
            role="Médecin traitant", start_date=date(2024, 1, 1), visits_home=visits_home,
        )
    return CareTeamMember.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, user=user, role="Intervenant",
        start_date=date(2024, 1, 1), visits_home=visits_home,
    )


def shared_file(crt, user=None, roles=()):
    """A beneficiary whose care team includes ``user``, with sharing consented (health too)."""
    b = BeneficiaryFactory(crt=crt, has_key_box=True, key_box_code="1234A")
    consent(b, share_health=True)
    if user is not None:
        join_care_team(b, user, roles)
    return b


def document(beneficiary, category=Document.Category.ADMINISTRATIVE, title="Attestation"):
    doc = Document(
        crt=beneficiary.crt, beneficiary=beneficiary, category=category, title=title,
        document_date=date(2025, 1, 10), original_name="attestation.pdf",
        content_type="application/pdf", size=len(PDF),
    )
    doc.file.save(f"{doc.public_id}.pdf", ContentFile(PDF), save=False)
    doc.save()
    return doc


def vital_sign(beneficiary, author=None, kind="body_temperature", ago=None, **fields):
    """A measure of ``beneficiary`` recorded by ``author`` (a new user when None), an hour
    ago unless said, through the service (its checks, its audit, its alert)."""
    from datetime import timedelta

    from maillage.beneficiaries.vitals import vital_sign_record
    from maillage.core.tests.factories import UserFactory

    if kind not in ("blood_pressure", "fall") and "value" not in fields:
        fields["value"] = "37.2"
    return vital_sign_record(actor=author or UserFactory(), beneficiary=beneficiary, kind=kind,
                             measured_at=timezone.now() - (ago or timedelta(hours=1)),
                             **fields)
