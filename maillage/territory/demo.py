"""Demo data of the territory: the real communes of the two 2025 Maine-et-Loire territories,
and a directory with partners of every type (fictitious structures and people)."""

from django.contrib.auth import get_user_model
from django.utils.text import slugify
from stdnum import luhn

from maillage.core.demo import FIRST_NAMES, LAST_NAMES, DemoContext

from . import reference
from .demo_communes import ANJOU_BLEU, BAUGEOIS_VALLEE
from .models import Agreement, Commune, Organization, Professional

K = Organization.Kind

#: Communes where the CRT runs volet 2 only: the CLIC of the neighbouring territory already
#: runs the prevention actions there (the map shows the three kinds of coverage).
VOLET2_ONLY = {"Sceaux-d'Anjou", "Marcé"}
P = Professional.Profession

# (kind, name, commune name or None for outside the territory, city if outside)
ORGANIZATIONS = {
    "anjou_bleu": [
        (K.GP_PRACTICE, "Cabinet médical du Lion-d'Angers", "Le Lion-d'Angers", ""),
        (K.DAC, "DAC 49 — antenne du Segréen", "Segré-en-Anjou Bleu", ""),
        (K.CPTS, "CPTS du Haut-Anjou", "Segré-en-Anjou Bleu", ""),
        (K.MSP, "Maison de santé de Candé", "Candé", ""),
        (K.HAD, "HAD Anjou Santé, antenne nord", None, "Angers"),
        (K.HOSPITAL, "Hôpital local du Segréen", "Segré-en-Anjou Bleu", ""),
        (K.EHPAD, "EHPAD du Val d'Erdre", "Val d'Erdre-Auxence", ""),
        (K.SSIAD, "SSIAD du Segréen", "Segré-en-Anjou Bleu", ""),
        (K.SAD, "Aide à domicile du Haut-Anjou", "Le Lion-d'Angers", ""),
        (K.CCAS, "CCAS de Segré-en-Anjou Bleu", "Segré-en-Anjou Bleu", ""),
        (K.CLIC, "CLIC de l'Anjou Bleu", "Segré-en-Anjou Bleu", ""),
        (K.DEPARTMENT, "Maison départementale des solidarités du Segréen",
         "Segré-en-Anjou Bleu", ""),
        (K.OTHER, "Pharmacie de la Place, Candé", "Candé", ""),
    ],
    "baugeois": [
        (K.GP_PRACTICE, "Cabinet médical de Beaufort", "Beaufort-en-Anjou", ""),
        (K.DAC, "DAC 49 — antenne du Baugeois", "Baugé-en-Anjou", ""),
        (K.CPTS, "CPTS Loir et Vallée", "Durtal", ""),
        (K.MSP, "Maison de santé de Seiches", "Seiches-sur-le-Loir", ""),
        (K.HAD, "HAD Anjou Santé, antenne est", None, "Angers"),
        (K.HOSPITAL, "Hôpital local du Baugeois", "Baugé-en-Anjou", ""),
        (K.EHPAD, "EHPAD Les Tilleuls de Noyant", "Noyant-Villages", ""),
        (K.SSIAD, "SSIAD Baugeois Vallée", "Baugé-en-Anjou", ""),
        (K.SAD, "Aide à domicile Loir et Sarthe", "Tiercé", ""),
        (K.CCAS, "CCAS de Baugé-en-Anjou", "Baugé-en-Anjou", ""),
        (K.CLIC, "CLIC du Baugeois", "Baugé-en-Anjou", ""),
        (K.DEPARTMENT, "Maison départementale des solidarités du Baugeois",
         "Baugé-en-Anjou", ""),
        (K.OTHER, "Pharmacie des Halles, Durtal", "Durtal", ""),
    ],
}

# (profession, specialty, organization kind or None)
PROFESSIONALS = [
    (P.GP, "", K.GP_PRACTICE),
    (P.GP, "", K.MSP),
    (P.GP, "", K.MSP),
    (P.NURSE, "Infirmière libérale", K.MSP),
    (P.NURSE, "Infirmier libéral", None),
    (P.NURSE, "Infirmière coordinatrice SSIAD", K.SSIAD),
    (P.PHYSIOTHERAPIST, "", None),
    (P.PHARMACIST, "", K.OTHER),
    (P.COORDINATOR, "Coordinatrice de parcours", K.DAC),
    (P.HOME_HELP, "Responsable de secteur", K.SAD),
    (P.SOCIAL_WORKER, "Assistante sociale APA", K.DEPARTMENT),
    (P.GERIATRICIAN, "Équipe mobile de gériatrie", K.HOSPITAL),
]


def _finess(ctx: DemoContext) -> str:
    prefix = f"499{ctx.rng.randint(0, 99999):05d}"
    return prefix + luhn.calc_check_digit(prefix)


def _rpps(ctx: DemoContext) -> str:
    # The same draw as before; the last digit is the Luhn key an RPPS number carries.
    prefix = f"10{ctx.rng.randint(0, 999_999_999):09d}"[:10]
    return prefix + luhn.calc_check_digit(prefix)


def load(ctx: DemoContext) -> None:
    for key, rows in (("anjou_bleu", ANJOU_BLEU), ("baugeois", BAUGEOIS_VALLEE)):
        crt = ctx.crts[key]
        places = reference.lookup_many(insee for insee, *_ in rows)
        communes = {
            c.name: c
            for c in Commune.objects.bulk_create(
                [
                    Commune(
                        crt=crt,
                        insee_code=insee,
                        postal_code=postal,
                        name=name,
                        travel_minutes=minutes,
                        # Volet 1 (actions for the whole territory) everywhere but where a
                        # neighbouring CLIC runs them; the on-call nurse must reach volet 2
                        # homes quickly: beyond 35 min, volet 1 only.
                        covers_volet1=name not in VOLET2_ONLY,
                        covers_volet2=minutes <= 35,
                        # Position and population from the national reference (INSEE COG,
                        # Etalab/IGN), as when a commune is added by its INSEE code.
                        latitude=places[insee].latitude,
                        longitude=places[insee].longitude,
                        population=places[insee].population,
                    )
                    for insee, postal, name, minutes in rows
                ]
            )
        }
        organizations = {}
        for kind, name, commune_name, city in ORGANIZATIONS[key]:
            commune = communes.get(commune_name) if commune_name else None
            # ASCII letters, digits and hyphens only: a valid domain part of an address.
            slug = slugify(name.split(",")[0])[:30].strip("-")
            organizations[kind] = Organization.objects.create(
                crt=crt,
                kind=kind,
                name=name,
                finess=_finess(ctx) if kind not in {K.CCAS, K.CLIC, K.CPTS, K.DAC} else "",
                address=f"{ctx.rng.randint(1, 40)} rue {ctx.rng.choice(STREETS)}",
                postal_code=commune.postal_code if commune else "49100",
                city=commune.name if commune else city,
                commune=commune,
                phone=f"02 61 91 {ctx.rng.randint(10, 99)} {ctx.rng.randint(10, 99)}",
                email=f"contact@{slug}.demo.fr",
                mssante_email=f"secretariat@{slug}.mssante.fr"
                if kind in {K.GP_PRACTICE, K.MSP, K.HAD, K.HOSPITAL, K.SSIAD, K.EHPAD, K.DAC}
                else "",
            )
        for _ in range(ctx.scale):
            for profession, specialty, org_kind in PROFESSIONALS:
                first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
                Professional.objects.create(
                    crt=crt,
                    last_name=last,
                    first_name=first,
                    profession=profession,
                    specialty=specialty,
                    rpps=_rpps(ctx) if profession in HEALTH_PROFESSIONS else "",
                    organization=organizations.get(org_kind),
                    mobile=f"06 39 98 {ctx.rng.randint(10, 99)} {ctx.rng.randint(10, 99)}",
                    mssante_email=f"{slugify(first)[0]}.{slugify(last)}@demo.mssante.fr"
                    if profession in HEALTH_PROFESSIONS
                    else "",
                )
        if key == "anjou_bleu":
            # The demo partner account is a GP of the Candé health centre.
            partner = get_user_model().objects.get(username="partner")
            Professional.objects.create(
                crt=crt,
                last_name=partner.last_name,
                first_name=partner.first_name,
                profession=P.GP,
                rpps="10100000016",
                organization=organizations[K.MSP],
                mssante_email="anne.besnard@medecin.mssante.fr",
                mobile=partner.phone,
                user=partner,
            )
    from .demo_agreements import load as load_agreements

    load_agreements(ctx)


HEALTH_PROFESSIONS = {P.GP, P.SPECIALIST, P.GERIATRICIAN, P.NURSE, P.PHYSIOTHERAPIST,
                      P.PHARMACIST}
STREETS = ["de la Mairie", "du Commerce", "Victor Hugo", "des Écoles", "de l'Église",
           "Pasteur", "du Moulin", "de la Gare", "Jean Jaurès", "des Tilleuls"]


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    crts = ctx.crts.values()
    return (f"Territoire… {Commune.objects.filter(crt__in=crts).count()} communes, "
            f"{Organization.objects.filter(crt__in=crts).count()} partenaires, "
            f"{Professional.objects.filter(crt__in=crts).count()} professionnels, "
            f"{Agreement.objects.filter(crt__in=crts).count()} conventions")
