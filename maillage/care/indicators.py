"""Coordination's indicators for the engine of ``maillage.core.indicators`` (INDICATORS §2):
V1-03, the telehealth acts done or accompanied by EHPAD staff; V2-06 (typology and basket),
V2-07 (financial participation), V2-12 (coordination), V2-13 (common law) and V2-14a (plan
goals reached)."""

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, StrIndex
from django.db.models.lookups import GreaterThan

from maillage.beneficiaries.models import Beneficiary
from maillage.core.formats import euros
from maillage.core.indicators import (
    Breakdown,
    Extra,
    Indicator,
    Period,
    midnight_after,
    quantiles,
    quantize,
    share_of,
)
from maillage.core.models import Crt
from maillage.territory.models import Organization

from .access import telehealth_acts_visible
from .models import (
    BasketItem,
    CarePlanVersion,
    Domain,
    Goal,
    GoalStatusChange,
    LiaisonNote,
    Message,
    Service,
    TelehealthAct,
)


def ehpad_employers(crt) -> list[str]:
    """The performers' employers that are an EHPAD: a partner EHPAD, and the carrier when it
    is one."""
    employers = [TelehealthAct.PerformerEmployer.PARTNER_EHPAD]
    if crt.carrier_type == Crt.CarrierType.EHPAD:
        employers.append(TelehealthAct.PerformerEmployer.CARRIER)
    return employers


def _acts(crt, period: Period) -> QuerySet[TelehealthAct]:
    return TelehealthAct.objects.filter(period.instants("performed_at"), crt=crt)


def by_ehpad_staff(crt, period: Period) -> QuerySet[TelehealthAct]:
    return _acts(crt, period).filter(performer_employer__in=ehpad_employers(crt))


def _all_acts(*, crt, period: Period, population) -> list[Extra]:
    return [Extra("Tous les actes de télésanté de la période (quel que soit l'employeur)",
                  _acts(crt, period).count(), "actes")]


V1_03 = Indicator(
    code="V1-03",
    name="Nombre de prestations de télésanté réalisées par un professionnel de l'EHPAD",
    definition=(
        "Actes de télésanté de la période (date de l'acte, heure de Paris) — téléconsultation "
        "accompagnée, téléexpertise, télésoin — réalisés ou accompagnés par un professionnel "
        "d'un EHPAD : la structure porteuse du CRT quand c'est un EHPAD, ou un EHPAD "
        "partenaire, pour des personnes âgées qui ne vivent pas en EHPAD (les bénéficiaires "
        "du volet 2, à domicile, et les personnes âgées du territoire). Les actes dont "
        "l'employeur n'est pas renseigné (enregistrés avant la question) ne sont pas comptés."
    ),
    unit="actes",
    population=by_ehpad_staff,
    visible=telehealth_acts_visible,
    breakdowns=(
        Breakdown("kind", "Type d'acte", lambda p: "kind", labels=dict(TelehealthAct.Kind.choices)),
        Breakdown("volet", "Personne", lambda p: Case(
            When(Q(beneficiary__isnull=False), then=Value("volet2")), default=Value("volet1")),
            labels={"volet2": "Bénéficiaire du volet 2",
                    "volet1": "Personne âgée du territoire (volet 1)"}),
        Breakdown("requester", "Demandé par", lambda p: "requester",
                  labels=dict(TelehealthAct.Requester.choices)),
    ),
    extras=_all_acts,
)



# --- Volet 2: the baskets, the plans, the coordination (INDICATORS §2.3) ----------------------
# The people counted are those of the file active of the period (V2-01a); the drill-downs go
# through the file active's policy and the identity face of the file, as V2-01 to V2-08.


def in_force(period: Period, prefix: str = "") -> Q:
    """A dated record (basket item, care-team member) in force on at least one day of the
    period."""
    return (Q(**{f"{prefix}start_date__lte": period.end})
            & (Q(**{f"{prefix}end_date__isnull": True})
               | Q(**{f"{prefix}end_date__gte": period.start})))


def _file_active(crt, period: Period):
    from maillage.admissions.indicators import file_active_people

    return file_active_people(crt, period)


def _people_visible(*, crt, user, roles):
    from maillage.admissions.indicators import file_active_people_visible

    return file_active_people_visible(crt=crt, user=user, roles=roles)


def _share(part: int, whole: int):
    return quantize(100 * part / whole, "0.1") if whole else None


def _items(crt, period: Period, funding: str) -> QuerySet[BasketItem]:
    """Basket items of ``funding`` in force in the period (for ``_has`` under a population
    already restricted to the file active: repeating that restriction inside the ``EXISTS``
    once made PostgreSQL, without statistics, plan a query of minutes)."""
    return BasketItem.objects.filter(in_force(period), crt=crt, service__funding=funding)


def _basket(crt, period: Period, funding: str) -> QuerySet[BasketItem]:
    """Basket items of ``funding`` in force in the period, of the people of the file active."""
    return _items(crt, period, funding).filter(
        beneficiary__in=_file_active(crt, period).values("pk"))


def _has(items: QuerySet) -> Exists:
    return Exists(items.filter(beneficiary=OuterRef("pk")))


# --- V2-06 typology and basket ---------------------------------------------------------------


def socle_baskets(crt, period: Period) -> QuerySet[BasketItem]:
    return _basket(crt, period, Service.Funding.FORFAIT)


def _basket_items_visible(*, crt, user, roles) -> QuerySet[BasketItem]:
    return BasketItem.objects.filter(crt=crt, beneficiary__in=_people_visible(
        crt=crt, user=user, roles=roles))


def _basket_extras(*, crt, period: Period, population) -> list[Extra]:
    """Median basket size (all socle services, then per domain, over the same baskets: a
    basket without the domain counts 0) and the « panier type »: the socle services found in
    at least half of the baskets. Each figure one or two queries."""
    people = Beneficiary.objects.filter(pk__in=population.values("beneficiary"))
    n = people.count()

    def size(**filters):
        items = population.filter(beneficiary=OuterRef("pk"), **filters).order_by() \
            .values("beneficiary").annotate(k=Count("service", distinct=True)).values("k")
        return Coalesce(Subquery(items, output_field=IntegerField()), Value(0))

    def median(expression):
        value = quantiles(people, expression, (0.5,), n=n)[0]
        return None if value is None else quantize(value, "0.1")

    extras = [Extra("Paniers (personnes de la file active ayant au moins une prestation du "
                    "socle)", n, "personnes"),
              Extra("Taille médiane du panier (prestations du socle)", median(size()),
                    "prestations", over=n)]
    for domain_id, name in Domain.objects.filter(crt=crt, is_active=True).values_list(
            "pk", "name"):
        extras.append(Extra(f"Taille médiane du panier — {name}",
                            median(size(service__domain=domain_id)), "prestations", over=n))
    common = (population.order_by().values("service__name")
              .annotate(k=Count("beneficiary", distinct=True))
              .filter(k__gte=(n + 1) // 2 if n else 1).order_by("-k", "service__name"))
    extras += [Extra(f"Panier type : {row['service__name']}", row["k"], "personnes")
               for row in common]
    return extras


V2_06 = Indicator(
    code="V2-06",
    name="Typologie des prestations — panier type par bénéficiaire",
    definition=(
        "Personnes de la file active de la période (V2-01a) ayant au moins une prestation "
        "du socle dans leur panier, en vigueur au moins un jour de la période, par domaine "
        "(une personne compte dans chaque domaine de son panier). À côté : la taille médiane "
        "du panier, en tout et par domaine (un panier sans le domaine compte 0), et le "
        "« panier type » : les prestations du socle présentes dans au moins la moitié des "
        "paniers. La nature soin / accompagnement / sécurisation n'est pas une donnée des "
        "prestations dans Maillage : la répartition par domaine en tient lieu (le domaine "
        "« sécurisation » recouvre la sécurisation du domicile). Règle Maillage."
    ),
    unit="personnes",
    population=socle_baskets,
    visible=_basket_items_visible,
    counted="beneficiary",
    breakdowns=(Breakdown("domain", "Domaine", lambda p: "service__domain__name",
                          exclusive=False),),
    extras=_basket_extras,
)


# --- V2-07 financial participation -----------------------------------------------------------


def _charged_stays(crt, period: Period):
    """Temporary-room stays with a charge for the person, taken at least one day of the
    period (in progress or ended; the actual dates, the planned departure while going on)."""
    from maillage.lodging.models import Stay

    return Stay.objects.filter(
        crt=crt, daily_charge__gt=0, status__in=(Stay.Status.IN_PROGRESS, Stay.Status.ENDED),
        actual_start__lte=period.end).filter(
        Q(actual_end__gte=period.start) | Q(actual_end__isnull=True,
                                            planned_end__gte=period.start))


def paying_people(crt, period: Period):
    optional = _items(crt, period, Service.Funding.BENEFICIARY)
    return _file_active(crt, period).filter(
        Q(_has(optional)) | Q(_has(_charged_stays(crt, period))))


def _participation_rows(period: Period):
    # The conditions do not know the CRT: the population is already of one CRT.
    from maillage.lodging.models import Stay

    optional = BasketItem.objects.filter(in_force(period),
                                         service__funding=Service.Funding.BENEFICIARY)
    stays = Stay.objects.filter(
        daily_charge__gt=0, status__in=(Stay.Status.IN_PROGRESS, Stay.Status.ENDED),
        actual_start__lte=period.end).filter(
        Q(actual_end__gte=period.start) | Q(actual_end__isnull=True,
                                            planned_end__gte=period.start))
    return {"optional": _has(optional), "stay": _has(stays)}


def _participation_extras(*, crt, period: Period, population) -> list[Extra]:
    from maillage.admissions.indicators import file_active_people

    n = population.order_by().count()
    file_active = file_active_people(crt, period).order_by().count()
    services = (_basket(crt, period, Service.Funding.BENEFICIARY).order_by()
                .values("service__name", "service__price", "service__price_unit")
                .annotate(k=Count("beneficiary", distinct=True))
                .order_by("service__name"))
    stays = _charged_stays(crt, period).order_by().aggregate(
        n=Count("pk"), people=Count("beneficiary", distinct=True))
    priced_socle = Service.objects.filter(crt=crt, funding=Service.Funding.FORFAIT,
                                          price__gt=0).count()
    extras = [Extra("Part de la file active", _share(n, file_active), "%", over=file_active,
                    part=n)]
    for row in services:
        price = row["service__price"]
        detail = ("" if price is None
                  else f" — {euros(price)} {row['service__price_unit']}".rstrip())
        extras.append(Extra(f"Prestation optionnelle : {row['service__name']}{detail}",
                            row["k"], "personnes", within=("kind", "optional")))
    extras += [
        Extra("Séjours en chambre temporaire avec un reste à charge", stays["n"], "séjours"),
        Extra("Prestations du socle ayant un prix (contrôle : 0 attendu)", priced_socle,
              "prestations", people=False),
    ]
    return extras


V2_07 = Indicator(
    code="V2-07",
    name="Existence d'une participation financière du bénéficiaire",
    definition=(
        "Personnes de la file active de la période (V2-01a) qui ont au moins une prestation "
        "optionnelle (à leur charge) dans leur panier, en vigueur au moins un jour de la "
        "période, ou un séjour en chambre temporaire avec un reste à charge pris au moins un "
        "jour de la période ; leur part dans la file active ; les prestations optionnelles "
        "et leur prix ; le contrôle que les prestations du socle sont gratuites (0 €). Les "
        "montants facturés ne sont pas calculés : Maillage n'enregistre pas les factures."
    ),
    unit="personnes",
    population=paying_people,
    visible=_people_visible,
    breakdowns=(Breakdown(
        "kind", "Participation", None, conditions=_participation_rows, exclusive=False,
        labels={"optional": "Prestation optionnelle au panier",
                "stay": "Séjour en chambre temporaire avec un reste à charge"}),),
    extras=_participation_extras,
)


# --- V2-12 coordination ----------------------------------------------------------------------


def validated_versions(crt, period: Period) -> QuerySet[CarePlanVersion]:
    """Plan versions validated in the period (date in Paris time)."""
    return CarePlanVersion.objects.filter(
        period.instants("validated_at"), crt=crt, status=CarePlanVersion.Status.VALIDATED)


def _versions_visible(*, crt, user, roles) -> QuerySet[CarePlanVersion]:
    return CarePlanVersion.objects.filter(crt=crt, plan__beneficiary__in=_people_visible(
        crt=crt, user=user, roles=roles))


def _coordination_extras(*, crt, period: Period, population) -> list[Extra]:
    from maillage.admissions.indicators import forfait_months
    from maillage.visits.models import Visit

    def created_in(model):
        return model.objects.filter(period.instants("created_at"), crt=crt).count()

    notes, messages = created_in(LiaisonNote), created_in(Message)
    months = forfait_months(crt, period).count()
    planned = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    time = Visit.objects.filter(
        period.instants("starts_at"), crt=crt, status=Visit.Status.DONE,
        service__domain__code="suivi",
    ).aggregate(t=Sum(planned))["t"]
    hours = quantize(time.total_seconds() / 3600, "0.1") if time else quantize(0, "0.1")

    def per_month(k):
        return quantize(k / months, "0.01") if months else None

    return [
        Extra("Transmissions du cahier de liaison", notes, "transmissions"),
        Extra("Messages des fils de discussion", messages, "messages"),
        Extra("Versions de plan validées par mois-forfait", per_month(population.count()),
              "versions"),
        Extra("Transmissions par mois-forfait", per_month(notes), "transmissions"),
        Extra("Messages par mois-forfait", per_month(messages), "messages"),
        Extra("Temps des passages réalisés du domaine « suivi renforcé » (durée prévue)",
              hours, "heures"),
        Extra("Heures de ces passages par mois-forfait",
              quantize(hours / months, "0.01") if months else None, "heures"),
    ]


V2_12 = Indicator(
    code="V2-12",
    name="Coordination : modalités et temps consacré",
    definition=(
        "Versions du plan personnalisé validées dans la période (premier plan ou révision) ; "
        "à côté, les transmissions du cahier de liaison et les messages des fils de "
        "discussion écrits dans la période, rapportés aux mois-forfait (V2-01c), et le temps "
        "des passages réalisés du domaine « suivi renforcé » (durée prévue des passages). Le "
        "temps de coordination passé hors des passages (réunions, appels aux partenaires) "
        "n'est pas enregistré dans Maillage : il n'est pas compté."
    ),
    unit="versions de plan validées",
    population=validated_versions,
    visible=_versions_visible,
    breakdowns=(Breakdown("kind", "Version", lambda p: Case(
        When(number=1, then=Value("first")), default=Value("review"),
        output_field=CharField()), labels={"first": "Premier plan", "review": "Révision"}),),
    extras=_coordination_extras,
)


# --- V2-13 common law ------------------------------------------------------------------------


def common_law_people(crt, period: Period):
    return _file_active(crt, period).filter(_has(_items(crt, period,
                                                        Service.Funding.COMMON_LAW)))


def _funder_rows(period: Period):
    items = BasketItem.objects.filter(in_force(period),
                                      service__funding=Service.Funding.COMMON_LAW)
    rows = {funder: _has(items.filter(service__funder=funder))
            for funder in Service.Funder.values}
    rows[""] = _has(items.filter(service__funder=""))
    return rows


def _partner_rows(period: Period):
    from maillage.beneficiaries.models import CareTeamMember

    members = CareTeamMember.objects.filter(in_force(period))
    return {kind: _has(members.filter(professional__organization__kind=kind))
            for kind in Organization.Kind.values}


def _common_law_extras(*, crt, period: Period, population) -> list[Extra]:
    from maillage.admissions.indicators import entries, file_active_people
    from maillage.admissions.models import PrioritySituation
    from maillage.beneficiaries.models import CareTeamMember

    n = population.order_by().count()
    people = file_active_people(crt, period)
    dac = entries(crt, period).filter(
        Q(referral__referrer_kind="dac") | Q(GreaterThan(StrIndex(
            Cast("referral__priority_situations", TextField()),
            Value(f'"{PrioritySituation.DAC_REFERRAL}"')), 0))).count()
    partners = CareTeamMember.objects.filter(
        in_force(period), crt=crt, beneficiary__in=people.values("pk"),
        professional__organization__isnull=False,
    ).aggregate(k=Count("professional__organization", distinct=True))["k"]
    file_active = people.order_by().count()
    return [
        Extra("Part de la file active", _share(n, file_active), "%", over=file_active, part=n),
        Extra("Structures partenaires dans les cercles de soins", partners, "structures"),
        Extra("Admissions orientées par le DAC ou situation orientée par le DAC", dac,
              "admissions"),
    ]


V2_13 = Indicator(
    code="V2-13",
    name="Articulation avec le droit commun",
    definition=(
        "Personnes de la file active de la période (V2-01a) ayant au moins une prestation de "
        "droit commun (SAD, SSIAD, IDEL, HAD, plan d'aide APA…) dans leur panier, en vigueur "
        "au moins un jour de la période, par financeur, et par type des structures "
        "partenaires de leur cercle de soins (membres en fonction au moins un jour de la "
        "période). À côté : leur part dans la file active, le nombre de structures "
        "partenaires dans les cercles de soins de la file active et les admissions de la "
        "période orientées par le DAC (orienteur DAC ou situation prioritaire « orientée par "
        "le DAC »). Les orientations de la file active vers le DAC ne sont pas enregistrées."
    ),
    unit="personnes",
    population=common_law_people,
    visible=_people_visible,
    breakdowns=(
        Breakdown("funder", "Financeur", None, conditions=_funder_rows, exclusive=False,
                  labels={**dict(Service.Funder.choices), "": "Financeur non renseigné"}),
        Breakdown("partner_type", "Type de structure partenaire du cercle de soins", None,
                  conditions=_partner_rows, exclusive=False,
                  labels=dict(Organization.Kind.choices)),
    ),
    extras=_common_law_extras,
)


# --- V2-14a goals reached --------------------------------------------------------------------


def _version_in_force_at(day) -> Subquery:
    """The plan's version in force on ``day``: its latest version validated on or before it."""
    return Subquery(CarePlanVersion.objects.filter(
        plan=OuterRef("version__plan"), status=CarePlanVersion.Status.VALIDATED,
        validated_at__lt=midnight_after(day)).order_by("-number").values("pk")[:1])


def status_on(day):
    """A goal's status on ``day``, from its history: the last change dated on or before it;
    failing that the status before its first later change; failing that its status."""
    before = GoalStatusChange.objects.filter(goal=OuterRef("pk"), changed_on__lte=day) \
        .order_by("-changed_on", "-changed_at", "-pk").values("new_status")[:1]
    after = GoalStatusChange.objects.filter(goal=OuterRef("pk"), changed_on__gt=day) \
        .order_by("changed_on", "changed_at", "pk").values("old_status")[:1]
    return Coalesce(Subquery(before), Subquery(after), F("status"), output_field=CharField())


def _goals_of_the_period(crt, period: Period) -> QuerySet[Goal]:
    return Goal.objects.filter(
        crt=crt, target_date__gte=period.start, target_date__lte=period.end,
        version=_version_in_force_at(period.end)).alias(status_at_end=status_on(period.end))


def goals_due(crt, period: Period) -> QuerySet[Goal]:
    return _goals_of_the_period(crt, period).exclude(status_at_end=Goal.Status.ABANDONED)


def _goals_visible(*, crt, user, roles) -> QuerySet[Goal]:
    return Goal.objects.filter(crt=crt, version__plan__beneficiary__in=_people_visible(
        crt=crt, user=user, roles=roles))


def goals_reached(*, crt, period: Period) -> int:
    """``numerator`` of V2-14a: the goals due that were reached."""
    return goals_due(crt, period).filter(status_at_end=Goal.Status.ACHIEVED).count()


def _goal_extras(*, crt, period: Period, population) -> list[Extra]:
    abandoned = _goals_of_the_period(crt, period).filter(
        status_at_end=Goal.Status.ABANDONED).count()
    return [Extra("Objectifs abandonnés (échéance dans la période, comptés à part)",
                  abandoned, "objectifs")]


V2_14A = Indicator(
    code="V2-14a",
    name="Satisfaction du service rendu — objectifs du plan atteints",
    definition=(
        "Objectifs atteints ÷ objectifs échus, en pourcentage. Objectifs échus : ceux du "
        "plan personnalisé en vigueur le dernier jour de la période (la dernière version "
        "validée au plus tard ce jour-là) dont l'échéance tombe dans la période ; leur état "
        "est celui de ce jour-là, lu dans l'historique des états. Un objectif partiellement "
        "atteint n'est pas atteint ; les objectifs abandonnés sont comptés à part, hors du "
        "dénominateur. Règle Maillage. Les objectifs ne sont pas rattachés à un domaine : pas "
        "de ventilation par domaine."
    ),
    unit="% des objectifs échus",
    # A share: the region's is not the sum of its CRTs'.
    additive=False,
    population=goals_due,
    visible=_goals_visible,
    breakdowns=(Breakdown(
        "status", "État le dernier jour de la période", lambda p: F("status_at_end"),
        labels={k: v for k, v in Goal.Status.choices if k != Goal.Status.ABANDONED}),),
    numerator=goals_reached,
    compute=share_of(goals_reached),
    extras=_goal_extras,
)

INDICATORS = [V1_03, V2_06, V2_07, V2_12, V2_13, V2_14A]
