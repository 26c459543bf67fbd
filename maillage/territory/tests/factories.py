import factory

from maillage.territory.models import Commune, Organization, Professional


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune

    insee_code = factory.Sequence(lambda n: f"49{n % 1000:03d}")
    postal_code = "49500"
    name = factory.Sequence(lambda n: f"Commune {n}")
    travel_minutes = 15


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.SAD
    name = factory.Sequence(lambda n: f"Structure {n}")
    city = "Segré-en-Anjou Bleu"
    postal_code = "49500"


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    last_name = factory.Sequence(lambda n: f"Nom{n}")
    first_name = "Marie"
    profession = Professional.Profession.NURSE
