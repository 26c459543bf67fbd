"""V1-03, the telehealth acts done or accompanied by EHPAD staff, on a scenario counted by
hand, with its drill-down through the file's health rule and the territory's acts' rule."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import TelehealthAct
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.outreach.tests.factories import attendee

from .factories import telehealth_act, territory_telehealth_act

H1 = Period.half_year(2025, 1)
CARRIER, PARTNER, OTHER = (TelehealthAct.PerformerEmployer.CARRIER,
                           TelehealthAct.PerformerEmployer.PARTNER_EHPAD,
                           TelehealthAct.PerformerEmployer.OTHER)


def _at(day: date):
    return timezone.make_aware(datetime.combine(day, time(10)))


@pytest.fixture
def acts(crt_a, crt_b, users):
    """CRT A (carried by an EHPAD), H1 2025: a teleconsultation for Mme A (volet 2) by the
    carrier's staff, a tele-expertise for M. B by a partner EHPAD, a telecare for Mme A by
    other staff, a teleconsultation for Odette (volet 1) by a partner EHPAD, an act recorded
    before the employer was asked; in August an act for Odette. The nurse is in Mme A's care
    team only. CRT B has an act too."""
    crt_a.carrier_type = "ehpad"
    crt_a.save()
    a = shared_file(crt_a, users[Role.NURSE])
    b = shared_file(crt_a)
    odette = attendee(crt_a)
    made = {
        "a_carrier": telehealth_act(a, performed_at=_at(date(2025, 2, 10))),
        "b_partner": telehealth_act(b, kind="teleexpertise", performer_employer=PARTNER,
                                    performed_at=_at(date(2025, 3, 15))),
        "odette": territory_telehealth_act(odette, kind="teleconsultation",
                                           performed_at=_at(date(2025, 4, 20))),
    }
    telehealth_act(a, kind="telecare", performer_employer=OTHER,
                   performed_at=_at(date(2025, 5, 2)))
    telehealth_act(b, performer_employer="", requester="", performed_at=_at(date(2025, 6, 1)))
    territory_telehealth_act(odette, performed_at=_at(date(2025, 8, 1)))
    telehealth_act(shared_file(crt_b), performed_at=_at(date(2025, 2, 10)))
    return made


def _rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_acts_by_ehpad_staff(acts, crt_a):
    r = indicators.compute(indicators.get("V1-03"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (3, "actes")
    assert _rows(r, "kind") == {"Téléconsultation accompagnée": 2, "Téléexpertise": 1,
                                "Télésoin": 0}
    assert _rows(r, "volet") == {"Bénéficiaire du volet 2": 2,
                                 "Personne âgée du territoire (volet 1)": 1}
    assert _rows(r, "requester")["Médecin traitant"] == 2
    assert [(e.value, e.unit) for e in r.extras] == [(5, "actes")]
    assert indicators.compute(indicators.get("V1-03"), crt=crt_a,
                              period=Period.half_year(2025, 2)).value == 1


def test_a_carrier_that_is_not_an_ehpad_does_not_count_its_own_staff(acts, crt_a):
    crt_a.carrier_type = "sad"
    crt_a.save()
    r = indicators.compute(indicators.get("V1-03"), crt=crt_a, period=H1)
    assert r.value == 2  # the partner EHPAD's two acts


def test_drilldown_follows_the_health_rules(acts, crt_a, users):
    v103 = indicators.get("V1-03")

    def drill(role):
        return set(indicators.drilldown(v103, crt=crt_a, period=H1, user=users[role],
                                        roles={role}))

    # The nurse: Mme A's act (her care team) and Odette's (the territory's older people).
    assert drill(Role.NURSE) == {acts["a_carrier"], acts["odette"]}
    # The direction and the coordinator count the acts but read none; nor do the others.
    for role in (Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER, Role.ARS,
                 Role.AUDITOR, Role.ADMIN_STAFF):
        assert drill(role) == set(), role


# --- Volet 2: V2-06, V2-07, V2-12, V2-13, V2-14a ----------------------------------------------


@pytest.fixture
def volet2(crt_a, crt_b, users):
    """H1 2025, CRT A. File active: Mme A and M. B since June 2024 (6 mois-forfait each),
    Mme C admitted on 1 March on the DAC's referral (4). Mme D left in 2024.

    Baskets in force: Mme A the evening visit, the coordination visit, reinforced
    téléassistance (socle), meals (optional, 8 € per meal), SSIAD (common law, health
    insurance) and an APA plan (common law); M. B the evening visit (his SSIAD ended in
    2024); Mme C the evening visit (an old coordination visit ended in 2024); Mme D meals.
    M. B stayed in an HTSH room in April at 20 € a day. Care teams: a SSIAD for Mme A, a SAD
    for Mme C.

    Plans: Mme A v1 validated in December 2024, v2 (a review) on 5 March 2025; Mme C v1 on
    1 April; M. B a draft. Goals of Mme A's v2 due in H1: reached on 20 March; in progress;
    abandoned on 1 May; reached only on 1 August (in progress on 30 June); one due in
    September. Mme C's goal, due 15 June, not started. Coordination: three liaison notes
    and two messages in H1, one note in 2024, a 45-minute coordination visit done."""
    from decimal import Decimal

    from maillage.admissions.forfait import forfait_months_refresh
    from maillage.admissions.tests.factories import ReferralFactory, enrolment
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.care.models import BasketItem, Goal, GoalStatusChange, LiaisonNote, Message
    from maillage.lodging.tests.factories import room, stay
    from maillage.territory.tests.factories import OrganizationFactory, ProfessionalFactory
    from maillage.visits.tests.factories import visit

    from .factories import domain, message, plan_version, service

    a, b, c, d = (BeneficiaryFactory(crt=crt_a) for _ in range(4))
    enrolment(a, admitted_on=date(2024, 6, 1))
    enrolment(b, admitted_on=date(2024, 6, 1))
    enrolment(c, admitted_on=date(2025, 3, 1),
              referral=ReferralFactory(crt=crt_a, referrer_kind="dac"))
    enrolment(d, admitted_on=date(2024, 1, 6), ended_on=date(2024, 12, 31))
    forfait_months_refresh(crt=crt_a)
    suivi = domain(crt_a, code="suivi", name="Suivi renforcé", position=3)
    evening = service(crt_a, name="Passage du soir")
    coordination = service(crt_a, name="Visite de coordination", domain=suivi)
    teleassistance = service(crt_a, name="Téléassistance renforcée")
    meals = service(crt_a, name="Portage de repas", funding="beneficiary",
                    price=Decimal("8.00"), price_unit="par repas")
    ssiad = service(crt_a, name="SSIAD", funding="common_law", funder="health_insurance")
    apa = service(crt_a, name="Plan d'aide APA", funding="common_law", funder="apa")

    def basket(person, svc, start=date(2025, 1, 1), end=None):
        BasketItem.objects.create(crt=crt_a, beneficiary=person, service=svc,
                                  start_date=start, end_date=end)

    for svc in (evening, coordination, teleassistance, meals, ssiad, apa):
        basket(a, svc)
    basket(b, evening)
    basket(b, ssiad, date(2024, 6, 1), date(2024, 12, 31))
    basket(c, evening, date(2025, 3, 1))
    basket(c, coordination, date(2024, 1, 1), date(2024, 12, 31))
    basket(d, meals, date(2024, 1, 6))
    stay(crt_a, b, room_=room(crt_a, kind="partner_htsh"), planned_start=date(2025, 4, 1),
         planned_end=date(2025, 4, 8), actual_start=date(2025, 4, 1),
         actual_end=date(2025, 4, 8), status="ended", daily_charge=Decimal("20.00"))
    for person, kind in ((a, "ssiad"), (c, "sad")):
        CareTeamMember.objects.create(
            crt=crt_a, beneficiary=person, role="Infirmière",
            professional=ProfessionalFactory(
                crt=crt_a, organization=OrganizationFactory(crt=crt_a, kind=kind)),
            start_date=date(2024, 1, 1))

    def validated(person, number, day):
        return plan_version(person, status="validated", number=number,
                            validated_at=_at(day))

    validated(a, 1, date(2024, 12, 10))
    a2 = validated(a, 2, date(2025, 3, 5))
    c1 = validated(c, 1, date(2025, 4, 1))
    plan_version(b)
    nurse = users[Role.NURSE]

    def goal(version, target, status="planned", *changes):
        g = Goal.objects.create(crt=crt_a, version=version, description="Objectif",
                                target_date=target, status=status)
        for old, new, day in changes:
            GoalStatusChange.objects.create(crt=crt_a, goal=g, old_status=old,
                                            new_status=new, changed_on=day, changed_by=nurse)
        return g

    goals = {
        "reached": goal(a2, date(2025, 3, 31), "achieved",
                        ("planned", "achieved", date(2025, 3, 20))),
        "going": goal(a2, date(2025, 5, 15), "in_progress"),
        "late": goal(a2, date(2025, 4, 1), "achieved",
                     ("in_progress", "achieved", date(2025, 8, 1))),
        "c": goal(c1, date(2025, 6, 15)),
    }
    goal(a2, date(2025, 6, 1), "abandoned", ("planned", "abandoned", date(2025, 5, 1)))
    goal(a2, date(2025, 9, 1))
    for day in (date(2025, 1, 3), date(2025, 2, 3), date(2025, 6, 3), date(2024, 12, 3)):
        note = LiaisonNote.objects.create(crt=crt_a, beneficiary=a, author=nurse, text="RAS")
        LiaisonNote.objects.filter(pk=note.pk).update(created_at=_at(day))
    for day in (date(2025, 2, 4), date(2025, 5, 4)):
        Message.objects.filter(pk=message(a, nurse).pk).update(created_at=_at(day))
    visit(a, nurse, service=coordination, starts_at=_at(date(2025, 2, 12)), minutes=45,
          status="done")
    return {"people": {"a": a, "b": b, "c": c}, "versions": {a2, c1}, "goals": goals}


def _extras(result):
    return {e.label: e.value for e in result.extras}


def test_typology_and_basket(volet2, crt_a):
    r = indicators.compute(indicators.get("V2-06"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (3, "personnes")
    assert _rows(r, "domain") == {"Sécurisation de l'environnement": 3, "Suivi renforcé": 1}
    extras = _extras(r)
    assert extras["Taille médiane du panier (prestations du socle)"] == 1  # 3, 1, 1
    assert extras["Taille médiane du panier — Sécurisation de l'environnement"] == 1
    assert extras["Taille médiane du panier — Suivi renforcé"] == 0
    assert [label for label in extras if label.startswith("Panier type")] == [
        "Panier type : Passage du soir"]
    assert extras["Panier type : Passage du soir"] == 3


def test_financial_participation(volet2, crt_a):
    from decimal import Decimal

    r = indicators.compute(indicators.get("V2-07"), crt=crt_a, period=H1)
    assert r.value == 2  # Mme A (meals), M. B (the HTSH stay); not Mme D, who left
    assert _rows(r, "kind") == {"Prestation optionnelle au panier": 1,
                                "Séjour en chambre temporaire avec un reste à charge": 1}
    extras = _extras(r)
    assert extras["Part de la file active"] == Decimal("66.7")
    assert extras["Prestation optionnelle : Portage de repas — 8,00 € par repas"] == 1
    assert extras["Séjours en chambre temporaire avec un reste à charge"] == 1
    assert extras["Prestations du socle ayant un prix (contrôle : 0 attendu)"] == 0


def test_coordination(volet2, crt_a):
    from decimal import Decimal

    r = indicators.compute(indicators.get("V2-12"), crt=crt_a, period=H1)
    assert r.value == 2
    assert _rows(r, "kind") == {"Premier plan": 1, "Révision": 1}
    extras = _extras(r)
    assert extras["Transmissions du cahier de liaison"] == 3
    assert extras["Messages des fils de discussion"] == 2
    # 16 mois-forfait: 2 versions, 3 notes, 2 messages, 0.8 hour.
    assert extras["Versions de plan validées par mois-forfait"] == Decimal("0.13")
    assert extras["Transmissions par mois-forfait"] == Decimal("0.19")
    assert extras["Temps des passages réalisés du domaine « suivi renforcé » (durée prévue)"] \
        == Decimal("0.8")
    assert extras["Heures de ces passages par mois-forfait"] == Decimal("0.05")


def test_common_law(volet2, crt_a):
    from decimal import Decimal

    r = indicators.compute(indicators.get("V2-13"), crt=crt_a, period=H1)
    assert r.value == 1  # Mme A; M. B's SSIAD ended in 2024
    funders = _rows(r, "funder")
    assert funders["APA (Département)"] == 1 and funders["Assurance maladie"] == 1
    assert funders["Caisse de retraite"] == 0 and funders["Financeur non renseigné"] == 0
    partners = _rows(r, "partner_type")
    assert partners["SSIAD"] == 1 and sum(partners.values()) == 1
    extras = _extras(r)
    assert extras["Part de la file active"] == Decimal("33.3")
    assert extras["Structures partenaires dans les cercles de soins"] == 2
    assert extras["Admissions orientées par le DAC ou situation orientée par le DAC"] == 1


def test_plan_goals_reached(volet2, crt_a):
    from decimal import Decimal

    r = indicators.compute(indicators.get("V2-14a"), crt=crt_a, period=H1)
    assert r.count == 4  # due in H1, not abandoned
    assert r.value == Decimal("25.0")  # one reached on 30 June
    assert _rows(r, "status") == {"À engager": 1, "En cours": 2, "Atteint": 1,
                                  "Partiellement atteint": 0}
    assert _extras(r)["Objectifs abandonnés (échéance dans la période, comptés à part)"] == 1
    # A period with no goal due has no share.
    empty = indicators.compute(indicators.get("V2-14a"), crt=crt_a,
                               period=Period.half_year(2024, 1))
    assert empty.value is None and empty.change is None


@pytest.mark.parametrize("code", ["V2-06", "V2-07", "V2-12", "V2-13", "V2-14a"])
def test_volet2_drilldowns_follow_the_file_active_policy(volet2, crt_a, crt_b, users, user_b,
                                                         code):
    indicator = indicators.get(code)
    result = indicators.compute(indicator, crt=crt_a, period=H1)

    def drill(user, role, crt=crt_a, **row):
        return indicators.drilldown(indicator, crt=crt, period=H1, user=user, roles={role},
                                    **row)

    assert drill(users[Role.DIRECTION], Role.DIRECTION).count() == result.count
    for breakdown in result.breakdowns:
        for row in breakdown.rows:
            assert drill(users[Role.DIRECTION], Role.DIRECTION, breakdown=breakdown.code,
                         key=row.key).count() == row.value, (breakdown.code, row.label)
    for role in (Role.PARTNER, Role.ARS, Role.AUDITOR, Role.ACTIVITY_LEADER):
        assert not drill(users[role], role).exists(), role
    assert not drill(user_b, Role.DIRECTION, crt=crt_b).exists()  # another CRT's director


@pytest.mark.parametrize("code", ["V2-06", "V2-07", "V2-12", "V2-13", "V2-14a"])
def test_volet2_queries_do_not_grow_with_the_records(volet2, crt_a, code):
    """Aggregates only: three more people with baskets and plans, the same queries (V2-06
    has one median per active domain of the catalogue, not per person)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from maillage.admissions.tests.factories import enrolment
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.care.models import Goal

    from .factories import basket_item, plan_version

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            indicators.compute(indicators.get(code), crt=crt_a, period=H1)
        return len(ctx.captured_queries)

    before = queries()
    for _ in range(3):
        person = BeneficiaryFactory(crt=crt_a)
        enrolment(person, admitted_on=date(2025, 1, 6))
        basket_item(person)
        version = plan_version(person, status="validated", validated_at=_at(date(2025, 2, 1)))
        Goal.objects.create(crt=crt_a, version=version, description="Objectif",
                            target_date=date(2025, 5, 1), status="achieved")
    assert queries() == before <= 16
