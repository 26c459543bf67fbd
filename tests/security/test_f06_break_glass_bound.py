"""Finding 6: break-the-glass was not bound to the call's person (an open call about anyone
opened any file), and a care aide could open it without being on the on-call rota.

Now the glass breaks only for the professional on the rota at that moment, who answered or
travels for an open call, on the person of that call, with a stated reason; it lasts until
the end of the call + 2 hours, and is audited as an emergency access."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import MedicalRecord
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.oncall import services
from maillage.oncall.models import BreakGlass, Call
from maillage.oncall.tests.factories import call, shift

REASON = "Chute la nuit, la téléassistance appelle, personne inconnue de moi"


def _person(crt, allergies):
    b = BeneficiaryFactory(crt=crt)
    MedicalRecord.objects.update_or_create(crt=crt, beneficiary=b,
                                           defaults={"allergies": allergies})
    return b


def _url(b):
    return reverse("oncall:person", kwargs={"public_id": b.public_id})


@pytest.fixture
def people(crt_a):
    return _person(crt_a, "Iode"), _person(crt_a, "Latex")


def test_a_call_about_a_does_not_open_b(crt_a, users, client, people):
    a, b = people
    shift(crt_a, users["nurse"])
    call(crt_a, users["nurse"], a)
    client.force_login(users["nurse"])
    response = client.post(_url(b), {"reason": REASON})
    assert response.status_code in (400, 403)
    assert not BreakGlass.objects.exists()
    assert "Latex" not in visible_text(client.get(_url(b)))
    # The call's person must be known: a call about nobody opens nobody.
    call(crt_a, users["nurse"])
    assert client.post(_url(b), {"reason": REASON}).status_code in (400, 403)
    assert not BreakGlass.objects.exists()


def test_a_care_aide_off_the_rota_cannot_break_the_glass(crt_a, users, client, people):
    a, _ = people
    item = call(crt_a, users["care_aide"], a)
    client.force_login(users["care_aide"])
    response = client.post(_url(a), {"reason": REASON})
    assert response.status_code in (400, 403)
    assert not BreakGlass.objects.exists()
    assert "Iode" not in visible_text(client.get(_url(a)))
    with pytest.raises(Exception):  # noqa: B017,PT011 - the service refuses too
        services.break_glass(actor=users["care_aide"], call=item, beneficiary=a,
                             reason=REASON)
    assert not BreakGlass.objects.exists()


def test_the_glass_lasts_until_two_hours_after_the_call(crt_a, users, client, people):
    a, _ = people
    shift(crt_a, users["nurse"])
    item = call(crt_a, users["nurse"], a)
    client.force_login(users["nurse"])
    assert "Iode" not in visible_text(client.get(_url(a)))
    response = client.post(_url(a), {"reason": REASON})
    assert response.status_code == 302
    glass = BreakGlass.objects.get()
    assert glass.beneficiary == a and glass.call == item
    event = AuditEvent.objects.get(action="oncall.break_glass")
    assert event.is_emergency_access and event.reason == REASON
    assert "Iode" in visible_text(client.get(_url(a)))
    dlu = reverse("oncall:dlu", kwargs={"public_id": a.public_id})
    assert client.get(dlu).status_code == 200

    item.outcome = "stayed_home"
    item.save()
    services.call_close(actor=users["nurse"], call=item, version=item.version)
    assert "Iode" in visible_text(client.get(_url(a)))  # writing up, just after the call

    Call.objects.filter(pk=item.pk).update(
        closed_at=timezone.now() - timedelta(hours=1, minutes=55))
    assert "Iode" in visible_text(client.get(_url(a)))
    Call.objects.filter(pk=item.pk).update(
        closed_at=timezone.now() - timedelta(hours=2, minutes=1))
    assert "Iode" not in visible_text(client.get(_url(a)))
    assert client.get(dlu).status_code == 403


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(crt_a, users, client, people, reason):
    a, _ = people
    shift(crt_a, users["nurse"])
    call(crt_a, users["nurse"], a)
    client.force_login(users["nurse"])
    response = client.post(_url(a), {"reason": reason})
    assert response.status_code == 400
    assert "Indiquez le motif de l'accès en urgence." in visible_text(response)
    assert not BreakGlass.objects.exists()
