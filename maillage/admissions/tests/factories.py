import factory
from django.utils import timezone

from maillage.admissions.models import Referral


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    source = Referral.Source.INTERNAL
    received_at = factory.LazyFunction(timezone.now)
    person_last_name = factory.Sequence(lambda n: f"Personne{n}")
    person_first_name = "Lucienne"
    referrer_kind = "gp"
    referrer_name = "Dr Besnard"
    referrer_email = "besnard@medecin.mssante.fr"
    reason = "Chutes répétées, vit seule, aidante épuisée."


def enrolment(beneficiary, referent=None, **fields):
    from datetime import date

    from maillage.admissions.models import Enrolment
    from maillage.core.tests.factories import UserFactory

    fields.setdefault("admitted_on", date(2025, 1, 6))
    fields.setdefault("gir_at_entry", 3)
    return Enrolment.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, referent=referent or UserFactory(),
        **fields)


def contract(referral, beneficiary):
    from django.core.files.base import ContentFile

    from maillage.admissions.models import Contract
    from maillage.beneficiaries.tests.factories import PDF

    c = Contract(crt=referral.crt, referral=referral, beneficiary=beneficiary)
    c.file.save(f"{c.public_id}.pdf", ContentFile(PDF), save=False)
    c.save()
    return c
