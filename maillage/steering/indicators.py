"""The finance indicators (INDICATORS §2.4, §4.3) of the budget: F-01 the allocation and what is
spent, F-03 the share running / investment of volet 2, F-04 the cost per domain, F-05 the
analytic account volet × nature, F-06 the starter credits. (F-02, the forfait's value, is the
file active's: ``admissions.indicators``; its comparison with the volet 2 expenses comes from
``volet2_spent`` below.)

Each is an **amount**: its population is the expenses behind it (``Expense``, dated in the
period), counted as records for the drill-down (``expenses_visible``: ``budget.view``), its
value the sum of their amounts (``compute``) and each breakdown row's amount the sum of its
rows (``summed``). A credit note (negative amount) is an expense like the others."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat

from maillage.core.indicators import Breakdown, Extra, Indicator, Period, money, quantize

from .access import expenses_visible
from .models import (
    INVESTMENT_NATURES,
    OUTSIDE_FORFAIT_NATURES,
    Allocation,
    Expense,
    Nature,
    Volet,
    prorata,
)

#: Staff natures whose volet 2 cost, when not tagged with a domain, F-04 spreads by visit
#: minutes (the project lead is mutualised outside the forfait, 001 §IV.2.7).
SPREAD_STAFF = frozenset({Nature.STAFF_COORDINATION, Nature.STAFF_MEDICAL, Nature.STAFF_CARE,
                          Nature.STAFF_OTHER})

RUNNING, INVESTMENT = "running", "investment"
KIND_LABELS = {RUNNING: "Fonctionnement", INVESTMENT: "Investissement"}


def expenses_in(crt, period: Period) -> QuerySet[Expense]:
    return Expense.objects.filter(crt=crt, spent_on__gte=period.start,
                                  spent_on__lte=period.end)


def amount_sum(population):
    """``compute``: the sum of the population's amounts (one aggregate)."""
    def compute(*, crt, period: Period, count: int) -> Decimal:
        return total(population(crt, period))
    return compute


def total(rows) -> Decimal:
    return money(rows.order_by().aggregate(total=Sum("amount"))["total"])


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return quantize(100 * part / whole, "0.1") if whole else None


def _kind(period: Period = None) -> Case:
    return Case(When(nature__in=INVESTMENT_NATURES, then=Value(INVESTMENT)),
                default=Value(RUNNING), output_field=CharField())


VOLET_BREAKDOWN = Breakdown("volet", "Volet", lambda p: "volet", labels=dict(Volet.choices))
NATURE_BREAKDOWN = Breakdown("nature", "Nature", lambda p: "nature", labels=dict(Nature.choices))
KIND_BREAKDOWN = Breakdown("kind", "Fonctionnement / investissement", _kind, labels=KIND_LABELS,
                           note="Classement de 001 §IV.2.7 (la formation est un investissement).")
DOMAIN_BREAKDOWN = Breakdown("domain", "Domaine du volet 2", lambda p: "domain__name",
                             missing="Sans domaine")


def Fact(label: str, value, unit: str = "") -> Extra:  # noqa: N802 (reads like Extra)
    """An extra figure about the CRT itself (an amount, an FTE key): not about people, so the
    small-cell rule leaves it alone (INDICATORS §5, rule 6)."""
    return Extra(label, value, unit, people=False)


def amount_indicator(**fields) -> Indicator:
    """An amount of the CRT's budget: its rows count expenses, not people (INDICATORS §5,
    rule 6: amounts about the CRT are shown to the ARS)."""
    population = fields["population"]
    return Indicator(visible=expenses_visible, counted="pk", summed="amount", people=False,
                     **{"compute": amount_sum(population), "unit": "€", **fields})


# --- F-01 the allocation and what is spent ---------------------------------------------------


def _years(period: Period) -> list[int]:
    return list(range(period.start.year, period.end.year + 1))


def _allocation_figures(*, crt, period: Period, population) -> list[Extra]:
    """The allocations of the years the period touches, their planned split, and what remains
    at the end of the period (received less the expenses from 1 January of the first year to
    the period's end)."""
    years = _years(period)
    got = Allocation.objects.filter(crt=crt, year__in=years).aggregate(
        n=Count("pk"), notified=Sum("notified_amount"), starter=Sum("starter_amount"),
        earmarked=Sum("earmarked_amount"), volet1=Sum("volet1_planned"),
        volet2=Sum("volet2_planned"))
    received = money(got["notified"]) + money(got["starter"]) + money(got["earmarked"])
    spent = total(expenses_in(crt, Period.custom(date(years[0], 1, 1), period.end)))
    by_volet = {row["volet"]: money(row["total"]) for row in population.order_by()
                .values("volet").annotate(total=Sum("amount"))}
    spent_here = sum(by_volet.values(), Decimal(0))
    rows = [
        Fact(f"Dotations enregistrées ({', '.join(map(str, years))})", got["n"], "dotations"),
        Fact("Montant notifié", money(got["notified"]), "€"),
        Fact("Crédits d'amorçage", money(got["starter"]), "€"),
        Fact("Autres crédits fléchés", money(got["earmarked"]), "€"),
        Fact("Total reçu", received, "€"),
        Fact("Répartition prévue — volet 1", money(got["volet1"]), "€"),
        Fact("Répartition prévue — volet 2", money(got["volet2"]), "€"),
        Fact("Répartition réelle — volet 1 (part des dépenses)",
              _share(by_volet.get(Volet.VOLET1, Decimal(0)), spent_here), "%"),
        Fact("Répartition réelle — volet 2 (part des dépenses)",
              _share(by_volet.get(Volet.VOLET2, Decimal(0)), spent_here), "%"),
        Fact("Répartition réelle — commun aux deux volets (part des dépenses)",
              _share(by_volet.get(Volet.SHARED, Decimal(0)), spent_here), "%"),
        Fact(f"Dépensé du 01/01/{years[0]} au {period.end:%d/%m/%Y}", spent, "€"),
        Fact(f"Reste au {period.end:%d/%m/%Y}", received - spent if got["n"] else None, "€"),
    ]
    check = prorata(crt.annual_allocation, crt.opened_on, period.start.year)
    if check is not None:
        rows.append(Fact(f"Contrôle : prorata aux jours de la dotation annuelle "
                          f"({period.start.year}, ouverture le {crt.opened_on:%d/%m/%Y})",
                          check, "€"))
    return rows


F_01 = amount_indicator(
    code="F-01",
    name="Dotation annuelle et répartition volet 1 / volet 2",
    # The value is what was spent; the allocation is among the extras. « € » alone under
    # this name read as the allocation (QA).
    unit="€ dépensés",
    definition=(
        "Dépenses du CRT dont la date tombe dans la période (toutes natures, tous volets, "
        "saisies ou importées du FEC ; un avoir compte en négatif), par volet et par ligne "
        "de financement. À côté : la dotation des années que la période touche telle que "
        "notifiée par l'ARS (saisie, proratisée la première année ; le prorata aux jours "
        "n'est qu'un contrôle), les crédits d'amorçage et les autres crédits fléchés, la "
        "répartition prévue et la répartition réelle entre les volets, et le reste : le "
        "total reçu moins les dépenses du 1er janvier de la première année à la fin de la "
        "période. Règle Maillage."),
    population=expenses_in,
    breakdowns=(
        VOLET_BREAKDOWN,
        Breakdown("funding", "Ligne de financement", lambda p: Case(
            When(on_starter_credits=True, then=Value("starter")), default=Value("allocation"),
            output_field=CharField()),
            labels={"allocation": "Dotation et crédits fléchés",
                    "starter": "Crédits d'amorçage"}),
    ),
    extras=_allocation_figures,
)


# --- F-03 running / investment of volet 2 ----------------------------------------------------


def volet2_in_forfait(crt, period: Period) -> QuerySet[Expense]:
    """Volet 2 expenses of the period, without the natures mutualised outside the forfait
    (project lead, premises and vehicles: 001 §IV.2.7)."""
    return expenses_in(crt, period).filter(volet=Volet.VOLET2).exclude(
        nature__in=OUTSIDE_FORFAIT_NATURES)


def _running_share(*, crt, period: Period, count: int) -> Decimal | None:
    figures = _kinds(volet2_in_forfait(crt, period))
    return _share(figures[RUNNING], figures[RUNNING] + figures[INVESTMENT])


def _kinds(rows) -> dict[str, Decimal]:
    found = {row["kind"]: money(row["total"]) for row in rows.order_by()
             .annotate(kind=_kind()).values("kind").annotate(total=Sum("amount"))}
    return {RUNNING: found.get(RUNNING, money(0)), INVESTMENT: found.get(INVESTMENT, money(0))}


def _kind_figures(*, crt, period: Period, population) -> list[Extra]:
    figures = _kinds(population)
    whole = figures[RUNNING] + figures[INVESTMENT]
    return [
        Fact("Dépenses de fonctionnement du volet 2", figures[RUNNING], "€"),
        Fact("Dépenses d'investissement du volet 2", figures[INVESTMENT], "€"),
        Fact("Total des dépenses du volet 2 dans le forfait", whole, "€"),
        Fact("Part d'investissement", _share(figures[INVESTMENT], whole), "%"),
    ]


F_03 = Indicator(
    code="F-03",
    name="Part du forfait consacrée aux frais de fonctionnement / investissement",
    definition=(
        "Dépenses du volet 2 de la période de nature « fonctionnement » divisées par toutes "
        "les dépenses du volet 2 de la période, en % (la part d'investissement à côté). "
        "Natures d'investissement : logiciels et licences, équipement numérique et "
        "télésanté, aménagement et équipement des locaux, formation et ingénierie de projet "
        "(001 §IV.2.7 range la formation dans l'investissement) ; les autres sont du "
        "fonctionnement. La direction / chef de projet, les locaux et les véhicules, "
        "mutualisés hors forfait (001 §IV.2.7), sont laissés de côté, ainsi que les "
        "dépenses communes aux deux volets."),
    unit="% de fonctionnement",
    population=volet2_in_forfait,
    visible=expenses_visible,
    summed="amount",
    breakdowns=(KIND_BREAKDOWN, NATURE_BREAKDOWN),
    compute=_running_share,
    extras=_kind_figures,
    people=False,
    additive=False,
)


# --- F-04 cost per domain --------------------------------------------------------------------


def _spread(period: Period = None) -> Case:
    return Case(
        When(domain__isnull=False, then=Value("direct")),
        When(nature__in=SPREAD_STAFF, then=Value("staff")),
        default=Value("unassigned"), output_field=CharField())


SPREAD_LABELS = {
    "direct": "Dépense directe d'un domaine",
    "staff": "Personnel, réparti au prorata des minutes de passage",
    "unassigned": "Non réparti (ni domaine, ni personnel)",
}


def visit_minutes(crt, period: Period) -> dict[str, Decimal]:
    """Minutes of the visits done in the period by the CRT's team, per domain name (the
    service's): actual arrival to departure when traced, else the planned slot. One grouped
    query."""
    from maillage.visits.models import Visit

    length = ExpressionWrapper(
        Coalesce("actual_end", "ends_at") - Coalesce("actual_start", "starts_at"),
        output_field=DurationField())
    rows = (Visit.objects.filter(period.instants("starts_at"), crt=crt,
                                 status=Visit.Status.DONE, staff__isnull=False,
                                 service__domain__isnull=False)
            .order_by().values("service__domain__name").annotate(length=Sum(length)))
    return {row["service__domain__name"]: Decimal(int(row["length"].total_seconds())) / 60
            for row in rows if row["length"]}


def _domain_costs(*, crt, period: Period, population) -> list[Extra]:
    from maillage.admissions.indicators import forfait_months

    direct = {row["domain__name"]: money(row["total"]) for row in population.order_by()
              .filter(domain__isnull=False).values("domain__name").annotate(total=Sum("amount"))}
    staff = total(population.filter(domain__isnull=True, nature__in=SPREAD_STAFF))
    unassigned = total(population.filter(domain__isnull=True).exclude(nature__in=SPREAD_STAFF))
    minutes = visit_minutes(crt, period)
    all_minutes = sum(minutes.values(), Decimal(0))
    months = forfait_months(crt, period).count()
    rows = [Extra("Mois-forfait de la période", months, "mois-forfait")]
    for name in sorted(set(direct) | set(minutes)):
        spread = staff * minutes.get(name, 0) / all_minutes if all_minutes else Decimal(0)
        cost = money(direct.get(name, Decimal(0)) + spread)
        rows += [
            Fact(f"{name} — minutes de passage de l'équipe", quantize(minutes.get(name, 0),
                                                                       "1"), "minutes"),
            Fact(f"{name} — coût (dépenses directes + personnel réparti)", cost, "€"),
            Extra(f"{name} — coût par mois-forfait", money(cost / months) if months else None,
                  "€"),
        ]
    rows += [
        Fact("Personnel à répartir", staff, "€"),
        Fact("Personnel non réparti (aucun passage de l'équipe dans la période)",
              staff if not all_minutes else money(0), "€"),
        Fact("Non réparti (dépenses sans domaine hors personnel)", unassigned, "€"),
    ]
    return rows


F_04 = amount_indicator(
    code="F-04",
    name="Détail du coût des prestations complémentaires dans les 4 domaines du volet 2",
    definition=(
        "Dépenses du volet 2 de la période (hors direction, locaux et véhicules, mutualisés "
        "hors forfait) ; pour chaque domaine, le coût = ses dépenses directes (la dépense "
        "porte le domaine) + la part du personnel du volet 2 sans domaine (coordination, "
        "médecin, soignants, autres personnels) répartie au prorata des minutes des passages "
        "réalisés par l'équipe du CRT dans la période (arrivée à départ tracés, sinon le "
        "créneau prévu ; le domaine est celui de la prestation du passage) ; et ce coût par "
        "mois-forfait de la période. Règle Maillage : les passages des partenaires ne "
        "portent pas la clé (leur coût est une dépense de sous-traitance) ; ce qui n'a ni "
        "domaine ni nature de personnel reste « non réparti »."),
    population=volet2_in_forfait,
    breakdowns=(
        DOMAIN_BREAKDOWN,
        Breakdown("spread", "Imputation", _spread, labels=SPREAD_LABELS),
    ),
    extras=_domain_costs,
)


# --- F-05 the analytic account ---------------------------------------------------------------


def _volet_nature(period: Period = None):
    return Concat(F("volet"), Value(" · "), F("nature"), output_field=CharField())


VOLET_NATURE_LABELS = {f"{v} · {n}": f"{v_label} — {n_label}"
                       for v, v_label in Volet.choices for n, n_label in Nature.choices}


def _fte_key(crt, period: Period) -> tuple[Decimal, Decimal]:
    """FTE of volet 1 and of volet 2 over the period (T-02's rule)."""
    from maillage.organisation.indicators import fte_over, held_positions

    positions = held_positions(crt, period)
    return (fte_over(positions, "fte_volet1", period),
            fte_over(positions, "fte_volet2", period))


def _shared_spread(*, crt, period: Period, population) -> list[Extra]:
    by_volet = {row["volet"]: money(row["total"]) for row in population.order_by()
                .values("volet").annotate(total=Sum("amount"))}
    shared = by_volet.get(Volet.SHARED, money(0))
    fte1, fte2 = _fte_key(crt, period)
    rows = [Fact("ETP du volet 1 (clé de répartition)", fte1, "ETP"),
            Fact("ETP du volet 2 (clé de répartition)", fte2, "ETP")]
    if fte1 + fte2:
        to1 = money(shared * fte1 / (fte1 + fte2))
        to2, left = shared - to1, money(0)
    else:
        to1 = to2 = money(0)
        left = shared
    return rows + [
        Fact("Dépenses communes réparties au volet 1", to1, "€"),
        Fact("Dépenses communes réparties au volet 2", to2, "€"),
        Fact("Dépenses communes non réparties (aucun ETP de volet dans la période)", left,
              "€"),
        Fact("Volet 1 après répartition", by_volet.get(Volet.VOLET1, money(0)) + to1, "€"),
        Fact("Volet 2 après répartition", by_volet.get(Volet.VOLET2, money(0)) + to2, "€"),
    ]


F_05 = amount_indicator(
    code="F-05",
    name="Dépenses par nature et par volet (comptabilité analytique)",
    definition=(
        "Toutes les dépenses du CRT de la période avec leurs axes analytiques : volet × "
        "nature, domaine, fonctionnement / investissement (INDICATORS §4.3). La ligne "
        "« Commun aux deux volets » reste visible telle quelle ; à côté, les dépenses "
        "communes sont réparties entre les volets au prorata des ETP du volet 1 et du volet 2 "
        "de la période (règle de T-02 ; l'ETP de coordination n'entre pas dans la clé) ; "
        "sans ETP de volet, elles restent « non réparties ». Règle Maillage."),
    population=expenses_in,
    breakdowns=(
        Breakdown("volet_nature", "Volet × nature", _volet_nature, labels=VOLET_NATURE_LABELS),
        VOLET_BREAKDOWN,
        NATURE_BREAKDOWN,
        DOMAIN_BREAKDOWN,
        KIND_BREAKDOWN,
    ),
    extras=_shared_spread,
)


# --- F-06 starter credits --------------------------------------------------------------------


def starter_expenses(crt, period: Period) -> QuerySet[Expense]:
    return expenses_in(crt, period).filter(on_starter_credits=True)


def _starter_figures(*, crt, period: Period, population) -> list[Extra]:
    years = _years(period)
    received = money(Allocation.objects.filter(crt=crt, year__in=years).aggregate(
        total=Sum("starter_amount"))["total"])
    spent = total(starter_expenses(crt, Period.custom(date(years[0], 1, 1), period.end)))
    return [
        Fact(f"Crédits d'amorçage reçus ({', '.join(map(str, years))})", received, "€"),
        Fact(f"Dépensé sur ces crédits du 01/01/{years[0]} au {period.end:%d/%m/%Y}", spent,
              "€"),
        Fact(f"Reste au {period.end:%d/%m/%Y}", received - spent, "€"),
    ]


F_06 = amount_indicator(
    code="F-06",
    name="Utilisation des crédits d'amorçage (« crédits starter »)",
    definition=(
        "Dépenses de la période payées sur les crédits d'amorçage (cochées comme telles), "
        "par nature ; à côté, les crédits d'amorçage reçus (saisis avec la dotation de "
        "l'année, 002 §14, Modalités 4) et le reste : reçu moins dépensé du 1er janvier de "
        "la première année à la fin de la période."),
    population=starter_expenses,
    breakdowns=(NATURE_BREAKDOWN, VOLET_BREAKDOWN),
    extras=_starter_figures,
)


# --- F-02's comparison (declared by admissions) ----------------------------------------------


def volet2_spent(crt, period: Period) -> Decimal:
    """The volet 2 expenses of the period (all natures): F-02 compares the forfait with them."""
    return total(expenses_in(crt, period).filter(volet=Volet.VOLET2))


INDICATORS = [F_01, F_03, F_04, F_05, F_06]
