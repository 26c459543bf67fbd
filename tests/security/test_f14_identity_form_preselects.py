"""Finding 14: the identity form did not preselect the person's commune (the choice list is
keyed by public id, the initial value was the database id): saving the form unchanged changed
or blanked it. The form now shows every current value, and saving it unchanged changes
nothing."""

import re
from html.parser import HTMLParser

from django.urls import reverse

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.territory.tests.factories import CommuneFactory


class _FormValues(HTMLParser):
    """What a browser would submit for the form of the page, untouched."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._textarea = None
        self._first_option: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "on")
            else:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            self._first_option.setdefault(self._select, a.get("value", ""))
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            # No option selected: the browser sends the first one.
            self.values.setdefault(self._select, self._first_option.get(self._select, ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def test_identity_form_preselects_and_keeps_the_commune(client_for, crt_a):
    # Alphabetically first: what the browser falls back to when nothing is selected.
    CommuneFactory(crt=crt_a, name="Angers", insee_code="49007", postal_code="49000")
    home = CommuneFactory(crt=crt_a, name="Segré-en-Anjou Bleu", insee_code="49331",
                          postal_code="49500")
    b = BeneficiaryFactory(crt=crt_a, commune=home, birth_place_code="49007",
                           used_name="MARTIN", phone="02 41 00 00 00")
    client = client_for("coordinator")
    url = reverse("beneficiaries:identity_edit", kwargs={"public_id": b.public_id})
    page = client.get(url).content.decode()

    option = re.search(f'<option value="{home.public_id}"[^>]*>', page)
    assert option is not None and "selected" in option.group(0)
    parser = _FormValues()
    parser.feed(page)
    values = parser.values
    assert values["commune"] == str(home.public_id)
    assert values["birth_place_code"] == "49007"
    assert values["birth_date"] == "1938-05-12"
    assert values["used_name"] == "MARTIN"

    values.pop("csrfmiddlewaretoken", None)
    response = client.post(url, values)
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.commune == home
    assert b.birth_place_code == "49007"
    assert b.used_name == "MARTIN"
    assert b.phone == "02 41 00 00 00"
