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
