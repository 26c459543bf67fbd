"""The cards of « Mes passages » (``visits.cards``), built in Python: what each shows, its
links, and every value escaped as a template would."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.tests.helpers import visible_text
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()


@time_machine.travel(local_dt(TODAY, "10:00"), tick=False)
def test_each_card_says_what_and_where_with_its_links_and_escapes_what_was_typed(
        client, crt_a, users):
    aide = users["care_aide"]
    person = shared_file(crt_a, aide)
    person.address = "3 rue <b>des Lilas</b>"
    person.save()
    done = visit(person, aide, starts_at=local_dt(TODAY, "08:00"), status=Visit.Status.DONE,
                 actual_start=local_dt(TODAY, "08:05"), actual_end=local_dt(TODAY, "08:35"))
    now = visit(person, aide, starts_at=local_dt(TODAY, "10:30"), two_person=True,
                instructions="Clé chez <script>la voisine</script>")
    later = visit(person, aide, starts_at=local_dt(TODAY, "16:00"))
    client.force_login(aide)
    response = client.get(reverse("visits:my_day"))
    html = response.content.decode()
    text = visible_text(response)
    name = person.display_name
    assert f"08:00–08:30 · {name}" in text and "Réalisé 08:05–08:35" in text
    assert "À deux Passage — 3 rue <b>des Lilas</b>" in text
    assert "&lt;b&gt;des Lilas&lt;/b&gt;" in html and "<script>la voisine" not in html
    assert "Consignes : Clé chez <script>la voisine</script>" in text
    # Traced from an hour before its start: 10:30 now, 16:00 from 15:00.
    assert f'href="{reverse("visits:trace_done", args=[now.public_id])}"' in html
    assert f"Réalisé : {name} à 10:30" in text
    assert f"Se trace à partir du {TODAY:%d/%m} à 15:00." in text
    assert reverse("visits:trace_done", args=[later.public_id]) not in html
    assert reverse("visits:trace_done", args=[done.public_id]) not in html
    assert html.count(f'href="{reverse("care:notes", args=[person.public_id])}"') == 3
    assert html.count('<h2 class="h5 card-title mb-1"') == 3


@time_machine.travel(local_dt(TODAY, "20:00"), tick=False)
def test_a_visit_after_midnight_says_its_day_under_the_night_s_heading(client, crt_a, users):
    nurse = users["nurse"]
    person = shared_file(crt_a, nurse)
    visit(person, nurse, starts_at=local_dt(TODAY, "23:00"))
    late = visit(person, nurse, starts_at=local_dt(TODAY + timedelta(days=1), "01:30"))
    client.force_login(nurse)
    response = client.get(reverse("visits:my_day"))
    text = visible_text(response)
    assert "Ce soir et cette nuit" in text and "23:00–23:30 ·" in text
    assert f"01:30–02:00 ({date_format(timezone.localtime(late.starts_at), 'l d/m')}) ·" in text
    assert response.content.decode().count('<h3 class="h5 card-title mb-1"') == 2
