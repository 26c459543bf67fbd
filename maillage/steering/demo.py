"""Demo budget of the first CRT: its allocations of last year (prorated, opened during it) and
this year, the account mapping of its carrier, a FEC of the carrier's accounting for the last
twelve closed months (imported through the service, one social-charges account left unmapped
and reported) and the typed expenses the FEC does not carry (partner staff, téléassistance);
at the very end (``finish``), its activity reports."""

from datetime import date
from decimal import Decimal

from maillage.admissions.periods import add_months
from maillage.care.models import Domain
from maillage.core.demo import DemoContext, keep_dates
from maillage.core.models import Membership
from maillage.core.roles import Role

from . import services
from .models import ActivityReport, Allocation, Expense, FecImport, Nature, Volet, prorata
from .sample import MAPPINGS, sample_fec

D = Decimal


def _director(crt):
    return Membership.objects.filter(crt=crt, is_active=True,
                                     roles__role=Role.DIRECTION).select_related(
        "user").first().user


def load(ctx: DemoContext) -> None:
    crt = next(iter(ctx.crts.values()))
    director = _director(crt)
    domains = {d.code: d for d in Domain.objects.filter(crt=crt)}
    today = ctx.today
    with ctx.at(crt.opened_on):
        for prefix, label, nature, volet, domain in MAPPINGS:
            services.mapping_create(actor=director, crt=crt, prefix=prefix, label=label,
                                    nature=nature, volet=volet, domain=domains.get(domain))
    for year in (today.year - 1, today.year):
        check = prorata(crt.annual_allocation, crt.opened_on, year)
        notified = crt.annual_allocation if check is None else \
            (check / 1000).quantize(D("1")) * 1000  # the ARS rounds to the thousand
        if crt.opened_on and crt.opened_on.year > year:
            continue
        volet2 = (notified * D("0.81")).quantize(D("1"))
        with ctx.at(max(date(year, 1, 15), crt.opened_on or date(year, 1, 15))):
            services.allocation_create(
                actor=director, crt=crt, year=year, notified_amount=notified,
                notified_on=max(date(year, 1, 10), crt.opened_on or date(year, 1, 10)),
                volet1_planned=notified - volet2, volet2_planned=volet2,
                starter_amount=D("15000.00") if year == today.year else D("0"))
    first = max(crt.opened_on or today, add_months(today.replace(day=1), -12)).replace(day=1)
    months, month = [], first
    while month < today.replace(day=1):
        months.append((month.year, month.month))
        month = add_months(month, 1)
    if months:
        content = sample_fec(months)
        with ctx.at(today.replace(day=1)):
            services.fec_import(actor=director, crt=crt, file_name=f"FEC-{crt.finess}-"
                                f"{months[-1][0]}{months[-1][1]:02d}.txt", content=content)
    typed = []
    # The closed months, and this month's first days (this year has costs from 1 January on).
    for year, month in months + [(today.year, today.month)]:
        day = min(date(year, month, 3), today)
        typed += [
            Expense(crt=crt, created_by=director, updated_by=director, spent_on=day,
                    label=f"Médecin coordonnateur mis à disposition — {month:02d}/{year}",
                    amount=D("1850.00"), nature=Nature.STAFF_MEDICAL, volet=Volet.VOLET2,
                    domain=domains.get("suivi"), created_at=ctx.day_at(day),
                    updated_at=ctx.day_at(day)),
            Expense(crt=crt, created_by=director, updated_by=director, spent_on=day,
                    label=f"Téléassistance renforcée — {month:02d}/{year}",
                    amount=D("312.00"), nature=Nature.TELEASSISTANCE, volet=Volet.VOLET2,
                    domain=domains.get("securite"), created_at=ctx.day_at(day),
                    updated_at=ctx.day_at(day)),
        ]
    # Starter credits (F-06): the telehealth kit and the coordination software, this year.
    for n, (month, label, amount, nature) in enumerate((
            (2, "Tablettes et objets connectés de télésanté", D("6480.00"),
             Nature.DIGITAL_EQUIPMENT),
            (3, "Licence du logiciel de coordination (1re année)", D("3900.00"),
             Nature.SOFTWARE))):
        day = date(today.year, month, 12 + n)
        if (today.year, month) in months:
            typed.append(Expense(
                crt=crt, created_by=director, updated_by=director, spent_on=day, label=label,
                amount=amount, nature=nature, volet=Volet.VOLET2, on_starter_credits=True,
                created_at=ctx.day_at(day), updated_at=ctx.day_at(day)))
    with keep_dates(Expense):
        Expense.objects.bulk_create(typed)


def finish(ctx: DemoContext) -> str:
    """The activity reports, once every app's demo and past are in: their snapshots compute
    every indicator, and a draft must read as the indicator pages do (made here, before the
    visits, file active and plans of the past, they showed half the figures until « Recalculer
    les chiffres »)."""
    crt = next(iter(ctx.crts.values()))
    _reports(ctx, crt, _director(crt))
    return (f"Rapports d'activité… "
            f"{ActivityReport.objects.filter(crt__in=ctx.crts.values()).count()} rapports")


DEMO_TEXTS = {
    "difficulties": (
        "Le recrutement d'un·e infirmier·ère de nuit a pris quatre mois ; l'astreinte a été "
        "assurée dans l'intervalle avec l'EHPAD partenaire. La montée en charge de la file "
        "active a suivi le calendrier prévu."),
    "outlook": ("Ouvrir une deuxième séance mensuelle de prévention des chutes et signer la "
                "convention avec le second service à domicile du territoire."),
    "budget": ("Dotation consommée conformément à la prévision ; les crédits d'amorçage "
               "financent l'équipement de télésanté."),
}


def _reports(ctx: DemoContext, crt, director) -> None:
    """The CRT uses both templates: every closed period since the opening has its report
    submitted (half-year reviews a fortnight after the closing, the annual report early
    April), so the last closed half-year's review is the latest one sent; this year's annual
    report is in draft (figures of today)."""
    from datetime import timedelta

    from django.db import connection

    from . import report_services, reports
    from .models import ReportKind, ReportSettings

    if connection.vendor == "postgresql":
        # The snapshots compute every indicator over tables just filled in bulk: without
        # statistics PostgreSQL takes them for empty and nests loops over the baskets and the
        # file active for minutes (seen at demo ×4).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    today = ctx.today
    settings = ReportSettings.objects.create(crt=crt, annual=True, half_year=True,
                                             half_year_due_days=30, created_by=director,
                                             updated_by=director)
    for due in reports.expected_reports(crt, settings, set(), today):
        sent = min(due.end + timedelta(days=15 if due.kind == ReportKind.HALF_YEAR else 100),
                   today)
        with ctx.at(sent):
            report = report_services.report_create(actor=director, crt=crt, kind=due.kind,
                                                   year=due.year, half=due.half, today=sent)
            report_services.report_narratives_update(
                actor=director, report=report, version=report.version, narratives={
                    k: v for k, v in DEMO_TEXTS.items()
                    if k in {n.key for n in reports.narratives_for(due.kind)}})
            # Their PDFs are made by their first download, not at every demo load.
            report_services.report_submit(actor=director, report=report,
                                          version=report.version, today=sent, make_pdf=False)
    with ctx.at(today):
        annual = report_services.report_create(actor=director, crt=crt,
                                               kind=ReportKind.ANNUAL, year=today.year,
                                               today=today)
        report_services.report_narratives_update(
            actor=director, report=annual, version=annual.version,
            narratives={"organisational_model": (
                "Modèle intégré : l'EHPAD porteur assure la coordination, l'astreinte et les "
                "passages de sécurisation ; les soins d'hygiène restent au SSIAD partenaire."),
                "difficulties": DEMO_TEXTS["difficulties"]})


def summary(ctx: DemoContext) -> str:
    crts = list(ctx.crts.values())
    expenses = Expense.objects.filter(crt__in=crts)
    return (f"Budget… {Allocation.objects.filter(crt__in=crts).count()} dotations, "
            f"{expenses.count()} dépenses, {FecImport.objects.filter(crt__in=crts).count()} "
            "import FEC")
