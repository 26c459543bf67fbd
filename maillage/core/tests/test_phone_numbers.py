"""Phone numbers are checked wherever one is typed: a French number, an international one or
a short number, written as people write them; anything else is refused next to the field."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from maillage.admissions.models import Referral
from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.tests.test_file import identity_data, segre  # noqa: F401 (fixture)
from maillage.core.tests.helpers import field_error
from maillage.core.validators import PHONE_MESSAGE, validate_phone


@pytest.mark.parametrize("number", [
    "02 41 92 18 77", "0241921877", "06.12.34.56.78", "06-12-34-56-78", "+33 2 41 92 18 77",
    "+33 (0)2 41 92 18 77", "+44 20 7946 0958", "15", "112", "3919", "116 117", "",
])
def test_numbers_people_write_are_accepted(number):
    validate_phone(number)


@pytest.mark.parametrize("number", [
    "abc", "06 12", "02 41 92 18 7", "02 41 92 18 77 88", "1", "+33", "06 12 34 56 7a",
    "tél. 02 41 92 18 77", "1234567",
])
def test_anything_else_is_refused(number):
    with pytest.raises(ValidationError, match="Numéro de téléphone invalide"):
        validate_phone(number)


def test_a_file_keeps_no_wrong_number(client, users, segre):  # noqa: F811 (fixture)
    client.force_login(users["admin_staff"])
    response = client.post(reverse("beneficiaries:create"),
                           identity_data(segre, phone="abc", mobile="06 12"))
    assert response.status_code == 400
    assert field_error(response, "phone") == PHONE_MESSAGE
    assert field_error(response, "mobile") == PHONE_MESSAGE
    assert not Beneficiary.objects.exists()


def test_a_request_keeps_no_wrong_number(client, users):
    client.force_login(users["coordinator"])
    response = client.post(reverse("admissions:referral_create"), {
        "person_last_name": "Lemaire", "person_first_name": "Odette", "person_phone": "abc",
        "referrer_phone": "02 41"})
    assert response.status_code == 400
    assert field_error(response, "person_phone") == PHONE_MESSAGE
    assert field_error(response, "referrer_phone") == PHONE_MESSAGE
    assert not Referral.objects.exists()
