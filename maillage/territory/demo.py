"""Demo data of the territory: the real communes of the two 2025 Maine-et-Loire territories."""

from maillage.core.demo import DemoContext

from .demo_communes import ANJOU_BLEU, BAUGEOIS_VALLEE
from .models import Commune


def load(ctx: DemoContext) -> None:
    for key, rows in (("anjou_bleu", ANJOU_BLEU), ("baugeois", BAUGEOIS_VALLEE)):
        crt = ctx.crts[key]
        Commune.objects.bulk_create(
            [
                Commune(
                    crt=crt,
                    insee_code=insee,
                    postal_code=postal,
                    name=name,
                    travel_minutes=minutes,
                    covers_volet1=True,
                    # Volet 2 needs the on-call nurse on site quickly: beyond 35 min, volet 1 only.
                    covers_volet2=minutes <= 35,
                )
                for insee, postal, name, minutes in rows
            ]
        )
