"""Finding 9: the anonymous public referral answered 500 for a birth date of 31/12/9999 and
accepted 01/01/0001. Birth dates are now between 01/01/1900 and today in every form, visit and
rota dates within sane bounds, and absurd input gets a French message next to the field."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Referral
from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, shared_file
from maillage.core.tests.helpers import visible_text
from maillage.oncall.models import Shift
from maillage.territory.tests.factories import CommuneFactory
from maillage.visits.models import Visit

BIRTH_BOUNDS = "entre le 01/01/1900 et aujourd'hui"
BAD_BIRTH_DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "0000-01-01", "99999-01-01",
                   "-1-01-01", "1936-02-30", "hier", "1936-04-02T00:00", "2" * 400]


def _public_data(**changes):
    return {
        "referrer_kind": "caregiver", "referrer_name": "Sophie Lemaire",
        "referrer_email": "sophie.lemaire@example.fr", "person_last_name": "Lemaire",
        "person_first_name": "Odette", "person_birth_date": "1936-04-02",
        "person_commune_name": "Candé", "reason": "Ma mère tombe souvent et vit seule.",
        "person_agrees": "on", **changes,
    }


@pytest.fixture
def cande(crt_a):
    return CommuneFactory(crt=crt_a, name="Candé")


class TestPublicReferral:
    def url(self, crt):
        return reverse("admissions:public_referral", kwargs={"crt_id": crt.public_id})

    @pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31"])
    def test_out_of_bounds_birth_date_refused_next_to_the_field(self, client, crt_a, cande,
                                                                value):
        response = client.post(self.url(crt_a), _public_data(person_birth_date=value))
        assert response.status_code == 400
        page = visible_text(response)
        assert "La date de naissance doit être comprise " + BIRTH_BOUNDS in page
        assert 'id="id_person_birth_date_errors"' in response.content.decode()
        assert not Referral.objects.exists()

    def test_tomorrow_refused(self, client, crt_a, cande):
        tomorrow = timezone.localdate() + timedelta(days=1)
        response = client.post(self.url(crt_a),
                               _public_data(person_birth_date=tomorrow.isoformat()))
        assert response.status_code == 400
        assert BIRTH_BOUNDS in visible_text(response)
        assert not Referral.objects.exists()

    @pytest.mark.parametrize("value", BAD_BIRTH_DATES)
    def test_absurd_values_never_500(self, client, crt_a, cande, value):
        response = client.post(self.url(crt_a), _public_data(person_birth_date=value))
        assert response.status_code == 400
        assert "date de naissance" in visible_text(response).lower()
        assert not Referral.objects.exists()

    def test_bounds_themselves_accepted(self, client, crt_a, cande):
        for value in ("1900-01-01", timezone.localdate().isoformat()):
            response = client.post(self.url(crt_a), _public_data(person_birth_date=value))
            assert response.status_code == 302, value
        assert Referral.objects.count() == 2


@pytest.mark.parametrize("value", BAD_BIRTH_DATES)
def test_internal_referral(client_for, crt_a, cande, value):
    response = client_for("coordinator").post(reverse("admissions:referral_create"), {
        "person_last_name": "Lemaire", "person_first_name": "Odette",
        "person_birth_date": value, "person_commune": cande.public_id,
        "referrer_kind": "caregiver", "referrer_name": "Sophie Lemaire",
        "reason": "Chutes", "urgency": "normal", "person_agrees": "on"})
    assert response.status_code == 400
    assert "date de naissance" in visible_text(response).lower()
    assert not Referral.objects.exists()


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "0000-01-01",
                                   "99999-01-01"])
def test_identity_forms(client_for, crt_a, value):
    b = BeneficiaryFactory(crt=crt_a)
    identity = {
        "birth_name": "HAMON", "first_names": "Jeanne", "first_name": "Jeanne",
        "birth_date": value, "sex": "F", "birth_place_code": "49331",
        "identity_status": "PROV", "address": "3 rue des Lilas",
        "commune": str(b.commune.public_id),
    }
    client = client_for("coordinator")
    response = client.post(
        reverse("beneficiaries:identity_edit", kwargs={"public_id": b.public_id}),
        {**identity, "version": b.version})
    assert response.status_code == 400
    assert "date de naissance" in visible_text(response).lower()
    b.refresh_from_db()
    assert b.birth_date == date(1938, 5, 12)

    response = client.post(reverse("beneficiaries:create"), identity)
    assert response.status_code == 400
    assert "date de naissance" in visible_text(response).lower()
    assert Beneficiary.objects.count() == 1


@pytest.mark.parametrize("value", ["1999-12-31", "0001-01-01", "9999-12-31", "99999-01-01"])
def test_visit_dates_within_bounds(client_for, crt_a, users, value):
    b = shared_file(crt_a, users["care_aide"])
    response = client_for("coordinator").post(
        reverse("visits:plan", kwargs={"public_id": b.public_id}),
        {"start_date": value, "times": "08:00", "duration_minutes": 30,
         "staff": users["care_aide"].public_id, "place": "home", "recurrence": "once"})
    assert response.status_code == 400
    assert "date" in visible_text(response).lower()
    assert not Visit.objects.exists()


def test_visit_more_than_two_years_ahead_refused(client_for, crt_a, users):
    b = shared_file(crt_a, users["care_aide"])
    far = timezone.localdate() + timedelta(days=2 * 366 + 1)
    response = client_for("coordinator").post(
        reverse("visits:plan", kwargs={"public_id": b.public_id}),
        {"start_date": far.isoformat(), "times": "08:00", "duration_minutes": 30,
         "staff": users["care_aide"].public_id, "place": "home", "recurrence": "once"})
    assert response.status_code == 400
    assert "deux ans" in visible_text(response)
    assert not Visit.objects.exists()


@pytest.mark.parametrize("value", ["1999-12-31", "9999-12-31", "0001-01-01"])
def test_rota_dates_within_bounds(client_for, users, value):
    response = client_for("coordinator").post(reverse("oncall:shift_add"), {
        "preset": "night", "first_day": value, "days": 1,
        "staff": users["nurse"].public_id, "duty": "answer"})
    assert response.status_code == 400
    assert not Shift.objects.exists()
