"""A validated plan leads on to booking the visits it plans: « Planifier un passage » on the
plan's page, and on each line of the basket with its service already chosen in the booking
form — for who may book visits (``visit.plan``), never on a plan still in draft."""

import re

from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.tests.helpers import visible_text

from . import factories as f


def plan_page(client, b) -> str:
    return client.get(reverse("care:plan", kwargs={"public_id": b.public_id})).content.decode()


def booking_url(b) -> str:
    return reverse("visits:plan", kwargs={"public_id": b.public_id})


def test_a_validated_plan_links_to_the_booking_form_with_the_service(client, users, crt_a):
    b = shared_file(crt_a)
    f.plan_version(b, status="validated")
    svc = f.service(crt_a, name="Toilette et lever")
    f.basket_item(b, svc)
    client.force_login(users["coordinator"])
    html = plan_page(client, b)
    assert re.search(rf'<a [^>]*href="{booking_url(b)}"[^>]*>Planifier un passage</a>', html)
    line = f"{booking_url(b)}?prestation={svc.public_id}"
    assert re.search(rf'<a href="{re.escape(line)}">Planifier un passage<span '
                     r'class="visually-hidden"> : Toilette et lever</span></a>', html)
    form = client.get(line)
    assert form.status_code == 200
    assert "Planifier un passage — " in visible_text(form)
    assert re.search(rf'<option value="{svc.public_id}" selected>Toilette et lever</option>',
                     form.content.decode())


def test_no_link_on_a_draft_nor_for_who_may_not_book(client, users, crt_a):
    b = shared_file(crt_a, users["doctor"], ("doctor",))
    draft = f.plan_version(b)
    f.basket_item(b)
    client.force_login(users["coordinator"])
    assert "Planifier un passage" not in plan_page(client, b)
    draft.status = "validated"
    draft.save()
    assert "Planifier un passage" in plan_page(client, b)
    client.force_login(users["doctor"])  # writes plans, does not book visits
    response = client.get(reverse("care:plan", kwargs={"public_id": b.public_id}))
    assert "Version en vigueur : version 1" in visible_text(response)
    html = response.content.decode()
    assert "Planifier un passage" not in html and booking_url(b) not in html


def test_an_unknown_or_withdrawn_service_opens_the_form_without_it(client, users, crt_a):
    b = shared_file(crt_a)
    withdrawn = f.service(crt_a, name="Ancienne prestation", is_active=False)
    client.force_login(users["coordinator"])
    for value in ("pas-un-identifiant", withdrawn.public_id):
        form = client.get(booking_url(b), {"prestation": value})
        assert form.status_code == 200
        service_field = re.search(r'<select name="service".*?</select>',
                                  form.content.decode(), re.S).group(0)
        assert '<option value="" selected>—</option>' in service_field
