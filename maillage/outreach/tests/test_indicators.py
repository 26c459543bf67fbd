"""T-01, people in both volets, on a scenario counted by hand, with its drill-down through the
volet 1 and volet 2 policies."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.models import AggirEvaluation
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role

from .factories import action, participation, session

H1 = Period.half_year(2025, 1)


def _at(day: date, hour: int = 14):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def world(crt_a, crt_b, users):
    """H1 2025. File active: A, B, C. A came to a prevention session (10/03) and an isolation
    one (10/04); C to an isolation session (20/05) and, after the period, to one in August; B
    was registered on 10/03 but absent; D (admitted in July) came on 10/03; a light record
    (no file) too. In CRT B, a person of its file active came to a session of CRT B."""
    people = {k: BeneficiaryFactory(crt=crt_a) for k in "ABCD"}
    enrolment(people["A"], admitted_on=date(2024, 10, 1))
    enrolment(people["B"], admitted_on=date(2025, 2, 10), ended_on=date(2025, 4, 15))
    enrolment(people["C"], admitted_on=date(2025, 1, 25))
    AggirEvaluation.objects.create(
        crt=crt_a, beneficiary=people["C"], evaluated_on=date(2025, 5, 2), gir=2, rang=3,
        evaluator=users[Role.DOCTOR], inputs={}, codes="AAAAAAAAAA", illustrative_codes="AAAAAAA")
    enrolment(people["D"], admitted_on=date(2025, 7, 1))
    prevention = action(crt_a, field="care_prevention")
    isolation = action(crt_a, field="isolation", title="Café des aînés")
    march = session(crt_a, prevention, starts_at=_at(date(2025, 3, 10)))
    participation(march, beneficiary=people["A"], status="present")
    participation(march, beneficiary=people["B"], status="absent")
    participation(march, beneficiary=people["D"], status="present")
    participation(march, status="present")
    april = session(crt_a, isolation, starts_at=_at(date(2025, 4, 10)),
                    partner_user=users[Role.PARTNER])
    participation(april, beneficiary=people["A"], status="present")
    may = session(crt_a, isolation, starts_at=_at(date(2025, 5, 20)))
    participation(may, beneficiary=people["C"], status="present")
    august = session(crt_a, isolation, starts_at=_at(date(2025, 8, 20)))
    participation(august, beneficiary=people["B"], status="present")
    other = BeneficiaryFactory(crt=crt_b)
    enrolment(other, admitted_on=date(2025, 1, 6))
    participation(session(crt_b, starts_at=_at(date(2025, 2, 3))), beneficiary=other,
                  status="present")
    return people


def _result(crt, period=H1):
    return indicators.compute(indicators.get("T-01"), crt=crt, period=period)


def test_people_in_both_volets(world, crt_a):
    r = _result(crt_a)
    assert (r.value, r.count, r.unit) == (2, 2, "personnes")  # A and C
    rows = {row.label: row.value for row in r.breakdowns[0].rows}
    assert rows["Accès aux soins et à la prévention"] == 1
    assert rows["Lutte contre l'isolement"] == 2
    assert rows["Amélioration des pratiques professionnelles"] == 0
    # A is in two fields: the rows (3) do not add up to the value (2), and say so.
    assert not r.breakdowns[0].exclusive and r.breakdowns[0].total == 3
    assert "ne s'additionnent pas" in r.breakdowns[0].note
    # A and C, born on 12/05/1938 (87 on 30/06/2025); A GIR 3 at entry, never evaluated; C
    # evaluated GIR 2 on 02/05/2025.
    ages = {row.label: row.value for row in r.breakdowns[1].rows}
    assert (ages["85 à 94 ans"], sum(ages.values())) == (2, 2)
    girs = {row.label: row.value for row in r.breakdowns[2].rows}
    assert (girs["GIR 2"], girs["GIR 3"], sum(girs.values())) == (1, 1, 2)
    assert r.breakdowns[1].exclusive and r.breakdowns[2].exclusive
    assert [(e.label, e.value, e.unit) for e in r.extras] == [
        ("Part de la file active de la période", Decimal("66.7"), "%")]  # 2 of A, B, C
    assert (r.previous_value, _result(crt_a, Period.half_year(2025, 2)).value) == (0, 0)


def test_drilldown(world, crt_a, crt_b, users, user_b):
    t01 = indicators.get("T-01")

    def drill(user, roles, crt=crt_a, **row):
        return set(indicators.drilldown(t01, crt=crt, period=H1, user=user,
                                        roles=frozenset(roles), **row))

    assert drill(users[Role.DIRECTION], {Role.DIRECTION}) == {world["A"], world["C"]}
    assert drill(users[Role.DIRECTION], {Role.DIRECTION}, breakdown="v1_field",
                 key="care_prevention") == {world["A"]}
    assert drill(users[Role.COORDINATOR], {Role.COORDINATOR}) == {world["A"], world["C"]}
    # The ARS and the DPO see no one; the partner facilitates the April session but does
    # not see the file active; the activity leader sees volet 1, not the file active.
    for role in (Role.ARS, Role.AUDITOR, Role.PARTNER, Role.ACTIVITY_LEADER, Role.NURSE):
        assert drill(users[role], {role}) == set(), role
    assert drill(user_b, set(Role), crt=crt_b) == {
        p.beneficiary for p in indicators.get("T-01").population(crt_b, H1)}
    assert _result(crt_b).value == 1


# --- V1-02, V1-04, V1-05, V1-08 ----------------------------------------------------------------


@pytest.fixture
def volet1(crt_a, crt_b, users):
    """H1 2025 in CRT A. A caregivers' café (isolation) on 10/03 and 12/05: caregiver Marie
    (helps a volet 2 person) came to both, Paul (unknown) to the first, Jeanne registered
    but absent; Paul came by taxi (18.40 €, no vehicle). Professional-practice actions: a
    training (end of life, IFSI invited) held on 20/02 and 15/06 and one planned in June, an
    awareness session held on 01/04; SAD nurse Léa came to the training twice, a liberal
    physiotherapist once, an EHPAD aide to the awareness session, whose transport by the CRT
    vehicle cost 0 €. A session of July (outside H1) and one of CRT B have people too."""
    from .factories import attendee

    cafe = action(crt_a, field="caregivers", title="Café des aidants")
    training = action(crt_a, field="practices", title="Soins palliatifs", practice_kind="training",
                      end_of_life=True, institute_ifsi=True, for_older_people=False,
                      for_professionals=True)
    awareness = action(crt_a, field="practices", title="Repérer la fragilité",
                       practice_kind="awareness", for_older_people=False,
                       for_professionals=True)
    marie = attendee(crt_a, "caregiver", last_name="Roux", first_name="Marie",
                     helps_volet2_beneficiary=True)
    paul = attendee(crt_a, "caregiver", last_name="Blanc", first_name="Paul")
    jeanne = attendee(crt_a, "caregiver", last_name="Noir", first_name="Jeanne")
    lea = attendee(crt_a, "professional", last_name="Vidal", first_name="Léa")
    kine = attendee(crt_a, "professional", last_name="Morel", first_name="Yves",
                    employer_type="liberal", organization_name="Cabinet Morel")
    aide = attendee(crt_a, "professional", last_name="Petit", first_name="Lina",
                    employer_type="other_ehpad", organization_name="EHPAD Les Tilleuls")
    march = session(crt_a, cafe, starts_at=_at(date(2025, 3, 10)), status="held")
    participation(march, marie, status="present")
    participation(march, paul, status="present", transport_mode="taxi",
                  transport_provider="Taxi Martin", transport_cost=Decimal("18.40"),
                  transport_reason="no_vehicle")
    participation(march, jeanne, status="absent")
    may = session(crt_a, cafe, starts_at=_at(date(2025, 5, 12)), status="held")
    participation(may, marie, status="present")
    february = session(crt_a, training, starts_at=_at(date(2025, 2, 20)), status="held")
    participation(february, lea, status="present")
    participation(february, kine, status="present")
    june = session(crt_a, training, starts_at=_at(date(2025, 6, 15)), status="held")
    participation(june, lea, status="present")
    planned = session(crt_a, training, starts_at=_at(date(2025, 6, 29)))  # not held
    participation(planned, lea, transport_mode="taxi", transport_provider="Taxi Martin",
                  transport_cost=Decimal("25"), transport_reason="no_vehicle")
    cancelled = session(crt_a, awareness, starts_at=_at(date(2025, 5, 20)), status="cancelled")
    participation(cancelled, aide, transport_mode="taxi", transport_provider="Taxi Martin",
                  transport_cost=Decimal("30"), transport_reason="no_vehicle")
    april = session(crt_a, awareness, starts_at=_at(date(2025, 4, 1)), status="held")
    participation(april, aide, status="present", transport_mode="crt_vehicle",
                  transport_provider="Véhicule du CRT", transport_cost=Decimal("0"),
                  transport_reason="no_public")
    july = session(crt_a, training, starts_at=_at(date(2025, 7, 3)), status="held")
    participation(july, attendee(crt_a, "professional", last_name="Tard"), status="present")
    participation(session(crt_b, action(crt_b, field="caregivers"), status="held",
                          starts_at=_at(date(2025, 3, 10))),
                  attendee(crt_b, "caregiver", last_name="Autre"), status="present")
    return {"marie": marie, "paul": paul, "lea": lea, "kine": kine, "aide": aide,
            "sessions": (february, april, june)}


def _v1(code, crt, period=H1):
    return indicators.compute(indicators.get(code), crt=crt, period=period)


def _rows(result, breakdown):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == breakdown).rows}


def test_caregivers_reached(volet1, crt_a, crt_b):
    r = _v1("V1-02", crt_a)
    assert (r.value, r.unit) == (2, "aidants")  # Marie (twice) and Paul; Jeanne was absent
    assert _rows(r, "helped_in_volet2") == {"Oui": 1, "Non": 0, "Non renseigné": 1}
    assert _rows(r, "v1_field")["Soutien des aidants"] == 2
    assert _v1("V1-02", crt_b).value == 1


def test_professional_practice_sessions(volet1, crt_a, users):
    r = _v1("V1-04", crt_a)
    assert (r.value, r.unit) == (3, "séances")  # 20/02, 01/04, 15/06 held; 29/06 planned
    assert _rows(r, "practice_kind") == {"Sensibilisation": 1, "Formation": 2,
                                         "Partage de pratiques": 0}
    assert _rows(r, "end_of_life") == {"Oui": 2, "Non": 1}
    assert _rows(r, "institutes") == {"Oui": 2, "Non": 1}
    assert _v1("V1-04", crt_a, Period.half_year(2025, 2)).value == 1  # July
    director = users[Role.DIRECTION]
    assert set(indicators.drilldown(indicators.get("V1-04"), crt=crt_a, period=H1,
                                    user=director, roles={Role.DIRECTION},
                                    breakdown="practice_kind", key="training")) == {
        volet1["sessions"][0], volet1["sessions"][2]}


def test_professionals_reached(volet1, crt_a):
    r = _v1("V1-05", crt_a)
    assert (r.value, r.unit) == (3, "professionnels")  # Léa (twice), the physio, the aide
    rows = _rows(r, "employer_type")
    assert (rows["Service à domicile (SAD)"], rows["Exercice libéral"],
            rows["Autre EHPAD"], sum(rows.values())) == (1, 1, 1, 3)
    assert [(e.value, e.unit) for e in r.extras] == [(2, "professionnels")]  # Léa, the aide


def test_actions_per_field_and_the_yearly_check(volet1, crt_a):
    r = _v1("V1-06", crt_a)
    # The café (2 sessions), the training (2 held, 1 planned), the awareness session.
    assert (r.value, r.unit) == (3, "actions")
    fields = _rows(r, "v1_field")
    assert (fields["Soutien des aidants"], fields["Amélioration des pratiques professionnelles"],
            fields["Lutte contre l'isolement"]) == (1, 2, 0)
    assert _rows(r, "anti_fall") == {"Oui": 0, "Non": 3}
    assert {e.label: e.value for e in r.extras} == {
        "Séances tenues": 5,
        "Participations (personnes présentes identifiées)": 7,
        "Participants non identifiés": 0,
        "Axes sans action (à signaler)": 3,
        "Actions de prévention des chutes (au moins une attendue)": 0,
    }
    assert _v1("V1-06", crt_a, Period.half_year(2025, 2)).value == 1  # the July training


def test_unidentified_participants_are_counted_once_per_session(volet1, crt_a):
    """Each held session's unidentified participants once, whatever its identified ones (the
    sum was multiplied by each session's participations: 369 for 31 in the demo)."""
    from maillage.outreach.models import Session

    held = Session.objects.filter(crt=crt_a, status=Session.Status.HELD,
                                  starts_at__date__lte=H1.end, starts_at__date__gte=H1.start)
    assert held.count() == 5
    held.update(anonymous_count=3)
    r = _v1("V1-06", crt_a)
    assert {e.label: e.value for e in r.extras}["Participants non identifiés"] == 15
    assert {e.label: e.value for e in r.extras}[
        "Participations (personnes présentes identifiées)"] == 7


def test_transport_provided(volet1, crt_a, users):
    """The taxis booked for the session of 29/06, still to come, and for the cancelled one of
    20/05 were not provided: not counted, nor their cost."""
    r = _v1("V1-08", crt_a)
    assert (r.value, r.unit) == (2, "participations")
    assert _rows(r, "mode")["Taxi"] == 1 and _rows(r, "mode")["Véhicule du CRT"] == 1
    assert _rows(r, "reason")["Pas de véhicule"] == 1
    assert _rows(r, "kind") == {"Personne âgée": 0, "Aidant": 1, "Professionnel": 1}
    assert [(e.label, e.value, e.unit) for e in r.extras] == [
        ("Coût total des transports", Decimal("18.40"), "€")]


def test_volet1_drilldowns_follow_the_volet1_policy(volet1, crt_a, users):
    """The activity leader and the direction see volet 1's records; the ARS, a nurse and a
    partner who facilitates none of these sessions see none of its participants or sessions
    (the actions are the whole team's)."""
    for code in ("V1-02", "V1-04", "V1-05", "V1-06", "V1-08"):
        indicator = indicators.get(code)
        value = _v1(code, crt_a).value
        # The actions themselves (V1-06) are not personal: the whole CRT team sees them.
        allowed = (Role.DIRECTION, Role.ACTIVITY_LEADER) + (
            (Role.NURSE,) if code == "V1-06" else ())
        for role in allowed:
            assert indicators.drilldown(indicator, crt=crt_a, period=H1, user=users[role],
                                        roles={role}).count() == value, (code, role)
        for role in {Role.ARS, Role.NURSE, Role.PARTNER, Role.AUDITOR} - set(allowed):
            assert not indicators.drilldown(indicator, crt=crt_a, period=H1,
                                            user=users[role], roles={role}).exists(), (
                code, role)


# --- V1-01, V1-07: older people of the territory, one per person whichever record -----------


@pytest.fixture
def older(world, crt_a, users):
    """``world`` (H1 2025): beneficiaries A (10/03 and 10/04), C (20/05), D (10/03, admitted
    in July) and an undescribed light record (10/03) came; B was absent. Added: Odile, a light
    record (woman, 75–84, résidence autonomie, GIR 4 declared), came on 10/03 and 20/05 —
    once in the count; a caregiver came on 20/05 (V1-02's, not here). The March session was
    held with 6 people not identified."""
    from maillage.outreach.models import Participation, Session

    from .factories import attendee

    march, may = (Session.objects.get(crt=crt_a, starts_at=_at(date(2025, m, d)))
                  for m, d in ((3, 10), (5, 20)))
    odile = attendee(crt_a, last_name="Martin", first_name="Odile", sex="F",
                     age_band="75_84", living_place="autonomy_residence", gir=4,
                     gir_source="declared")
    participation(march, odile, status="present")
    participation(may, odile, status="present")
    participation(may, attendee(crt_a, "caregiver", last_name="Aidant"), status="present")
    Session.objects.filter(pk=march.pk).update(status="held", anonymous_count=6)
    light = Participation.objects.get(session=march, attendee__last_name="Lemaire").attendee
    return {**world, "odile": odile, "light": light}


def test_older_people_reached(older, crt_a, crt_b):
    r = _v1("V1-01", crt_a)
    # A, C, D (beneficiaries), the undescribed light record and Odile (twice): 5 people.
    assert (r.value, r.count, r.unit) == (5, 5, "personnes")
    fields = _rows(r, "v1_field")
    # Prevention on 10/03: A, D, the light record, Odile; isolation: A (April), C and Odile
    # (May): the rows do not add up.
    assert (fields["Accès aux soins et à la prévention"], fields["Lutte contre l'isolement"]) == (
        4, 3)
    assert _rows(r, "in_volet2") == {"Oui": 2, "Non": 3}  # A and C; D came before July
    ages = _rows(r, "age_band")  # the beneficiaries born 12/05/1938: 87 on 30/06/2025
    assert (ages["85 à 94 ans"], ages["75 à 84 ans"], ages["Non renseigné"]) == (3, 1, 1)
    # The beneficiaries are women (factory), Odile too; the undescribed record says nothing.
    assert _rows(r, "sex") == {"Femme": 4, "Homme": 0, "Indéterminé": 0, "Non renseigné": 1}
    living = _rows(r, "living_place")
    assert (living["Domicile ordinaire"], living["Résidence autonomie"],
            living["Non renseigné"]) == (3, 1, 1)
    for code in ("age_band", "sex", "living_place", "commune", "in_volet2"):
        assert sum(_rows(r, code).values()) == 5, code
    assert [(e.value, e.unit) for e in r.extras] == [(6, "participants")]
    assert _v1("V1-01", crt_a, Period.half_year(2025, 2)).value == 1  # B in August
    assert _v1("V1-01", crt_b).value == 1


def test_profile_of_older_people(older, crt_a):
    r = _v1("V1-07", crt_a)
    assert r.value == 5
    # C evaluated GIR 2 on 02/05/2025; Odile declared GIR 4; A, D and the light record none.
    girs = _rows(r, "gir")
    assert (girs["GIR 2"], girs["GIR 4"], girs["Non évalué"], sum(girs.values())) == (1, 1, 3, 5)
    assert _rows(r, "gir_source") == {"Évalué (grille AGGIR, par un professionnel)": 1,
                                      "Déclaré (par la personne ou un proche)": 1,
                                      "Non évalué": 3}
    # On 31/12/2024, C's evaluation of May 2025 is not known yet.
    assert _v1("V1-07", crt_a, Period.half_year(2025, 1)).value == 5


def test_older_people_drilldown_one_record_per_person(older, crt_a, users):
    v101 = indicators.get("V1-01")

    def people(role, **row):
        found = indicators.drilldown(v101, crt=crt_a, period=H1, user=users[role],
                                     roles={role}, **row)
        names = [p.beneficiary or p.attendee for p in found.select_related(
            "beneficiary", "attendee")]
        assert len(names) == len(set(names)), "one record per person"
        return set(names)

    everyone = {older["A"], older["C"], older["D"], older["light"], older["odile"]}
    for role in (Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER):
        assert people(role) == everyone, role
    assert people(Role.DIRECTION, breakdown="v1_field", key="isolation") == {
        older["A"], older["C"], older["odile"]}
    assert people(Role.DIRECTION, breakdown="age_band", key=None) == {older["light"]}
    assert people(Role.DIRECTION, breakdown="in_volet2", key="oui") == {older["A"], older["C"]}
    # The partner facilitates the April session only: A, through that session.
    assert people(Role.PARTNER) == {older["A"]}
    for role in (Role.ARS, Role.NURSE, Role.AUDITOR):
        assert people(role) == set(), role


# --- V1-09: the sessions' questionnaires -------------------------------------------------------


@pytest.fixture
def answered(crt_a, crt_b):
    """H1 2025. The prevention workshop's session of 10/03, on the former five-point
    questionnaire: 3 codes to older people, 1 to a caregiver; answers 5, 4 and 2 (older
    people). The café's session of 20/05 (isolation), on its new four-point version: 2 codes to
    older people, answers 3 and 4 — the latter on paper without its code, respondent not
    stated. A collection of August and one of CRT B are not counted."""
    from maillage.surveys import services
    from maillage.surveys.models import Questionnaire
    from maillage.surveys.tests.factories import questionnaire

    def opened(crt, q, subject, day, field, title, codes):
        return services.collection_open(
            actor=None, crt=crt, questionnaire=q, subject_kind="outreach.session",
            subject_public_id=subject, subject_label=f"{title} — {day:%d/%m/%Y}",
            group_key=f"action-{title}", group_label=title, category_key=field,
            category_label=field, codes=codes, opened_on=day)

    def grade(collection, value, respondent=None):
        headline = collection.questionnaire.questions.order_by("position").first()
        values = {str(headline.public_id): value}
        if respondent is None:
            code = collection.codes.filter(used_at__isnull=True).order_by("id").first()
            return services.response_submit(code=code.code, values=values)
        return services.response_record_paper(actor=None, collection=collection,
                                              values=values, respondent=respondent)

    five = questionnaire(crt_a, usage=Questionnaire.Usage.SESSION, points=5)
    march = opened(crt_a, five, "s-march", date(2025, 3, 10), "care_prevention",
                   "Atelier équilibre", {"older_person": 3, "caregiver": 1})
    for value in (5, 4, 2):
        grade(march, value)
    q = services.questionnaire_duplicate(actor=None, questionnaire=five)  # on four points
    may = opened(crt_a, q, "s-may", date(2025, 5, 20), "isolation", "Café des aînés",
                 {"older_person": 2})
    grade(may, 3)
    grade(may, 4, respondent="")
    august = opened(crt_a, q, "s-aug", date(2025, 8, 20), "isolation", "Café des aînés",
                    {"older_person": 1})
    grade(august, 1)
    other = opened(crt_b, questionnaire(crt_b), "s-b", date(2025, 3, 10), "isolation",
                   "Ailleurs", 1)
    grade(other, 1)
    return {"march": march, "may": may}


def test_volet1_satisfaction(answered, crt_a):
    r = _v1("V1-09", crt_a)
    # 5 graded answers: 5, 4, 2 of five (2 satisfied), 3, 4 of four (2 satisfied): 4 of 5.
    assert (r.value, r.count, r.unit) == (Decimal("80.0"), 5, "% de satisfaits")
    assert _rows(r, "satisfied") == {
        "Satisfait ou très satisfait (3 ou 4 sur 4 ; 4 ou 5 sur 5)": 4,
        "Pas satisfait (1 ou 2 sur 4 ; 1 à 3 sur 5)": 1}
    assert _rows(r, "scale") == {"Échelle en 4 points (satisfait : 3 ou 4)": 2,
                                 "Ancienne échelle en 5 points (satisfait : 4 ou 5)": 3}
    fields = _rows(r, "v1_field")
    assert (fields["Accès aux soins et à la prévention"], fields["Lutte contre l'isolement"]) == (
        3, 2)
    assert _rows(r, "action") == {"Atelier équilibre": 3, "Café des aînés": 2}
    respondents = _rows(r, "respondent")
    assert (respondents["Personne âgée"], respondents["Aidant"],
            respondents["Non précisé"]) == (4, 0, 1)
    extras = {e.label: e.value for e in r.extras}
    # 6 codes (4 + 2); 5 responses, of which the paper one came without a code.
    assert (extras["Codes remis"], extras["Réponses reçues"]) == (6, 5)
    assert extras["Taux de réponse — personne âgée"] == Decimal("80.0")  # 4 of 5
    assert extras["Taux de réponse — aidant"] == Decimal("0.0")
    assert _v1("V1-09", crt_a, Period.half_year(2025, 2)).value == Decimal("0.0")


def test_volet1_satisfaction_drilldown(answered, crt_a, users):
    v109 = indicators.get("V1-09")
    for role, seen in ((Role.DIRECTION, 5), (Role.ACTIVITY_LEADER, 5), (Role.ARS, 0),
                       (Role.PARTNER, 0), (Role.NURSE, 0)):
        assert indicators.drilldown(v109, crt=crt_a, period=H1, user=users[role],
                                    roles={role}).count() == seen, role
    assert indicators.drilldown(v109, crt=crt_a, period=H1, user=users[Role.DIRECTION],
                                roles={Role.DIRECTION}, breakdown="v1_field",
                                key="isolation").count() == 2
