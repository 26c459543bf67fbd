"""The visits' indicators for the engine of ``maillage.core.indicators`` (INDICATORS §2.3):
V2-05, the prestations réalisées per domain and per beneficiary, and V2-09, the organisational
model measured by who does the socle prestations (CRT team or partners).

A prestation réalisée (INDICATORS §1) is a visit marked done whose service is a socle service
(``Service.funding = forfait``), plus the on-call call-outs, the temporary-room stays and the
telehealth acts: those three have their own records and indicators (V2-11, V2-17, V1-03) and
are shown here beside the visits, not drilled down with them.
"""

from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from maillage.admissions.indicators import (
    file_active_people,
    file_active_people_visible,
    forfait_months,
)
from maillage.core.indicators import (
    Breakdown,
    Extra,
    Indicator,
    Period,
    quantiles,
    quantize,
    share_of,
)

from .models import Place, Visit
from .selectors import visible_visits


def socle_visits_done(crt, period: Period) -> QuerySet[Visit]:
    """Visits marked done, of a socle service, whose planned start falls in the period
    (date in Paris time)."""
    return Visit.objects.filter(
        period.instants("starts_at"), crt=crt, status=Visit.Status.DONE,
        service__funding="forfait")


def _visits_visible(*, crt, user, roles) -> QuerySet[Visit]:
    """The visits the viewer may see (the planning face of the file), of the people of the
    file active they may see: the file active's policy (``enrolment.view``) too, so a partner
    who sees a person's planning under consent still drills down to no steering figure."""
    return visible_visits(crt=crt, user=user, roles=roles).filter(
        beneficiary__in=file_active_people_visible(crt=crt, user=user, roles=roles))


BY_CRT, BY_PARTNER = "crt", "partner"
ACTOR_LABELS = {BY_CRT: "Équipe du CRT", BY_PARTNER: "Professionnel partenaire"}


def _actor(period: Period) -> Case:
    return Case(When(staff__isnull=False, then=Value(BY_CRT)),
                When(professional__isnull=False, then=Value(BY_PARTNER)),
                default=Value(""), output_field=CharField())


DOMAIN = Breakdown("domain", "Domaine", lambda p: "service__domain__name")
ACTOR = Breakdown("actor", "Réalisé par", _actor, labels=ACTOR_LABELS,
                  missing="Intervenant non renseigné")


def _per_person(crt, period: Period):
    """The people of the file active, each with the count of their socle visits done in the
    period (0 for none): one subquery per person, by the database."""
    done = socle_visits_done(crt, period).filter(beneficiary=OuterRef("pk")).order_by() \
        .values("beneficiary").annotate(n=Count("pk")).values("n")
    return file_active_people(crt, period), Coalesce(Subquery(done, output_field=IntegerField()),
                                                     Value(0))


def _other_prestations(crt, period: Period) -> dict[str, int]:
    """The prestations réalisées that are not visits, each one aggregate: on-call call-outs
    about a beneficiary, temporary-room stays of beneficiaries begun in the period (not
    cancelled nor merely planned), telehealth acts for beneficiaries."""
    from maillage.care.models import TelehealthAct
    from maillage.lodging.models import Stay
    from maillage.oncall.models import Call

    return {
        "call_outs": Call.objects.filter(
            period.instants("received_at"), crt=crt, call_out=True,
            beneficiary__isnull=False).count(),
        "stays": Stay.objects.filter(
            crt=crt, beneficiary__isnull=False,
            status__in=(Stay.Status.IN_PROGRESS, Stay.Status.ENDED),
            actual_start__gte=period.start, actual_start__lte=period.end).count(),
        "telehealth": TelehealthAct.objects.filter(
            period.instants("performed_at"), crt=crt, beneficiary__isnull=False).count(),
    }


def _ratio(numerator: int, denominator: int):
    return quantize(numerator / denominator, "0.1") if denominator else None


def _prestations_extras(*, crt, period: Period, population) -> list[Extra]:
    visits = population.order_by().count()
    others = _other_prestations(crt, period)
    total = visits + sum(others.values())
    people, per_person = _per_person(crt, period)
    n_people = people.order_by().count()
    months = forfait_months(crt, period).count()
    median, p90 = quantiles(people, per_person, (0.5, 0.9), n=n_people)
    line = "prestations"  # the total adds the passages (the value) and the three below
    return [
        Extra("Déplacements de l'astreinte (levées de doute, domaine sécurisation)",
              others["call_outs"], "déplacements", line=line),
        Extra("Séjours en chambre temporaire commencés (domaine crise et aidants)",
              others["stays"], "séjours", line=line),
        Extra("Actes de télésanté des bénéficiaires (domaine suivi)", others["telehealth"],
              "actes", line=line),
        Extra("Total des prestations réalisées (passages et prestations ci-dessus)", total,
              "prestations", line=line, whole=True),
        Extra("Prestations réalisées par personne de la file active", _ratio(total, n_people),
              "prestations", over=n_people, line=line, whole=True),
        Extra("Prestations réalisées par mois-forfait", _ratio(total, months), "prestations",
              line=line, whole=True),
        Extra("Passages réalisés par personne — médiane", None if median is None
              else quantize(median, "0.1"), "passages", over=n_people),
        Extra("Passages réalisés par personne — 90e centile", p90, "passages", over=n_people),
    ]


V2_05 = Indicator(
    code="V2-05",
    name="Nombre de prestations réalisées par domaine et par bénéficiaire",
    definition=(
        "Passages tracés « réalisé » dont la prestation est une prestation du socle (financée "
        "par le forfait), dont le début prévu tombe dans la période (heure de Paris), par "
        "domaine de la prestation, par intervenant (équipe du CRT ou professionnel "
        "partenaire) et par lieu. À côté : les autres prestations réalisées (INDICATORS §1) — "
        "déplacements de l'astreinte pour un bénéficiaire, séjours en chambre temporaire "
        "commencés, actes de télésanté des bénéficiaires — et leur total, rapporté aux "
        "personnes de la file active de la période (V2-01a) et aux mois-forfait (V2-01c). "
        "Médiane et 90e centile des passages réalisés par personne de la file active (une "
        "personne sans passage compte 0 ; 90e centile : la valeur de rang ⌈0,9 × n⌉). Règle "
        "Maillage. Les prestations optionnelles et de droit commun sont comptées à part "
        "(V2-07, V2-13)."
    ),
    unit="passages réalisés",
    population=socle_visits_done,
    visible=_visits_visible,
    breakdowns=(
        DOMAIN,
        ACTOR,
        Breakdown("place", "Lieu", lambda p: "place", labels=dict(Place.choices)),
    ),
    extras=_prestations_extras,
)


# --- V2-09 the organisational model ----------------------------------------------------------


def by_the_team(*, crt, period: Period) -> int:
    """``numerator`` of V2-09: the socle visits done by the CRT team (one aggregate)."""
    return socle_visits_done(crt, period).filter(staff__isnull=False).order_by().count()


def _model_extras(*, crt, period: Period, population) -> list[Extra]:
    figures = population.order_by().aggregate(
        n=Count("pk"),
        team=Count("pk", filter=Q(staff__isnull=False)),
        partners=Count("pk", filter=Q(professional__isnull=False)))
    n = figures["n"]
    return [
        Extra(f"Modèle déclaré : {crt.get_organisational_model_display()}", None),
        Extra("Passages du socle réalisés par l'équipe du CRT", figures["team"], "passages",
              over=n, part=figures["team"]),
        Extra("Passages du socle réalisés par des partenaires", figures["partners"],
              "passages", over=n, part=figures["partners"]),
    ]


V2_09 = Indicator(
    code="V2-09",
    name="Modèle organisationnel (intégré ou coordonné)",
    definition=(
        "Le modèle déclaré par le CRT (intégré ou partenarial) et l'intégration mesurée : la "
        "part des passages du socle réalisés dans la période (ceux de V2-05) qui l'ont été "
        "par un membre de l'équipe du CRT plutôt que par un professionnel partenaire, en "
        "pourcentage, par domaine. Règle Maillage : l'intervenant est celui du passage "
        "(membre de l'équipe ou professionnel de l'annuaire) ; les déplacements de "
        "l'astreinte, séjours et actes de télésanté n'y sont pas comptés."
    ),
    unit="% réalisés par l'équipe du CRT",
    # A share: the region's is not the sum of its CRTs'.
    additive=False,
    population=socle_visits_done,
    visible=_visits_visible,
    breakdowns=(ACTOR, DOMAIN),
    numerator=by_the_team,
    # No visit: no share (« — »), not « 0 % by the team » of nothing.
    compute=share_of(by_the_team),
    extras=_model_extras,
)

INDICATORS = [V2_05, V2_09]
