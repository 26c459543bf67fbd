import functools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from faker import Faker
from stdnum import luhn

from maillage.core.models import Crt, Membership, MembershipRole

_FAKE = Faker("fr_FR")


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
    # A French surname made unique by a fixed-width number: no generated name is another's,
    # nor part of another's (a search for one user's name finds that user only).
    last_name = factory.Sequence(lambda n: f"{_FAKE.last_name()} {n:04d}")
    # The stored hash of TEST_PASSWORD, computed once: every test user signs in with it, and
    # no second save per user. ``password=make_password(None)`` gives an unusable one.
    password = factory.LazyFunction(lambda: _test_password_hash())


TEST_PASSWORD = "mot-de-passe-test-1"


@functools.cache
def _test_password_hash() -> str:
    return make_password(TEST_PASSWORD)


def member(user, crt, *roles, is_active: bool = True) -> Membership:
    membership = Membership.objects.create(user=user, crt=crt, is_active=is_active)
    for role in roles:
        MembershipRole.objects.create(membership=membership, role=role)
    return membership
