"""Stays: overlaps refused, maximum stay, the person, the temporary exit opened and ended in the
file active, cancellation, the charge to the person, audit and timeline."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions import services as admissions
from maillage.admissions.models import Suspension
from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent
from maillage.lodging import services
from maillage.lodging.models import Room, Stay

from .factories import room

TODAY = timezone.localdate()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def actor(users):
    return users["coordinator"]


@pytest.fixture
def emergency(crt_a):
    return room(crt_a, name="Chambre d'urgence", max_stay_days=30)


@pytest.fixture
def enrolled(crt_a):
    """A beneficiary in the file active since January 2025."""
    b = BeneficiaryFactory(crt=crt_a)
    enrolment(b, admitted_on=date(2025, 1, 6))
    return b


def book(actor, crt, r, start, end, **fields):
    fields.setdefault("reason", Stay.Reason.CAREGIVER_HOSPITALISED)
    if "beneficiary" not in fields:
        fields.setdefault("guest_last_name", "Lemaire")
        fields.setdefault("guest_first_name", "Odette")
    return services.stay_create(actor=actor, crt=crt, room=r, planned_start=start,
                                planned_end=end, **fields)


class TestOverlaps:
    def test_same_room_same_nights_is_refused_naming_the_other_stay(self, actor, crt_a,
                                                                     emergency):
        book(actor, crt_a, emergency, days(10), days(20))
        with pytest.raises(DomainError) as error:
            book(actor, crt_a, emergency, days(15), days(25), guest_last_name="Berthelot")
        message = error.value.message
        assert f"déjà prise du {days(10):%d/%m/%Y} au {days(20):%d/%m/%Y}" in message
        assert "LEMAIRE Odette" in message and error.value.field == "planned_start"
        assert Stay.objects.count() == 1

    @pytest.mark.parametrize(("start", "end"), [(5, 11), (19, 30), (12, 14), (8, 25)])
    def test_every_kind_of_overlap_is_refused(self, actor, crt_a, emergency, start, end):
        book(actor, crt_a, emergency, days(10), days(20))
        with pytest.raises(DomainError, match="déjà prise"):
            book(actor, crt_a, emergency, days(start), days(end))

    def test_departure_day_is_the_next_arrival_day(self, actor, crt_a, emergency):
        book(actor, crt_a, emergency, days(10), days(20))
        book(actor, crt_a, emergency, days(20), days(25))
        book(actor, crt_a, emergency, days(3), days(10))
        assert Stay.objects.count() == 3

    def test_other_room_is_free(self, actor, crt_a, emergency):
        book(actor, crt_a, emergency, days(10), days(20))
        book(actor, crt_a, room(crt_a, name="Autre"), days(10), days(20))

    def test_a_cancelled_stay_frees_the_room(self, actor, crt_a, emergency):
        first = book(actor, crt_a, emergency, days(10), days(20))
        services.stay_cancel(actor=actor, stay=first, version=first.version,
                             reason="L'aidante sort plus tôt de l'hôpital")
        book(actor, crt_a, emergency, days(12), days(18))

    def test_recording_an_older_stay_after_a_later_one(self, actor, crt_a, emergency,
                                                       enrolled):
        book(actor, crt_a, emergency, days(-10), days(-5), beneficiary=enrolled,
             actual_start=days(-10), actual_end=days(-5))
        older = book(actor, crt_a, emergency, days(-20), days(-15), beneficiary=enrolled,
                     actual_start=days(-20), actual_end=days(-14))
        assert older.status == "ended"
        assert Suspension.objects.filter(end_date__isnull=True).count() == 0

    def test_one_beneficiary_is_not_in_two_rooms_at_once(self, actor, crt_a, emergency,
                                                          enrolled):
        book(actor, crt_a, emergency, days(1), days(5), beneficiary=enrolled)
        with pytest.raises(DomainError, match=f"a déjà un séjour du {days(1):%d/%m/%Y}"):
            book(actor, crt_a, room(crt_a, name="B"), days(3), days(8), beneficiary=enrolled)
        book(actor, crt_a, room(crt_a, name="C"), days(5), days(8), beneficiary=enrolled)

    def test_moving_a_stay_onto_another_is_refused(self, actor, crt_a, emergency):
        book(actor, crt_a, emergency, days(10), days(20))
        later = book(actor, crt_a, emergency, days(30), days(35))
        with pytest.raises(DomainError, match="déjà prise"):
            services.stay_update(actor=actor, stay=later, version=later.version,
                                 planned_start=days(18), planned_end=days(22))

    def test_a_stay_going_on_past_its_planned_departure_still_holds_the_room(
            self, actor, crt_a, emergency):
        book(actor, crt_a, emergency, days(-10), days(-2), actual_start=days(-10))
        # Still there today: the room is not free tonight.
        with pytest.raises(DomainError, match=f"au {days(1):%d/%m/%Y}"):
            book(actor, crt_a, emergency, days(0), days(3))
        book(actor, crt_a, emergency, days(1), days(3))

    def test_a_late_departure_may_not_run_into_the_next_stay(self, actor, crt_a, emergency):
        current = book(actor, crt_a, emergency, days(-10), days(-3), actual_start=days(-10))
        # Booked four days ago, when the room was due to be free from days(-3) on; that person
        # has not been recorded as arrived.
        book(actor, crt_a, emergency, days(-1), days(5), guest_last_name="Suivante",
             today=days(-4))
        with pytest.raises(DomainError, match="SUIVANTE Odette") as error:
            services.stay_end(actor=actor, stay=current, version=current.version,
                              actual_end=days(0))
        assert error.value.field == "actual_end"
        services.stay_end(actor=actor, stay=current, version=current.version,
                          actual_end=days(-1))
        ended = Stay.objects.get(pk=current.pk)
        assert (ended.status, ended.actual_end) == ("ended", days(-1))

    def test_arrival_earlier_than_planned_may_collide(self, actor, crt_a, emergency):
        book(actor, crt_a, emergency, days(-10), days(-5), actual_start=days(-10),
             actual_end=days(-5))
        late = book(actor, crt_a, emergency, days(-1), days(5), guest_last_name="Tardif")
        with pytest.raises(DomainError, match="déjà prise") as error:
            services.stay_start(actor=actor, stay=late, version=late.version,
                                actual_start=days(-7))
        assert error.value.field == "actual_start"


class TestRules:
    def test_dates_ordered(self, actor, crt_a, emergency):
        for end in (days(10), days(9)):
            with pytest.raises(DomainError, match="au moins le lendemain") as error:
                book(actor, crt_a, emergency, days(10), end)
            assert error.value.field == "planned_end"

    def test_maximum_stay_needs_a_written_justification(self, actor, crt_a, emergency):
        with pytest.raises(DomainError, match="31 jours dépasse la durée maximale de 30 jours"):
            book(actor, crt_a, emergency, days(1), days(32))
        stay = book(actor, crt_a, emergency, days(1), days(32),
                    over_max_justification="  Attente d'une place en EHPAD  ")
        assert stay.over_max_justification == "Attente d'une place en EHPAD"
        assert book(actor, crt_a, room(crt_a, name="B"), days(1), days(31)).nights_planned() == 30

    def test_a_guest_needs_a_name(self, actor, crt_a, emergency):
        with pytest.raises(DomainError, match="indiquez le nom") as error:
            book(actor, crt_a, emergency, days(1), days(3), guest_last_name="  ")
        assert error.value.field == "guest_last_name"

    def test_a_beneficiary_is_not_also_a_guest(self, actor, crt_a, emergency, enrolled):
        with pytest.raises(DomainError, match="laissez vides"):
            book(actor, crt_a, emergency, days(1), days(3), beneficiary=enrolled,
                 guest_last_name="Autre")

    def test_objects_of_another_crt_are_refused(self, actor, crt_a, crt_b, emergency):
        with pytest.raises(DomainError, match="Chambre inconnue"):
            book(actor, crt_a, room(crt_b, name="Ailleurs"), days(1), days(3))
        with pytest.raises(DomainError, match="Élément inconnu"):
            book(actor, crt_a, emergency, days(1), days(3),
                 beneficiary=BeneficiaryFactory(crt=crt_b), guest_last_name="")
        with pytest.raises(DomainError, match="Élément inconnu"):
            book(actor, crt_a, emergency, days(1), days(3), referral=ReferralFactory(crt=crt_b))

    def test_an_unavailable_room_takes_no_new_stay(self, actor, crt_a):
        closed = room(crt_a, name="Fermée", is_active=False)
        with pytest.raises(DomainError, match="plus disponible"):
            book(actor, crt_a, closed, days(1), days(3))

    def test_arrival_and_departure_not_in_the_future_and_ordered(self, actor, crt_a,
                                                                 emergency):
        stay = book(actor, crt_a, emergency, days(0), days(5))
        with pytest.raises(DomainError, match="dans le futur"):
            services.stay_start(actor=actor, stay=stay, version=stay.version,
                                actual_start=days(1))
        stay = services.stay_start(actor=actor, stay=stay, version=stay.version,
                                   actual_start=days(0))
        with pytest.raises(DomainError, match="dans le futur"):
            services.stay_end(actor=actor, stay=stay, version=stay.version, actual_end=days(1))
        with pytest.raises(DomainError, match="précéder l'arrivée"):
            services.stay_end(actor=actor, stay=stay, version=stay.version, actual_end=days(-1))

    def test_state_machine(self, actor, crt_a, emergency):
        stay = book(actor, crt_a, emergency, days(0), days(5))
        with pytest.raises(DomainError, match="n'a pas commencé"):
            services.stay_end(actor=actor, stay=stay, version=stay.version, actual_end=days(0))
        stay = services.stay_start(actor=actor, stay=stay, version=stay.version,
                                   actual_start=days(0))
        with pytest.raises(DomainError, match="déjà enregistrée"):
            services.stay_start(actor=actor, stay=stay, version=stay.version,
                                actual_start=days(0))
        with pytest.raises(DomainError, match="Seul un séjour prévu s'annule"):
            services.stay_cancel(actor=actor, stay=stay, version=stay.version, reason="x")

    def test_cancel_needs_a_reason(self, actor, crt_a, emergency):
        stay = book(actor, crt_a, emergency, days(1), days(5))
        with pytest.raises(DomainError, match="motif"):
            services.stay_cancel(actor=actor, stay=stay, version=stay.version, reason=" ")
        with pytest.raises(DomainError, match="annulé"):
            cancelled = services.stay_cancel(actor=actor, stay=stay, version=stay.version,
                                             reason="Aidant rentré")
            services.stay_update(actor=actor, stay=cancelled, version=cancelled.version,
                                 notes="x")

    def test_stale_version_is_a_conflict(self, actor, crt_a, emergency):
        stay = book(actor, crt_a, emergency, days(1), days(5))
        services.stay_update(actor=actor, stay=stay, version=stay.version, notes="Régime")
        stale = Stay.objects.get(pk=stay.pk)
        with pytest.raises(ConflictError):
            services.stay_update(actor=actor, stay=stale, version=1, notes="Autre")
        with pytest.raises(ConflictError):
            services.stay_start(actor=actor, stay=stale, version=1, actual_start=days(0))

    def test_the_person_of_a_started_stay_does_not_change(self, actor, crt_a, emergency,
                                                         enrolled):
        stay = book(actor, crt_a, emergency, days(-2), days(5), actual_start=days(-2))
        with pytest.raises(DomainError, match="ne se change plus"):
            services.stay_update(actor=actor, stay=stay, version=stay.version,
                                 beneficiary=enrolled, guest_last_name="",
                                 guest_first_name="")


class TestSuspension:
    """A beneficiary of the file active leaves it temporarily while in the room."""

    def test_arrival_opens_and_departure_ends_the_temporary_exit(self, actor, crt_a,
                                                                 emergency, enrolled):
        stay = book(actor, crt_a, emergency, days(-3), days(4), beneficiary=enrolled,
                    reason=Stay.Reason.CRISIS, notes="Épuisement de l'aidant")
        assert stay.suspension is None and not Suspension.objects.exists()  # planned only
        stay = services.stay_start(actor=actor, stay=stay, version=stay.version,
                                   actual_start=days(-3))
        s = Suspension.objects.get()
        assert stay.suspension == s
        assert (s.kind, s.start_date, s.end_date) == ("temporary_room", days(-3), None)
        assert s.place == "Chambre d'urgence"
        assert s.reason == "Situation de crise au domicile — Épuisement de l'aidant"
        assert s.enrolment.beneficiary == enrolled
        stay = services.stay_end(actor=actor, stay=stay, version=stay.version,
                                 actual_end=days(-1))
        s.refresh_from_db()
        assert s.end_date == days(-1)
        # Correcting the departure moves the end of the temporary exit.
        services.stay_end(actor=actor, stay=stay, version=stay.version, actual_end=days(0))
        s.refresh_from_db()
        assert s.end_date == days(0)
        titles = list(enrolled.timeline.values_list("title", flat=True))
        assert any(t.startswith("Séjour prévu : Chambre d'urgence") for t in titles)
        assert any(t.startswith("Sortie temporaire : séjour en chambre") for t in titles)
        assert any(t.startswith("Retour à domicile") for t in titles)

    def test_partner_place_is_named_in_the_file_active(self, actor, crt_a, enrolled):
        htsh = room(crt_a, kind=Room.Kind.PARTNER_HTSH, name="Place HTSH n° 1")
        book(actor, crt_a, htsh, days(-5), days(10), beneficiary=enrolled,
             reason=Stay.Reason.HOSPITAL_RETURN, actual_start=days(-5))
        assert Suspension.objects.get().place == f"Place HTSH n° 1 — {htsh.organization.name}"

    def test_a_past_stay_recorded_after_the_fact(self, actor, crt_a, emergency, enrolled):
        stay = book(actor, crt_a, emergency, date(2025, 3, 1), date(2025, 3, 9),
                    beneficiary=enrolled, actual_start=date(2025, 3, 1),
                    actual_end=date(2025, 3, 10))
        assert stay.status == "ended"
        s = Suspension.objects.get()
        assert (s.start_date, s.end_date) == (date(2025, 3, 1), date(2025, 3, 10))

    def test_cancelling_a_planned_stay_leaves_the_file_active_alone(self, actor, crt_a,
                                                                   emergency, enrolled):
        stay = book(actor, crt_a, emergency, days(3), days(8), beneficiary=enrolled)
        services.stay_cancel(actor=actor, stay=stay, version=stay.version,
                             reason="Hospitalisée entre-temps")
        assert not Suspension.objects.exists()
        assert enrolled.timeline.filter(title__startswith="Séjour annulé").exists()

    def test_no_temporary_exit_outside_the_file_active(self, actor, crt_a, emergency):
        not_enrolled = BeneficiaryFactory(crt=crt_a)
        stay = book(actor, crt_a, emergency, days(-2), days(3), beneficiary=not_enrolled,
                    actual_start=days(-2))
        assert stay.suspension is None and not Suspension.objects.exists()
        assert not_enrolled.timeline.filter(title__startswith="Arrivée en chambre").exists()
        # Admitted after the arrival: the stay began outside the file active.
        late = BeneficiaryFactory(crt=crt_a)
        enrolment(late, admitted_on=days(-1))
        stay = book(actor, crt_a, room(crt_a, name="B"), days(-2), days(3), beneficiary=late,
                    actual_start=days(-2))
        assert stay.suspension is None

    def test_overlapping_hospitalisation_refuses_the_arrival_and_saves_nothing(
            self, actor, crt_a, emergency, enrolled):
        e = enrolled.enrolments.get()
        admissions.suspension_start(actor=actor, enrolment=e, kind="hospitalisation",
                                    start_date=days(-10), reason="Pneumopathie",
                                    place="CHU d'Angers")
        stay = book(actor, crt_a, emergency, days(-1), days(10), beneficiary=enrolled,
                    reason=Stay.Reason.HOSPITAL_RETURN)
        with pytest.raises(DomainError, match="Enregistrez d'abord le retour") as error:
            services.stay_start(actor=actor, stay=stay, version=stay.version,
                                actual_start=days(-1))
        assert error.value.field == "actual_start"
        stay.refresh_from_db()
        assert (stay.status, stay.actual_start, stay.suspension) == ("planned", None, None)
        assert Suspension.objects.count() == 1
        assert not AuditEvent.objects.filter(action="stay.started").exists()

    def test_definitive_exit_during_the_stay_does_not_block_the_departure(
            self, actor, crt_a, emergency, enrolled):
        stay = book(actor, crt_a, emergency, days(-6), days(10), beneficiary=enrolled,
                    actual_start=days(-6))
        e = enrolled.enrolments.get()
        admissions.enrolment_close(actor=actor, enrolment=e, version=e.version,
                                   ended_on=days(-2), exit_reason="institution",
                                   destination="EHPAD du Val d'Erdre")
        stay.refresh_from_db()
        services.stay_end(actor=actor, stay=stay, version=stay.version, actual_end=days(0))
        assert Suspension.objects.get().end_date == days(-2)


class TestChargeAndAudit:
    def test_htsh_costs_twenty_euros_a_day_in_decimal(self, actor, crt_a, enrolled):
        htsh = services.room_create(actor=actor, crt=crt_a, name="HTSH", kind="partner_htsh",
                                    organization=room(crt_a, kind="partner_ht").organization,
                                    max_stay_days=None, daily_charge=None, is_active=True,
                                    notes="")
        stay = book(actor, crt_a, htsh, days(-7), days(5), beneficiary=enrolled,
                    actual_start=days(-7), actual_end=days(-1))
        assert stay.daily_charge == Decimal("20.00")
        assert stay.charged_days(TODAY) == 6
        assert stay.amount_due(TODAY) == Decimal("120.00")
        assert isinstance(stay.amount_due(TODAY), Decimal)

    def test_planned_and_ongoing_stays_are_estimated_to_the_planned_departure(
            self, actor, crt_a):
        ht = room(crt_a, kind="partner_ht", daily_charge=Decimal("62.35"))
        stay = book(actor, crt_a, ht, days(-2), days(8), actual_start=days(-2))
        assert stay.amount_due(TODAY) == Decimal("623.50")

    def test_the_charge_is_kept_when_the_partner_changes_its_price(self, actor, crt_a):
        ht = room(crt_a, kind="partner_ht", daily_charge=Decimal("60.00"))
        stay = book(actor, crt_a, ht, days(1), days(3))
        services.room_update(actor=actor, room=ht, version=ht.version, daily_charge=Decimal(
            "70.00"))
        stay.refresh_from_db()
        assert stay.amount_due(TODAY) == Decimal("120.00")

    def test_the_emergency_room_is_free(self, actor, crt_a, emergency):
        stay = book(actor, crt_a, emergency, days(1), days(3))
        assert stay.amount_due(TODAY) == Decimal("0.00")

    def test_each_step_is_audited_with_the_beneficiary(self, actor, crt_a, emergency,
                                                      enrolled):
        stay = book(actor, crt_a, emergency, days(-1), days(3), beneficiary=enrolled)
        stay = services.stay_update(actor=actor, stay=stay, version=stay.version,
                                    planned_end=days(4))
        stay = services.stay_start(actor=actor, stay=stay, version=stay.version,
                                   actual_start=days(-1))
        services.stay_end(actor=actor, stay=stay, version=stay.version, actual_end=days(0))
        actions = list(AuditEvent.objects.filter(object_id=str(stay.public_id)).order_by(
            "id").values_list("action", "beneficiary_public_id"))
        assert actions == [(a, enrolled.public_id) for a in (
            "stay.created", "stay.updated", "stay.started", "stay.ended")]
        updated = AuditEvent.objects.get(action="stay.updated")
        assert updated.details == {"planned_end": {"avant": str(days(3)),
                                                   "après": str(days(4))}}
