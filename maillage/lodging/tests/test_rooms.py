"""Rooms and places: kinds, partner, maximum stay and charge by rule; the place-kept setting and
the people whose absence goes beyond it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions import services as admissions
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent
from maillage.lodging import selectors, services
from maillage.lodging.models import LodgingSettings, Room
from maillage.territory.tests.factories import OrganizationFactory

TODAY = timezone.localdate()


def create(actor, crt, **fields):
    defaults = {"name": "Chambre d'urgence", "kind": "crt_emergency", "organization": None,
                "max_stay_days": None, "daily_charge": None, "is_active": True, "notes": ""}
    return services.room_create(actor=actor, crt=crt, **{**defaults, **fields})


@pytest.fixture
def ehpad(crt_a):
    return OrganizationFactory(crt=crt_a, kind="ehpad", name="EHPAD du Val d'Erdre")


class TestRooms:
    @pytest.mark.parametrize(("kind", "days", "charge"), [
        ("crt_emergency", 30, Decimal("0.00")), ("partner_htsh", 30, Decimal("20.00"))])
    def test_defaults_and_charge_by_rule(self, users, crt_a, ehpad, kind, days, charge):
        org = None if kind == "crt_emergency" else ehpad
        room = create(users["coordinator"], crt_a, kind=kind, organization=org)
        room.refresh_from_db()
        assert (room.max_stay_days, room.daily_charge) == (days, charge)
        assert AuditEvent.objects.filter(action="room.created", object_id=str(room.public_id))

    def test_partner_ht_has_the_partners_price(self, users, crt_a, ehpad):
        with pytest.raises(DomainError, match="prix de journée") as error:
            create(users["coordinator"], crt_a, kind="partner_ht", organization=ehpad)
        assert error.value.field == "daily_charge"
        room = create(users["coordinator"], crt_a, name="HT", kind="partner_ht",
                      organization=ehpad, daily_charge=Decimal("64.80"), max_stay_days=60)
        assert (room.max_stay_days, room.daily_charge, room.label) == (
            60, Decimal("64.80"), "HT — EHPAD du Val d'Erdre")

    def test_htsh_charge_is_twenty_euros_and_nothing_else(self, users, crt_a, ehpad):
        with pytest.raises(DomainError, match="20,00 € par jour"):
            create(users["coordinator"], crt_a, kind="partner_htsh", organization=ehpad,
                   daily_charge=Decimal("25.00"))
        with pytest.raises(DomainError, match="socle"):
            create(users["coordinator"], crt_a, daily_charge=Decimal("10.00"))

    def test_partner_and_crt_room(self, users, crt_a, crt_b, ehpad):
        with pytest.raises(DomainError, match="structure partenaire") as error:
            create(users["coordinator"], crt_a, kind="partner_htsh")
        assert error.value.field == "organization"
        with pytest.raises(DomainError, match="laissez la structure vide"):
            create(users["coordinator"], crt_a, organization=ehpad)
        with pytest.raises(DomainError, match="Structure inconnue"):
            create(users["coordinator"], crt_a, kind="partner_htsh",
                   organization=OrganizationFactory(crt=crt_b))

    def test_names_are_unique_per_crt(self, users, crt_a, crt_b):
        create(users["coordinator"], crt_a)
        with pytest.raises(DomainError, match="porte déjà ce nom"):
            create(users["coordinator"], crt_a, name="chambre d'urgence")
        create(users["coordinator"], crt_b)

    def test_bad_maximum_stay(self, users, crt_a):
        with pytest.raises(DomainError) as error:
            create(users["coordinator"], crt_a, max_stay_days=0)
        assert error.value.field == "max_stay_days"

    def test_update_is_versioned_and_audited(self, users, crt_a):
        room = create(users["coordinator"], crt_a)
        services.room_update(actor=users["direction"], room=room, version=room.version,
                             max_stay_days=21)
        event = AuditEvent.objects.get(action="room.updated")
        assert event.details == {"max_stay_days": {"avant": "30", "après": "21"}}
        stale = Room.objects.get(pk=room.pk)
        with pytest.raises(ConflictError):
            services.room_update(actor=users["direction"], room=stale, version=1, name="X")


class TestPlaceKept:
    def test_default_then_stated_by_the_crt(self, users, crt_a, crt_b):
        assert selectors.settings_for(crt=crt_a).place_kept_days == 90
        first = services.lodging_settings_update(actor=users["direction"], crt=crt_a,
                                                 version=1, place_kept_days=30)
        services.lodging_settings_update(actor=users["direction"], crt=crt_a,
                                         version=first.version, place_kept_days=45)
        assert selectors.settings_for(crt=crt_a).place_kept_days == 45
        assert selectors.settings_for(crt=crt_b).place_kept_days == 90
        assert LodgingSettings.objects.count() == 1
        with pytest.raises(ConflictError):
            services.lodging_settings_update(actor=users["direction"], crt=crt_a, version=1,
                                             place_kept_days=20)
        with pytest.raises(DomainError):
            services.lodging_settings_update(actor=users["direction"], crt=crt_a, version=2,
                                             place_kept_days=0)

    def test_absences_beyond_the_place_kept_are_flagged(self, users, crt_a, crt_b):
        actor = users["coordinator"]
        rows = {}
        for name, start, kind in (("court", 10, "hospitalisation"), ("long", 40, "temporary_room"),
                                  ("tres_long", 100, "hospitalisation"),
                                  ("autre", 50, "other")):
            b = BeneficiaryFactory(crt=crt_a, birth_name=name.upper())
            e = enrolment(b, admitted_on=date(2024, 1, 1))
            admissions.suspension_start(actor=actor, enrolment=e, kind=kind,
                                        start_date=TODAY - timedelta(days=start), reason="x")
            rows[name] = b
        # Back home: not listed.
        b = BeneficiaryFactory(crt=crt_a, birth_name="RENTRE")
        e = enrolment(b, admitted_on=date(2024, 1, 1))
        admissions.suspension_start(actor=actor, enrolment=e, kind="hospitalisation",
                                    start_date=TODAY - timedelta(days=60),
                                    end_date=TODAY - timedelta(days=1), reason="x")
        settings = services.lodging_settings_update(actor=actor, crt=crt_a, version=1,
                                                    place_kept_days=30)
        exits = selectors.temporary_exits(crt=crt_a, today=TODAY, settings=settings)
        found = {x.suspension.enrolment.beneficiary.birth_name: x for x in exits}
        assert set(found) == {"COURT", "LONG", "TRES_LONG"}
        assert not found["COURT"].place_expired and found["LONG"].place_expired
        assert found["LONG"].kept_until == TODAY - timedelta(days=10)
        assert not found["LONG"].over_three_months  # a room stay, not a hospitalisation
        assert found["TRES_LONG"].over_three_months
        assert selectors.temporary_exits(crt=crt_b, today=TODAY,
                                         settings=selectors.settings_for(crt=crt_b)) == []
