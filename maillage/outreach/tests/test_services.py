"""The rules of volet 1's services: flags and audiences, training institutes, no double funding,
places, sessions in the past only when recorded, duplicates, capacity, attendance, the GIR and
its source, volet 2 caregivers, transport and its rule; the yearly check and the map's
selector."""

from datetime import timedelta
from decimal import Decimal

import pytest

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, CaregiverFactory
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.outreach import merge, selectors, services
from maillage.outreach.models import Attendee, Participation, Session, SupportAction
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory

from .factories import action, at, attendee, participation, session


@pytest.fixture
def leader(users):
    return users["activity_leader"]


@pytest.fixture
def commune(crt_a):
    return CommuneFactory(crt=crt_a, name="Segré", insee_code="49331")


def make_action(leader, crt, place, **fields):
    values = {"title": "Atelier équilibre", "field": "care_prevention", "anti_fall": True,
              "for_older_people": True, "commune": place}
    return services.action_create(actor=leader, crt=crt, **{**values, **fields})


class TestActions:
    def test_create_is_audited(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune)
        assert a.status == SupportAction.Status.PLANNED
        assert AuditEvent.objects.filter(action="support_action.created",
                                         object_id=str(a.public_id)).exists()

    @pytest.mark.parametrize("fields, field, message", [
        ({"field": "isolation", "anti_fall": True}, "anti_fall", "prévention des chutes"),
        ({"end_of_life": True, "anti_fall": False}, "end_of_life", "fin de vie"),
        ({"for_older_people": False}, "for_older_people", "au moins un public"),
        ({"commune": None}, "commune", "commune"),
        ({"is_remote": True}, "commune", "à distance"),
        ({"co_funder": "Conférence des financeurs"}, "co_funder", "budget propre"),
        ({"funding": "co_funded"}, "co_funder", "autre financeur"),
        ({"funding": "co_funded", "co_funder": "CARSAT"}, "co_funding_amount", "montant"),
        ({"funding": "co_funded", "co_funder": "CARSAT", "co_funding_amount": Decimal("500")},
         "total_cost", "coût total"),
        ({"funding": "co_funded", "co_funder": "CARSAT", "co_funding_amount": Decimal("900"),
          "total_cost": Decimal("800")}, "co_funding_amount", "Double financement"),
        ({"institute_ifsi": True}, "training_institutes", "instituts de formation"),
    ])
    def test_bad_actions_are_refused_in_french(self, leader, crt_a, commune, fields, field,
                                               message):
        with pytest.raises(DomainError) as error:
            make_action(leader, crt_a, commune, **fields)
        assert error.value.field == field
        assert message in error.value.message
        assert not SupportAction.objects.exists()

    def test_training_institutes_of_a_practices_action(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune, field="practices", anti_fall=False,
                        for_older_people=False, for_professionals=True,
                        practice_kind="training", institute_ifas=True, institute_medicine=True)
        a.refresh_from_db()
        assert a.training_institutes == ["ifas", "medicine"]
        assert a.training_institute_labels == ["IFAS (aides-soignants)",
                                               "Faculté de médecine / internes"]
        with pytest.raises(DomainError) as error:  # the field changed, the institutes stayed
            services.action_update(actor=leader, action=a, version=a.version,
                                   field="isolation", practice_kind="")
        assert error.value.field == "training_institutes"

    def test_co_funding_leaves_the_crt_the_remainder(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune, funding="co_funded", co_funder="CARSAT",
                        co_funding_amount=Decimal("300.00"), total_cost=Decimal("1000.00"))
        assert a.crt_share == Decimal("700.00")

    def test_update_is_versioned(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune)
        services.action_update(actor=leader, action=a, version=1, title="Atelier équilibre 2")
        stale = SupportAction.objects.get(pk=a.pk)
        stale.version = 1
        with pytest.raises(DomainError) as error:
            services.action_update(actor=leader, action=stale, version=1, title="Autre")
        assert error.value.code == "conflict"
        assert SupportAction.objects.get(pk=a.pk).title == "Atelier équilibre 2"

    def test_partners_of_another_crt_are_refused(self, leader, crt_a, crt_b, commune):
        from maillage.territory.tests.factories import OrganizationFactory

        with pytest.raises(DomainError):
            make_action(leader, crt_a, commune, partners=[OrganizationFactory(crt=crt_b)])
        assert not SupportAction.objects.exists()


class TestSessions:
    def test_place_defaults_to_the_action_and_facilitators(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune, address="Salle des fêtes")
        pro = ProfessionalFactory(crt=crt_a)
        s = services.session_create(actor=leader, action=a, starts_at=at(3),
                                    ends_at=at(3, 16), facilitators=[leader],
                                    partner_facilitators=[pro])
        assert (s.commune, s.address, s.status) == (commune, "Salle des fêtes", "planned")
        assert list(s.partner_facilitators.all()) == [pro]
        a.refresh_from_db()
        assert a.status == SupportAction.Status.ACTIVE

    def test_end_before_start_is_refused(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune)
        with pytest.raises(DomainError) as error:
            services.session_create(actor=leader, action=a, starts_at=at(3, 16),
                                    ends_at=at(3, 14))
        assert error.value.field == "ends_at"
        assert "après son début" in error.value.message

    def test_past_only_when_recording_a_held_session(self, leader, crt_a, commune):
        a = make_action(leader, crt_a, commune)
        with pytest.raises(DomainError) as error:
            services.session_create(actor=leader, action=a, starts_at=at(-3),
                                    ends_at=at(-3, 16))
        assert "déjà tenue" in error.value.message
        s = services.session_create(actor=leader, action=a, starts_at=at(-3),
                                    ends_at=at(-3, 16), record_held=True, anonymous_count=4)
        assert (s.status, s.recorded_after, s.anonymous_count) == ("held", True, 4)
        with pytest.raises(DomainError) as error:  # recorded but still to come
            services.session_create(actor=leader, action=a, starts_at=at(2), ends_at=at(2, 16),
                                    record_held=True)
        assert error.value.field == "ends_at"

    def test_a_facilitator_must_be_a_team_member(self, leader, crt_a, commune, users):
        a = make_action(leader, crt_a, commune)
        with pytest.raises(DomainError) as error:
            services.session_create(actor=leader, action=a, starts_at=at(3),
                                    ends_at=at(3, 16), facilitators=[users["partner"]])
        assert error.value.field == "facilitators"
        assert not Session.objects.exists()


class TestRegistrations:
    def test_beneficiary_link_is_audited_on_the_file(self, leader, crt_a):
        s = session(crt_a)
        b = BeneficiaryFactory(crt=crt_a)
        p = services.participation_register(actor=leader, session=s, beneficiary=b)
        assert (p.kind, p.status) == ("older_person", "registered")
        event = AuditEvent.objects.get(action="participation.beneficiary_linked")
        assert event.beneficiary_public_id == b.public_id

    def test_duplicate_is_refused_in_french_and_cancelled_is_taken_up(self, leader, crt_a):
        s = session(crt_a)
        person = attendee(crt_a, last_name="Hamon", first_name="Jeanne")
        p = services.participation_register(actor=leader, session=s, attendee=person)
        with pytest.raises(DomainError) as error:
            services.participation_register(actor=leader, session=s, attendee=person)
        assert error.value.message == "HAMON Jeanne est déjà inscrit·e à cette séance."
        services.attendance_record(actor=leader, session=s, version=s.version,
                                   statuses={p: Participation.Status.CANCELLED})
        again = services.participation_register(actor=leader, session=s, attendee=person)
        assert again.pk == p.pk and again.status == "registered"
        assert Participation.objects.count() == 1

    def test_capacity_and_cancelled_session(self, leader, crt_a):
        s = session(crt_a, capacity=1)
        services.participation_register(actor=leader, session=s, attendee=attendee(crt_a))
        with pytest.raises(DomainError) as error:
            services.participation_register(actor=leader, session=s,
                                            attendee=attendee(crt_a, last_name="Autre"))
        assert "complète (1 places)" in error.value.message or "complète" in error.value.message
        cancelled = session(crt_a, status=Session.Status.CANCELLED)
        with pytest.raises(DomainError):
            services.participation_register(actor=leader, session=cancelled,
                                            attendee=attendee(crt_a, last_name="Trois"))

    def test_a_group_registers_whole_or_not_at_all(self, leader, crt_a):
        s = session(crt_a, capacity=4)
        b = BeneficiaryFactory(crt=crt_a)
        helper = services.attendee_for_caregiver(
            actor=leader, crt=crt_a, caregiver=CaregiverFactory(crt=crt_a, beneficiary=b))
        first = attendee(crt_a, last_name="Hamon", first_name="Jeanne")
        group = services.participations_register(actor=leader, session=s,
                                                 people=[first, b, helper])
        assert [(p.kind, p.status) for p in group] == [
            ("older_person", "registered"), ("older_person", "registered"),
            ("caregiver", "registered")]
        assert sorted(AuditEvent.objects.filter(action__startswith="participation.")
                      .values_list("action", flat=True)) == [
            "participation.beneficiary_linked", "participation.caregiver_linked",
            "participation.created"]
        assert set(AuditEvent.objects.filter(action__endswith="_linked").values_list(
            "beneficiary_public_id", flat=True)) == {b.public_id}
        # Two more than the one place left: nobody is registered.
        others = [attendee(crt_a, last_name=name) for name in ("Leroux", "Morin")]
        with pytest.raises(DomainError) as error:
            services.participations_register(actor=leader, session=s, people=others)
        assert error.value.message == "Il reste 1 place sur 4 : 2 inscriptions demandées."
        # One of the group is already registered: nobody else is either.
        with pytest.raises(DomainError) as error:
            services.participations_register(actor=leader, session=s,
                                             people=[others[0], first])
        assert error.value.message == "HAMON Jeanne est déjà inscrit·e à cette séance."
        with pytest.raises(DomainError) as error:
            services.participations_register(actor=leader, session=s,
                                             people=[others[0], others[0]])
        assert "figure deux fois dans la liste" in error.value.message
        assert Participation.objects.filter(session=s).count() == 3

    def test_people_of_another_crt_are_refused(self, leader, crt_a, crt_b):
        s = session(crt_a)
        with pytest.raises(DomainError):
            services.participation_register(actor=leader, session=s,
                                            beneficiary=BeneficiaryFactory(crt=crt_b))
        with pytest.raises(DomainError):
            services.participation_register(actor=leader, session=s,
                                            attendee=attendee(crt_b))

    @pytest.mark.parametrize("fields, field", [
        ({"kind": "professional"}, "organization_name"),
        ({"kind": "professional", "organization_name": "SSIAD"}, "employer_type"),
        ({"kind": "caregiver", "age_band": "75_84"}, "age_band"),
        ({"kind": "caregiver", "organization_name": "ADMR"}, "organization_name"),
        ({"kind": "older_person", "last_name": "  "}, "last_name"),
        ({"kind": "older_person", "gir": 7, "gir_source": "declared"}, "gir"),
        ({"kind": "older_person", "gir": 4}, "gir_source"),
        ({"kind": "older_person", "gir_source": "evaluated"}, "gir_source"),
        ({"kind": "older_person", "gir": 4, "gir_source": "guessed"}, "gir_source"),
        ({"kind": "caregiver", "gir_source": "declared"}, "age_band"),
        ({"kind": "older_person", "helps_volet2_beneficiary": True},
         "helps_volet2_beneficiary"),
    ])
    def test_bad_light_records(self, leader, crt_a, fields, field):
        with pytest.raises(DomainError) as error:
            services.attendee_create(actor=leader, crt=crt_a,
                                     **{"last_name": "Bernard", **fields})
        assert error.value.field == field
        assert not Attendee.objects.exists()


class TestPossibleDuplicates:
    """A light record is not created for someone who may already be known (each person counts
    once in V1-01), unless the user confirmed it is someone else."""

    def test_same_names_accents_and_case_aside_are_refused_then_confirmed(self, leader,
                                                                         crt_a):
        known = attendee(crt_a, last_name="Dupré-Lefèvre", first_name="Hélène")
        attendee(crt_a, kind=Attendee.Kind.CAREGIVER, last_name="Dupre Lefevre",
                 first_name="Helene")  # another kind: not the same record
        with pytest.raises(DomainError) as error:
            services.attendee_create(actor=leader, crt=crt_a, kind="older_person",
                                     last_name="  DUPRE LEFEVRE ", first_name="helene")
        assert (error.value.code, error.value.field) == ("possible_duplicate",
                                                         "duplicates_checked")
        found = selectors.attendee_possible_duplicates(
            crt=crt_a, user=leader, roles={"activity_leader"}, kind="older_person",
            last_name="dupré lefèvre", first_name="HELENE")
        assert (found.attendees, found.beneficiaries, found.caregivers) == ([known], [], [])
        assert Attendee.objects.filter(kind="older_person").count() == 1
        other = services.attendee_create(actor=leader, crt=crt_a, kind="older_person",
                                         last_name="Dupré-Lefèvre", first_name="Hélène",
                                         duplicates_checked=True)
        assert other != known
        # Another first name is another person; a missing one may be anyone of that name.
        services.attendee_create(actor=leader, crt=crt_a, kind="older_person",
                                 last_name="Dupré-Lefèvre", first_name="Marthe")
        with pytest.raises(DomainError):
            services.attendee_create(actor=leader, crt=crt_a, kind="older_person",
                                     last_name="Dupré-Lefèvre")

    def test_volet2_people_only_those_the_actor_may_see(self, users, leader, crt_a, crt_b):
        from maillage.beneficiaries.tests.factories import join_care_team

        mine = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        join_care_team(mine, leader)
        married = BeneficiaryFactory(crt=crt_a, birth_name="Martin", used_name="Gohier",
                                     first_name="Simone")
        BeneficiaryFactory(crt=crt_b, birth_name="Gohier", first_name="Simone")
        found = selectors.attendee_possible_duplicates(
            crt=crt_a, user=leader, roles={"activity_leader"}, kind="older_person",
            last_name="GOHIER", first_name="simone")
        assert found.beneficiaries == [mine]
        found = selectors.attendee_possible_duplicates(
            crt=crt_a, user=users["direction"], roles={"direction"}, kind="older_person",
            last_name="GOHIER", first_name="simone")
        assert set(found.beneficiaries) == {mine, married}
        # A volet 2 person the actor may not see does not stop the creation (nor show).
        assert services.attendee_create(actor=leader, crt=crt_a, kind="older_person",
                                        last_name="Martin", first_name="Simone").pk

    def test_volet2_caregiver_without_light_record(self, leader, crt_a):
        from maillage.beneficiaries.tests.factories import join_care_team

        b = BeneficiaryFactory(crt=crt_a)
        join_care_team(b, leader)
        carer = CaregiverFactory(crt=crt_a, beneficiary=b, last_name="Rousseau",
                                 first_name="Hélène")
        with pytest.raises(DomainError):
            services.attendee_create(actor=leader, crt=crt_a, kind="caregiver",
                                     last_name="Rousseau", first_name="Helene")
        found = selectors.attendee_possible_duplicates(
            crt=crt_a, user=leader, roles={"activity_leader"}, kind="caregiver",
            last_name="Rousseau", first_name="Helene")
        assert found.caregivers == [carer]
        linked = services.attendee_for_caregiver(actor=leader, crt=crt_a, caregiver=carer)
        found = selectors.attendee_possible_duplicates(
            crt=crt_a, user=leader, roles={"activity_leader"}, kind="caregiver",
            last_name="Rousseau", first_name="Helene")
        assert (found.attendees, found.caregivers) == ([linked], [])


class TestAttendanceAndTransport:
    def test_presence_only_once_begun(self, leader, crt_a):
        s = session(crt_a, days=2)
        p = participation(s)
        with pytest.raises(DomainError) as error:
            services.attendance_record(actor=leader, session=s, version=s.version,
                                       statuses={p: "present"})
        assert "pas encore commencé" in error.value.message
        p.refresh_from_db()
        assert p.status == "registered"

    def test_attendance_marks_the_session_held(self, leader, crt_a):
        s = session(crt_a, days=-1)
        p1, p2 = participation(s), participation(s, attendee(crt_a, last_name="Absente"))
        services.attendance_record(actor=leader, session=s, version=s.version,
                                   statuses={p1: "present", p2: "absent"}, anonymous_count=2)
        s.refresh_from_db()
        assert (s.status, s.anonymous_count) == ("held", 2)
        assert sorted(Participation.objects.values_list("status", flat=True)) == [
            "absent", "present"]

    def test_transport(self, leader, crt_a):
        p = participation(session(crt_a, days=-1))
        with pytest.raises(DomainError) as error:
            services.participation_transport_set(actor=leader, participation=p, version=1,
                                                 transport_mode="taxi")
        assert error.value.field == "transport_provider"
        with pytest.raises(DomainError) as error:
            services.participation_transport_set(actor=leader, participation=p, version=1,
                                                 transport_mode="taxi",
                                                 transport_provider="Taxi Martin")
        assert error.value.field == "transport_cost"
        taxi = {"transport_mode": "taxi", "transport_provider": "Taxi Martin",
                "transport_cost": Decimal("18.40")}
        with pytest.raises(DomainError) as error:  # the rule: no other way to come
            services.participation_transport_set(actor=leader, participation=p, version=1,
                                                 **taxi)
        assert error.value.field == "transport_reason"
        assert "aucune autre solution" in error.value.message
        with pytest.raises(DomainError) as error:
            services.participation_transport_set(actor=leader, participation=p, version=1,
                                                 **taxi, transport_reason="other")
        assert error.value.field == "transport_reason_detail"
        with pytest.raises(DomainError) as error:  # a reason without a transport
            services.participation_transport_set(actor=leader, participation=p, version=1,
                                                 transport_reason="no_vehicle")
        assert error.value.field == "transport_reason"
        services.participation_transport_set(actor=leader, participation=p, version=1,
                                             **taxi, transport_reason="no_relative")
        p.refresh_from_db()
        assert (p.transport_mode, p.transport_cost, p.transport_reason) == (
            "taxi", Decimal("18.40"), "no_relative")
        # Transport removed: the reason goes with it.
        services.participation_transport_set(actor=leader, participation=p, version=p.version)
        p.refresh_from_db()
        assert (p.transport_mode, p.transport_reason) == ("", "")


class TestVolet2Caregivers:
    def test_one_light_record_per_caregiver_linked_and_audited(self, leader, crt_a):
        b = BeneficiaryFactory(crt=crt_a, birth_name="Rousseau", first_name="Marcel")
        c = CaregiverFactory(crt=crt_a, beneficiary=b, last_name="Rousseau",
                             first_name="Hélène", phone="06 11 22 33 44")
        a = services.attendee_for_caregiver(actor=leader, crt=crt_a, caregiver=c)
        assert (a.kind, a.display_name, a.phone, a.helps_volet2_beneficiary, a.caregiver) == (
            "caregiver", "ROUSSEAU Hélène", "06 11 22 33 44", True, c)
        assert services.attendee_for_caregiver(actor=leader, crt=crt_a, caregiver=c) == a
        assert Attendee.objects.count() == 1
        p = services.participation_register(actor=leader, session=session(crt_a), attendee=a)
        event = AuditEvent.objects.get(action="participation.caregiver_linked")
        assert event.beneficiary_public_id == b.public_id
        assert event.object_id == str(p.public_id)
        with pytest.raises(DomainError) as error:
            services.attendee_update(actor=leader, attendee=a, version=a.version,
                                     helps_volet2_beneficiary=False)
        assert error.value.field == "helps_volet2_beneficiary"

    def test_another_crt_s_caregiver_is_refused(self, leader, crt_a, crt_b):
        c = CaregiverFactory(crt=crt_b, beneficiary=BeneficiaryFactory(crt=crt_b))
        with pytest.raises(DomainError):
            services.attendee_for_caregiver(actor=leader, crt=crt_a, caregiver=c)
        assert not Attendee.objects.exists()


class TestSelectors:
    def test_yearly_check(self, crt_a):
        year = at(0).year
        jan = at(0).replace(month=1, day=10)
        check = selectors.yearly_check(crt=crt_a, year=year)
        assert len(check.missing_fields) == 5 and not check.has_anti_fall
        for field in ("care_prevention", "isolation", "practices", "caregivers"):
            session(crt_a, action(crt_a, field=field), starts_at=jan)
        # A cancelled session does not count.
        session(crt_a, action(crt_a, field="resources"), starts_at=jan,
                status=Session.Status.CANCELLED)
        check = selectors.yearly_check(crt=crt_a, year=year)
        assert check.missing_fields == [
            "Accès aux ressources de l'EHPAD (locaux, équipements, animations, plateau "
            "technique)"]
        assert not check.has_anti_fall
        session(crt_a, action(crt_a, anti_fall=True, field="care_prevention"), starts_at=jan)
        session(crt_a, action(crt_a, field="resources"), starts_at=jan)
        assert selectors.yearly_check(crt=crt_a, year=year).ok
        assert not selectors.yearly_check(crt=crt_a, year=year - 1).has_anti_fall

    def test_sessions_by_commune(self, crt_a, crt_b, users):
        segre = CommuneFactory(crt=crt_a, insee_code="49331")
        a = action(crt_a, commune=segre)
        session(crt_a, a, days=1)
        session(crt_a, a, days=2)
        session(crt_a, a, days=3, status=Session.Status.CANCELLED)
        session(crt_a, action(crt_a, is_remote=True), days=1, commune=None, is_remote=True)
        session(crt_b, action(crt_b), days=1)
        start, end = at(0).date(), at(10).date()
        assert selectors.sessions_by_commune(
            crt=crt_a, user=users["nurse"], start=start, end=end) == {"49331": 2}
        assert selectors.sessions_by_commune(
            crt=crt_a, user=users["ars"], start=start, end=end) == {}
        assert selectors.sessions_by_commune(
            crt=crt_a, user=users["nurse"], start=start, end=start + timedelta(days=1)) == {}


class TestFoldedNames:
    """The folded names of a light record are stored (``last_name_key``, ``first_name_key``)
    and compared in SQL by the duplicate check."""

    def test_stored_keys_equal_their_recomputation(self, leader, crt_a):
        import importlib

        from django.apps import apps

        from maillage.core.folding import fold

        def assert_keys():
            for a in Attendee.objects.all():
                assert (a.last_name_key, a.first_name_key) == (
                    fold(a.last_name), fold(a.first_name)), a.display_name

        made = services.attendee_create(actor=leader, crt=crt_a, kind="older_person",
                                        last_name="Dupré-Lefèvre", first_name="Marie-Thérèse")
        assert (made.last_name_key, made.first_name_key) == ("dupre lefevre", "marie therese")
        services.attendee_update(actor=leader, attendee=made, version=made.version,
                                 last_name="L'Œillet", first_name="Anne Sophie")
        carer = CaregiverFactory(crt=crt_a, beneficiary=BeneficiaryFactory(crt=crt_a),
                                 last_name="Ménard", first_name="Zoé")
        services.attendee_for_caregiver(actor=leader, crt=crt_a, caregiver=carer)
        attendee(crt_a, last_name="GOHIER ", first_name="")
        assert_keys()
        assert Attendee.objects.get(pk=made.pk).last_name_key == "l oeillet"
        # The data migration fills the keys of the records written before them.
        Attendee.objects.update(last_name_key="", first_name_key="")
        migration = importlib.import_module(
            "maillage.outreach.migrations.0004_attendee_name_keys")
        migration.fill(apps, None)
        assert_keys()

    def test_first_names_compared_word_by_word_in_sql(self, leader, crt_a):
        compound = attendee(crt_a, last_name="Hamon", first_name="Marie-Thérèse")
        unnamed = attendee(crt_a, last_name="HAMON", first_name="")

        def found(first):
            return set(selectors.attendee_possible_duplicates(
                crt=crt_a, user=leader, roles={"activity_leader"}, kind="older_person",
                last_name="hamon", first_name=first).attendees)

        for first in ("marie", "THÉRÈSE", "Marie Therese", ""):
            assert found(first) == {compound, unnamed}, first
        for first in ("Mari", "Marie-Claire", "Thérès"):
            assert found(first) == {unnamed}, first


class TestSameNameInSession:
    """One person under a light record and a volet 2 file would count twice in one session:
    registering the second asks for the confirmation."""

    def test_a_light_record_and_a_beneficiary_of_the_same_name(self, leader, crt_a):
        s = session(crt_a)
        b = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone",
                               first_names="Simone Marie")
        services.participation_register(actor=leader, session=s, beneficiary=b)
        light = attendee(crt_a, last_name="GÔHIER", first_name="simone")
        with pytest.raises(DomainError) as error:
            services.participation_register(actor=leader, session=s, attendee=light)
        assert (error.value.code, error.value.field) == ("same_name_in_session",
                                                         "duplicates_checked")
        assert error.value.message.startswith(
            "Une personne de même nom est déjà inscrite à cette séance : GOHIER Simone "
            "(bénéficiaire du volet 2).")
        assert Participation.objects.filter(session=s).count() == 1
        p = services.participation_register(actor=leader, session=s, attendee=light,
                                            duplicates_checked=True)
        assert p.attendee == light
        # The other way round: the beneficiary after the light record.
        other = session(crt_a)
        services.participation_register(actor=leader, session=other, attendee=light)
        with pytest.raises(DomainError) as error:
            services.participation_register(actor=leader, session=other, beneficiary=b)
        assert "GÔHIER simone (fiche du volet 1)" in error.value.message

    def test_other_people_are_not_reported(self, leader, crt_a):
        s = session(crt_a)
        odette = attendee(crt_a, last_name="Gohier", first_name="Odette")
        services.participation_register(actor=leader, session=s, attendee=odette)
        cancelled = attendee(crt_a, last_name="Gohier", first_name="Simone")
        p = services.participation_register(actor=leader, session=s, attendee=cancelled,
                                            duplicates_checked=True)
        services.attendance_record(actor=leader, session=s, version=s.version,
                                   statuses={p: Participation.Status.CANCELLED})
        # Another first name, another kind (her caregiver), a cancelled registration, and two
        # volet 2 files (two files are two people): no warning.
        for person in (attendee(crt_a, last_name="Gohier", first_name="Marthe"),
                       attendee(crt_a, kind=Attendee.Kind.CAREGIVER, last_name="Gohier"),
                       BeneficiaryFactory(crt=crt_a, birth_name="Gohier",
                                          first_name="Simone"),
                       BeneficiaryFactory(crt=crt_a, birth_name="Martin", used_name="Gohier",
                                          first_name="Simone")):
            field = "attendee" if isinstance(person, Attendee) else "beneficiary"
            services.participation_register(actor=leader, session=s, **{field: person})


    def test_a_group_registration_asks_the_same_confirmation(self, leader, crt_a):
        """Several people registered at once (``participations_register``): a namesake already
        registered, or two records of one person in the same list, is named and nobody is
        registered until the user confirms they are other people."""
        s = session(crt_a)
        b = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        services.participation_register(actor=leader, session=s, beneficiary=b)
        light = attendee(crt_a, last_name="Gohier", first_name="Simone")
        paul = attendee(crt_a, last_name="Martin", first_name="Paul")
        with pytest.raises(DomainError) as error:
            services.participations_register(actor=leader, session=s, people=[paul, light])
        assert (error.value.code, error.value.field) == ("same_name_in_session",
                                                         "duplicates_checked")
        assert error.value.message.startswith(
            "Une personne de même nom est déjà inscrite à cette séance : GOHIER Simone "
            "(bénéficiaire du volet 2).")
        assert Participation.objects.filter(session=s).count() == 1
        registered = services.participations_register(actor=leader, session=s,
                                                      people=[paul, light],
                                                      duplicates_checked=True)
        assert [p.attendee for p in registered] == [paul, light]
        # One person twice in one list (her volet 2 file and a light record).
        other = session(crt_a)
        paul_file = BeneficiaryFactory(crt=crt_a, birth_name="MARTIN", first_name="Paul")
        marthe = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Marthe")
        with pytest.raises(DomainError) as error:
            services.participations_register(actor=leader, session=other,
                                              people=[paul_file, b, marthe, light, paul])
        assert error.value.message.startswith(
            "Des personnes de même nom sont déjà inscrites à cette séance ou dans la liste : "
            "GOHIER Simone (fiche du volet 1), aussi dans la liste : GOHIER Simone "
            "(bénéficiaire du volet 2) ; MARTIN Paul (fiche du volet 1), aussi dans la "
            "liste : MARTIN Paul (bénéficiaire du volet 2). Si c'est la même personne")
        assert not Participation.objects.filter(session=other).exists()
        # Two volet 2 files of one name are two people: no warning.
        twin = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        assert len(services.participations_register(actor=leader, session=other,
                                                    people=[b, twin])) == 2

class TestMerge:
    """Two light records of one person merged: one record, its registrations (one per
    session), its telehealth acts; audited; nothing half-done; a concurrent change refused."""

    @pytest.fixture
    def twins(self, crt_a, commune):
        kept = attendee(crt_a, last_name="Lemaire", first_name="Odette", commune=commune,
                        age_band="75_84")
        duplicate = attendee(crt_a, last_name="LEMAIRE", first_name="Odette",
                             phone="02 41 92 11 22", gir=4, gir_source="declared")
        return kept, duplicate

    def merge(self, leader, kept, duplicate, **kwargs):
        return merge.attendee_merge(actor=leader, kept=kept, kept_version=kept.version,
                                       duplicate=duplicate,
                                       duplicate_version=duplicate.version, **kwargs)

    def test_registrations_move_and_v1_01_counts_one_person(self, users, leader, crt_a,
                                                            twins):
        from datetime import date, datetime, time

        from django.utils import timezone

        from maillage.care.tests.factories import territory_telehealth_act
        from maillage.core import indicators
        from maillage.core.indicators import Period

        kept, duplicate = twins
        march, april = (session(crt_a, starts_at=timezone.make_aware(
            datetime.combine(date(2025, month, 10), time(14)))) for month in (3, 4))
        participation(march, kept, status="present")
        participation(april, duplicate, status="present")
        act = territory_telehealth_act(duplicate, staff=users["nurse"])

        def reached():
            return indicators.compute(indicators.get("V1-01"), crt=crt_a,
                                      period=Period.half_year(2025, 1)).value

        assert reached() == 2
        result = self.merge(leader, kept, duplicate, take=["phone", "gir"])
        assert reached() == 1
        assert (result.moved, result.combined, result.registrations) == (1, 0, 2)
        assert not Attendee.objects.filter(pk=duplicate.pk).exists()
        assert set(Participation.objects.values_list("attendee", flat=True)) == {kept.pk}
        act.refresh_from_db()
        assert act.attendee == kept
        kept.refresh_from_db()
        # The values chosen from the duplicate, the others the kept record's.
        assert (kept.last_name, kept.phone, kept.gir, kept.gir_source, kept.age_band) == (
            "Lemaire", "02 41 92 11 22", 4, "declared", "75_84")
        assert kept.version == 2
        merged = AuditEvent.objects.get(action="attendee.merged")
        assert merged.object_id == str(kept.public_id)
        assert merged.details["fiche fusionnée"] == f"LEMAIRE Odette ({duplicate.public_id})"
        assert merged.details["inscriptions reprises"] == 1
        assert merged.details["actes de télésanté"] == 1
        assert merged.details["phone"] == {"avant": "", "après": "02 41 92 11 22"}
        away = AuditEvent.objects.get(action="attendee.merged_away")
        assert (away.object_id, away.details) == (str(duplicate.public_id),
                                                  {"fiche conservée": str(kept.public_id)})

    def test_one_session_under_both_records_becomes_one_registration(self, leader, crt_a,
                                                                     twins):
        kept, duplicate = twins
        s, other = session(crt_a, days=-1), session(crt_a, days=-8)
        participation(s, kept, status="absent")
        participation(s, duplicate, status="present", transport_mode="taxi",
                      transport_provider="Taxi Segréen", transport_cost=Decimal("18.50"),
                      transport_reason="no_vehicle")
        participation(other, kept, status="present")
        participation(other, duplicate, status="absent")
        result = self.merge(leader, kept, duplicate)
        assert (result.moved, result.combined, result.registrations) == (0, 2, 2)
        one = Participation.objects.get(session=s)
        assert (one.attendee, one.status, one.transport_mode, one.transport_cost) == (
            kept, "present", "taxi", Decimal("18.50"))
        assert Participation.objects.get(session=other).status == "present"

    def test_a_change_or_a_merge_meanwhile_is_refused_and_nothing_is_merged(
            self, leader, crt_a, twins):
        kept, duplicate = twins
        s = session(crt_a)
        participation(s, duplicate)
        seen = (kept.version, duplicate.version)
        services.attendee_update(actor=leader, attendee=Attendee.objects.get(pk=duplicate.pk),
                                 version=duplicate.version, phone="02 41 00 00 00")
        with pytest.raises(DomainError) as error:
            merge.attendee_merge(actor=leader, kept=kept, kept_version=seen[0],
                                    duplicate=duplicate, duplicate_version=seen[1])
        assert error.value.code == "conflict"
        assert error.value.message.startswith(
            "L'une des deux fiches a été modifiée ou fusionnée par quelqu'un d'autre")
        assert Participation.objects.get().attendee_id == duplicate.pk
        assert not AuditEvent.objects.filter(action__startswith="attendee.merged").exists()
        # Someone else merged them first: the second merge is refused too.
        duplicate.refresh_from_db()
        self.merge(leader, kept, duplicate)
        with pytest.raises(DomainError) as error:
            merge.attendee_merge(actor=leader, kept=kept, kept_version=seen[0],
                                    duplicate=duplicate, duplicate_version=duplicate.version)
        assert error.value.code == "conflict"

    def test_a_refused_value_leaves_everything_as_it_was(self, leader, crt_a, twins):
        kept, duplicate = twins
        participation(session(crt_a), duplicate)
        # A phone number typed before numbers were checked.
        Attendee.objects.filter(pk=duplicate.pk).update(phone="02 41")
        duplicate.refresh_from_db()
        with pytest.raises(DomainError) as error:
            self.merge(leader, kept, duplicate, take=["phone"])
        assert error.value.field == "phone"
        assert Attendee.objects.count() == 2
        assert Participation.objects.get().attendee_id == duplicate.pk

    def test_records_that_do_not_merge(self, leader, crt_a, crt_b, twins):
        kept, duplicate = twins
        for other, message in (
                (attendee(crt_a, kind=Attendee.Kind.CAREGIVER), "pas du même type"),
                (attendee(crt_b), "Fiche inconnue."), (kept, "deux fiches différentes")):
            with pytest.raises(DomainError) as error:
                self.merge(leader, kept, other)
            assert message in error.value.message
        with pytest.raises(DomainError) as error:
            self.merge(leader, kept, duplicate, take=["kind"])
        assert error.value.message == "Champ non modifiable : kind."
        carers = [services.attendee_for_caregiver(
            actor=leader, crt=crt_a, caregiver=CaregiverFactory(
                crt=crt_a, beneficiary=BeneficiaryFactory(crt=crt_a), last_name="Ménard",
                first_name="Zoé")) for _ in range(2)]
        with pytest.raises(DomainError) as error:
            self.merge(leader, *carers)
        assert "liées chacune à un aidant enregistré au volet 2" in error.value.message
        assert Attendee.objects.filter(crt=crt_a).count() == 5

    def test_the_link_to_a_volet2_caregiver_moves_to_the_kept_record(self, leader, crt_a):
        carer = CaregiverFactory(crt=crt_a, beneficiary=BeneficiaryFactory(crt=crt_a),
                                 last_name="Ménard", first_name="Zoé")
        linked = services.attendee_for_caregiver(actor=leader, crt=crt_a, caregiver=carer)
        typed = attendee(crt_a, kind=Attendee.Kind.CAREGIVER, last_name="Menard",
                         first_name="Zoe", helps_volet2_beneficiary=False)
        self.merge(leader, typed, linked)
        typed.refresh_from_db()
        assert (typed.caregiver, typed.helps_volet2_beneficiary) == (carer, True)
        assert services.attendee_for_caregiver(actor=leader, crt=crt_a,
                                               caregiver=carer) == typed

    def test_every_relation_to_a_light_record_is_moved(self):
        """A new foreign key to ``Attendee`` must be reviewed in ``attendee_merge`` (moved,
        or merged like the registrations): until then every merge refuses to run."""
        relations = {f"{r.related_model._meta.label}.{r.field.name}"
                     for r in Attendee._meta.related_objects}
        assert relations == {"outreach.Participation.attendee",
                             *merge.MERGE_MOVED_RELATIONS}


class TestJoinFile:
    """A light record joined to the person's volet 2 file: its registrations (one per session)
    and telehealth acts move to the file, the record is deleted, V1-01 counts the person
    once; audited; a concurrent change refused, nothing done."""

    @pytest.fixture
    def simone(self, crt_a):
        return attendee(crt_a, last_name="Gohier", first_name="Simone")

    @pytest.fixture
    def her_file(self, crt_a):
        return BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")

    def join(self, leader, light, b):
        return merge.attendee_join_file(actor=leader, attendee=light,
                                        attendee_version=light.version, beneficiary=b,
                                        beneficiary_version=b.version)

    def test_v1_01_counts_the_person_once_after_joining(self, users, leader, crt_a, simone,
                                                        her_file):
        from datetime import date, datetime, time

        from django.utils import timezone

        from maillage.care.tests.factories import territory_telehealth_act
        from maillage.core import indicators
        from maillage.core.indicators import Period

        march, april = (session(crt_a, starts_at=timezone.make_aware(
            datetime.combine(date(2025, month, 10), time(14)))) for month in (3, 4))
        participation(march, simone, status="present")
        participation(april, beneficiary=her_file, status="present")
        act = territory_telehealth_act(simone, staff=users["nurse"])

        def reached():
            return indicators.compute(indicators.get("V1-01"), crt=crt_a,
                                      period=Period.half_year(2025, 1)).value

        assert reached() == 2
        result = self.join(leader, simone, her_file)
        assert reached() == 1
        assert (result.moved, result.combined, result.others) == (
            1, 0, {"actes de télésanté": 1})
        assert not Attendee.objects.filter(pk=simone.pk).exists()
        assert set(Participation.objects.values_list("beneficiary", "attendee")) == {
            (her_file.pk, None)}
        act.refresh_from_db()
        assert (act.beneficiary, act.attendee) == (her_file, None)
        joined = AuditEvent.objects.get(action="attendee.joined_file")
        assert joined.beneficiary_public_id == her_file.public_id
        assert joined.details["fiche du volet 1"] == f"GOHIER Simone ({simone.public_id})"
        assert joined.details["inscriptions reprises"] == 1
        away = AuditEvent.objects.get(action="attendee.joined_away")
        assert (away.object_id, away.details) == (
            str(simone.public_id), {"dossier du volet 2": str(her_file.public_id)})

    def test_one_session_under_both_becomes_one_registration(self, leader, crt_a, simone,
                                                              her_file):
        s = session(crt_a, days=-1)
        participation(s, beneficiary=her_file, status="absent")
        participation(s, simone, status="present", transport_mode="taxi",
                      transport_provider="Taxi Segréen", transport_cost=Decimal("18.50"),
                      transport_reason="no_vehicle")
        result = self.join(leader, simone, her_file)
        assert (result.moved, result.combined) == (0, 1)
        one = Participation.objects.get(session=s)
        assert (one.beneficiary, one.attendee, one.status, one.transport_mode) == (
            her_file, None, "present", "taxi")

    def test_a_change_meanwhile_is_refused_and_nothing_is_joined(self, leader, crt_a, simone,
                                                                 her_file):
        participation(session(crt_a), simone)
        seen = simone.version
        services.attendee_update(actor=leader, attendee=Attendee.objects.get(pk=simone.pk),
                                 version=seen,
                                 phone="02 41 00 00 00")
        with pytest.raises(DomainError) as error:
            merge.attendee_join_file(actor=leader, attendee=simone, attendee_version=seen,
                                     beneficiary=her_file,
                                     beneficiary_version=her_file.version)
        assert error.value.code == "conflict"
        with pytest.raises(DomainError) as error:
            merge.attendee_join_file(actor=leader, attendee=simone, attendee_version=seen + 1,
                                     beneficiary=her_file,
                                     beneficiary_version=her_file.version - 1)
        assert error.value.code == "conflict"
        assert Participation.objects.get().attendee_id == simone.pk
        assert not AuditEvent.objects.filter(action__startswith="attendee.joined").exists()

    def test_records_that_do_not_join(self, leader, crt_a, crt_b, simone):
        for light, b, message in (
                (simone, BeneficiaryFactory(crt=crt_b), "Bénéficiaire inconnu."),
                (attendee(crt_a, kind=Attendee.Kind.CAREGIVER), BeneficiaryFactory(crt=crt_a),
                 "Seule la fiche d'une personne âgée")):
            with pytest.raises(DomainError) as error:
                self.join(leader, light, b)
            assert error.value.message.startswith(message)
            assert error.value.field == "beneficiary"
        assert Attendee.objects.filter(crt=crt_a).count() == 2
