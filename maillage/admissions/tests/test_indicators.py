"""The volet 2 indicators of the file active (V2-01a/b/c, V2-02, V2-03, V2-08) on a small
scenario whose answers are counted by hand below, with the previous period and the drill-down
through the access policies."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.models import Suspension
from maillage.beneficiaries.models import AggirEvaluation
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.core.tests.factories import UserFactory
from maillage.territory.tests.factories import CommuneFactory

from .factories import ReferralFactory, enrolment

H1 = Period.half_year(2025, 1)


def _evaluation(beneficiary, day, gir):
    return AggirEvaluation.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, evaluated_on=day, evaluator=UserFactory(),
        inputs={}, codes="AAAAAAAAAA", illustrative_codes="AAAAAAA", rang=5, gir=gir)


@pytest.fixture
def world(crt_a, crt_b):
    """People of CRT A (H1 2025 is the period; H2 2024 the previous one):

    - A (F, born 12/05/1938, lives alone): admitted 01/10/2024, open; away from 01/03 to
      01/04/2025 (March does not count); GIR 3 at entry, evaluated GIR 2 on 01/03/2025 and
      GIR 1 on 01/08/2025 (after the period).
    - B (M, born 01/06/1950, couple): 10/02/2025 → 15/04/2025 (death), referred by a hospital
      on hospital discharge (received on 20/01/2025 at 23:30, Paris time: 21 days before;
      priority: hospital return and isolation), GIR 4 at entry; 74 on his exit day.
    - C (F, born 01/01/1930): 01/11/2024 → 20/01/2025 (wishes to leave), re-admitted on
      25/01/2025 (GIR 2 at entry, no referral), open: two stays in January.
    - D: admitted 01/07/2025 (after the period).
    - E: 01/06/2024 → 31/08/2024; G: 01/03/2024 → 15/07/2024 (previous period only).
    - I (M, born 03/01/1945, alone): 10/01/2024 → 05/01/2025, no exit reason; GIR 4 at entry,
      evaluated GIR 3 on 06/01/2025, the day after his exit.
    - a person of CRT B admitted in the period.
    """
    commune = CommuneFactory(crt=crt_a, name="Segré", insee_code="49331")
    people = {}

    def person(key, **fields):
        fields.setdefault("commune", commune)
        people[key] = BeneficiaryFactory(crt=crt_a, **fields)
        return people[key]

    a = person("A", sex="F", birth_date=date(1938, 5, 12), living_situation="alone")
    ea = enrolment(a, admitted_on=date(2024, 10, 1), gir_at_entry=3)
    Suspension.objects.create(crt=crt_a, enrolment=ea, kind="hospitalisation",
                              start_date=date(2025, 3, 1), end_date=date(2025, 4, 1),
                              reason="—")
    _evaluation(a, date(2025, 3, 1), 2)
    _evaluation(a, date(2025, 8, 1), 1)

    b = person("B", sex="M", birth_date=date(1950, 6, 1), living_situation="couple",
               commune=CommuneFactory(crt=crt_a, name="Candé", insee_code="49054"))
    referral = ReferralFactory(crt=crt_a, referrer_kind="hospital", hospital_discharge=True,
                               received_at=timezone.make_aware(datetime(2025, 1, 20, 23, 30)),
                               priority_situations=["hospital_return", "isolation"])
    enrolment(b, referral=referral, admitted_on=date(2025, 2, 10), gir_at_entry=4,
              ended_on=date(2025, 4, 15), exit_reason="death")

    c = person("C", sex="F", birth_date=date(1930, 1, 1))
    enrolment(c, admitted_on=date(2024, 11, 1), gir_at_entry=3, ended_on=date(2025, 1, 20),
              exit_reason="wishes_to_leave")
    enrolment(c, admitted_on=date(2025, 1, 25), gir_at_entry=2)

    enrolment(person("D"), admitted_on=date(2025, 7, 1))
    enrolment(person("E"), admitted_on=date(2024, 6, 1), ended_on=date(2024, 8, 31),
              exit_reason="moved")
    enrolment(person("G"), admitted_on=date(2024, 3, 1), ended_on=date(2024, 7, 15),
              exit_reason="institution")

    i = person("I", sex="M", birth_date=date(1945, 1, 3), living_situation="alone",
               commune=CommuneFactory(crt=crt_a, name="Pouancé", insee_code="49248"))
    enrolment(i, admitted_on=date(2024, 1, 10), gir_at_entry=4, ended_on=date(2025, 1, 5))
    _evaluation(i, date(2025, 1, 6), 3)

    enrolment(BeneficiaryFactory(crt=crt_b), admitted_on=date(2025, 3, 1))
    forfait_months_refresh(crt=crt_a)
    forfait_months_refresh(crt=crt_b)
    return people


def _result(code, crt, period=H1):
    return indicators.compute(indicators.get(code), crt=crt, period=period)


def _rows(result, breakdown):
    return {r.label: r.value for r in next(
        b for b in result.breakdowns if b.code == breakdown).rows}


def _drill(code, crt, user, roles, period=H1, **row):
    return indicators.drilldown(indicators.get(code), crt=crt, period=period, user=user,
                                roles=frozenset(roles), **row)


def test_file_active_over_the_period(world, crt_a, users):
    r = _result("V2-01a", crt_a)
    # A, B, C (twice admitted, once counted), I (until 05/01).
    assert (r.value, r.count, r.unit) == (4, 4, "personnes")
    # H2 2024: A, C, E, G, I.
    assert (r.previous_period, r.previous_value, r.change) == (Period.half_year(2024, 2), 5, -1)
    assert _rows(r, "age_band") == {"Moins de 60 ans": 0, "60 à 74 ans": 1, "75 à 84 ans": 1,
                                    "85 à 94 ans": 1, "95 ans et plus": 1}
    assert _rows(r, "sex") == {"Femme": 2, "Homme": 2, "Indéterminé": 0}
    # A: evaluated GIR 2 on 01/03 (the August one comes after); C: GIR 2 at her latest entry;
    # B: GIR 4 at entry; I: GIR 4 at entry (his evaluation is dated the day after his exit).
    assert _rows(r, "gir") == {"GIR 1": 0, "GIR 2": 2, "GIR 3": 0, "GIR 4": 2, "GIR 5": 0,
                               "GIR 6": 0, "Non évalué": 0}
    assert _rows(r, "commune") == {"Candé (49054)": 1, "Pouancé (49248)": 1, "Segré (49331)": 2}
    director = users[Role.DIRECTION]
    names = set(_drill("V2-01a", crt_a, director, {Role.DIRECTION}).values_list(
        "birth_name", flat=True))
    assert names == {world[k].birth_name for k in "ABCI"}
    assert list(_drill("V2-01a", crt_a, director, {Role.DIRECTION}, breakdown="age_band",
                       key="60_74")) == [world["B"]]


def test_file_active_on_the_last_day(world, crt_a):
    r = _result("V2-01b", crt_a)
    assert (r.value, r.previous_value) == (2, 3)  # A and C on 30/06/2025; A, C, I on 31/12/2024
    assert _rows(r, "gir")["GIR 2"] == 2


def test_average_monthly_file_active(world, crt_a, users):
    r = _result("V2-01c", crt_a)
    # January A, C (two stays: once), I; February A, B, C; March B, C (A away all month);
    # April A, B, C; May and June A, C: 15 mois-forfait over 6 months.
    assert _rows(r, "month") == {"janvier 2025": 3, "février 2025": 3, "mars 2025": 2,
                                 "avril 2025": 3, "mai 2025": 2, "juin 2025": 2}
    assert (r.count, r.value) == (15, Decimal("2.50"))
    assert {e.label: e.value for e in r.extras} == {
        "Mois de la période pris en compte": 6, "Cible de file active du CRT": 30,
        "Minimum attendu (001 §IV.2.1)": 30}
    # H2 2024: A 3, C 2, E 2, G 1, I 6 = 14 over 6 months.
    assert r.previous_value == Decimal("2.33")
    assert _drill("V2-01c", crt_a, users[Role.DIRECTION], {Role.DIRECTION}).count() == 15
    assert _drill("V2-01c", crt_a, users[Role.DIRECTION], {Role.DIRECTION},
                  breakdown="month", key=date(2025, 3, 1)).count() == 2


@pytest.fixture
def exits(crt_a, crt_b):
    """H1 2025: P1 in hospital 10/01 → 15/01 (5 days) and in the temporary room 01/03 →
    20/03 (19 days), and an earlier hospitalisation from 20/12/2024; P2 in hospital since
    01/02, not back (149 days at 30/06: more than 3 months); P3 on holiday 20/06 → 10/07 (10
    days within H1). CRT B: one exit."""
    def away(person, kind, start, end=None):
        return Suspension.objects.create(crt=person.crt, enrolment=person.enrolments.get(),
                                         kind=kind, start_date=start, end_date=end, reason="—")

    p1, p2, p3 = (BeneficiaryFactory(crt=crt_a) for _ in range(3))
    for p in (p1, p2, p3):
        enrolment(p, admitted_on=date(2024, 6, 1))
    away(p1, "hospitalisation", date(2024, 12, 20), date(2025, 1, 5))
    made = [away(p1, "hospitalisation", date(2025, 1, 10), date(2025, 1, 15)),
            away(p1, "temporary_room", date(2025, 3, 1), date(2025, 3, 20)),
            away(p2, "hospitalisation", date(2025, 2, 1)),
            away(p3, "holidays", date(2025, 6, 20), date(2025, 7, 10))]
    other = BeneficiaryFactory(crt=crt_b)
    enrolment(other, admitted_on=date(2024, 6, 1))
    away(other, "holidays", date(2025, 5, 1), date(2025, 5, 8))
    return made


def test_temporary_exits(exits, crt_a, crt_b, users):
    r = _result("V2-04", crt_a)
    assert (r.value, r.unit) == (4, "sorties temporaires")
    kinds = _rows(r, "kind")
    assert (kinds["Hospitalisation"], kinds["Vacances"], sum(kinds.values())) == (2, 1, 4)
    assert _rows(r, "length") == {"7 jours ou moins": 1, "8 à 30 jours": 2,
                                  "31 à 90 jours": 0, "Plus de 90 jours": 1}
    assert _rows(r, "ongoing") == {"Oui": 2, "Non": 2}
    assert {e.label: e.value for e in r.extras} == {
        "Personnes concernées": 3,
        "Jours d'absence (arrêtés à la fin de la période)": 5 + 19 + 149 + 10,
        "Hospitalisations de plus de 3 mois (sortie définitive à proposer)": 1,
    }
    assert r.previous_value == 1  # H2 2024: the hospitalisation of 20/12
    assert _result("V2-04", crt_b).value == 1
    assert set(_drill("V2-04", crt_a, users[Role.DIRECTION], {Role.DIRECTION},
                      breakdown="length", key="le30")) == {exits[1], exits[3]}


def test_forfait_value(world, crt_a):
    """F-02: the same 15 mois-forfait (V2-01c), at 900 € each, against the envelope of a CRT
    whose target is 30 people over the 6 months."""
    r = _result("F-02", crt_a)
    assert (r.count, r.value, r.unit) == (15, Decimal("13500.00"), "€")
    assert _rows(r, "month")["mars 2025"] == 2
    # No expense recorded: the forfait earned is all left (the budget's own scenario is in
    # steering/tests/test_indicators.py).
    assert [(e.value, e.unit) for e in r.extras] == [
        (15, "mois-forfait"), (Decimal("162000.00"), "€"), (Decimal("0.00"), "€"),
        (Decimal("13500.00"), "€")]
    assert r.previous_value == Decimal("12600.00")  # H2 2024: 14 mois-forfait


def test_entries(world, crt_a, users):
    r = _result("V2-02", crt_a)
    assert (r.value, r.unit, r.previous_value) == (2, "admissions", 2)  # B, C again; A, C
    assert _rows(r, "readmission") == {"Oui": 1, "Non": 1}
    assert _rows(r, "hospital_discharge") == {"Oui": 1, "Non": 1}
    assert _rows(r, "gir") == {"GIR 1": 0, "GIR 2": 1, "GIR 3": 0, "GIR 4": 1, "GIR 5": 0,
                               "GIR 6": 0}
    referrers = _rows(r, "referrer_kind")
    assert (referrers["Établissement de santé"], referrers["Sans demande enregistrée"],
            referrers["Médecin traitant"]) == (1, 1, 0)
    again = _drill("V2-02", crt_a, users[Role.DIRECTION], {Role.DIRECTION},
                   breakdown="readmission", key="oui")
    assert [e.beneficiary for e in again] == [world["C"]]
    none = _drill("V2-02", crt_a, users[Role.DIRECTION], {Role.DIRECTION},
                  breakdown="referrer_kind", key=None)
    assert [e.admitted_on for e in none] == [date(2025, 1, 25)]
    assert _rows(r, "priority") == {
        "Retour d'hospitalisation": 1, "Logement inadapté": 0,
        "Absence d'aidant à proximité": 0, "Isolement de la personne": 1,
        "Situation orientée par le DAC": 0,
        "Aucune situation prioritaire (ou sans demande)": 1}
    isolated = _drill("V2-02", crt_a, users[Role.DIRECTION], {Role.DIRECTION},
                      breakdown="priority", key="isolation")
    assert [e.beneficiary for e in isolated] == [world["B"]]
    assert {e.label: e.value for e in r.extras} == {
        "Admissions précédées d'une demande enregistrée": 1,
        "Délai moyen de la demande à l'admission": 21,
        "Délai médian de la demande à l'admission": 21,
    }


def test_definitive_exits(world, crt_a):
    r = _result("V2-03", crt_a)
    assert (r.value, r.previous_value) == (3, 2)  # I, C, B; E and G
    reasons = _rows(r, "exit_reason")
    assert (reasons["Décès"], reasons["La personne souhaite quitter le dispositif"],
            reasons["Motif non renseigné"], reasons["Entrée en EHPAD ou en USLD"]) == (1, 1, 1, 0)
    assert sum(reasons.values()) == 3
    # I: his evaluation (GIR 3) is dated the day after his exit: GIR 4 at entry; C: GIR 3 at
    # entry of the stay that ended; B: GIR 4 at entry.
    gir = _rows(r, "gir")
    assert (gir["GIR 3"], gir["GIR 4"], sum(gir.values())) == (1, 2, 3)
    # Lengths: I 361 days, C 80, B 64.
    assert {e.label: e.value for e in r.extras} == {
        "Durée moyenne d'accompagnement": Decimal("168.3"),
        "Durée médiane d'accompagnement": Decimal("80.0")}


def test_no_exit_no_length(crt_a):
    r = _result("V2-03", crt_a)
    assert r.value == 0
    assert [e.value for e in r.extras] == [None, None]


def test_profile_of_the_file_active(world, crt_a):
    r = _result("V2-08", crt_a)
    assert r.value == 4
    assert _rows(r, "living_situation") == {
        "Vit seul·e": 2, "Vit en couple": 1, "Vit avec un proche (enfant, fratrie…)": 0,
        "Autre": 0, "Non renseignée": 1}
    assert "historique" in next(b for b in r.breakdowns if b.code == "commune").note
    for breakdown in r.breakdowns:
        assert breakdown.exclusive and breakdown.total == 4, breakdown.code


@pytest.mark.parametrize("code", ["V2-01a", "V2-01b", "V2-01c", "V2-02", "V2-03", "V2-04",
                                  "V2-08", "F-02"])
def test_drilldown_follows_the_policies(world, crt_a, crt_b, users, user_b, code):
    """The direction sees every record counted; the ARS, a partner and the activity leader
    (no ``enrolment.view``) none; another CRT's user sees their own CRT only."""
    result = _result(code, crt_a)
    assert _drill(code, crt_a, users[Role.DIRECTION], {Role.DIRECTION}).count() == result.count
    assert result.count > 0
    for role in (Role.ARS, Role.PARTNER, Role.ACTIVITY_LEADER):
        assert not _drill(code, crt_a, users[role], {role}).exists(), role
    assert not _drill(code, crt_b, user_b, set(Role)).filter(crt=crt_a).exists()


def test_another_crt_counts_its_own(world, crt_b):
    assert _result("V2-01a", crt_b).value == 1
    assert _result("V2-02", crt_b).value == 1
