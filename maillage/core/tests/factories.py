import factory
from django.contrib.auth import get_user_model
from stdnum import luhn

from maillage.core.models import Crt, Membership, MembershipRole


def _finess(n: int) -> str:
    prefix = f"49{n:06d}"
    return prefix + luhn.calc_check_digit(prefix)


class CrtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Crt

    name = factory.Sequence(lambda n: f"CRT de test {n}")
    carrier_type = Crt.CarrierType.EHPAD
    finess = factory.Sequence(lambda n: _finess(100 + n))
    department = "49"
    organisational_model = Crt.OrganisationalModel.INTEGRATED
    base_address = "1 rue de la Mairie"
    base_postal_code = "49500"
    base_city = "Segré-en-Anjou Bleu"
    phone = "02 61 91 00 00"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", "mot-de-passe-test-1")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


def member(user, crt, *roles, is_active: bool = True) -> Membership:
    membership = Membership.objects.create(user=user, crt=crt, is_active=is_active)
    for role in roles:
        MembershipRole.objects.create(membership=membership, role=role)
    return membership
