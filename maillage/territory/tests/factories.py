import factory

from maillage.territory.models import Commune


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune

    insee_code = factory.Sequence(lambda n: f"49{n % 1000:03d}")
    postal_code = "49500"
    name = factory.Sequence(lambda n: f"Commune {n}")
    travel_minutes = 15
