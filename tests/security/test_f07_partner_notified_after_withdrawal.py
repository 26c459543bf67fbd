"""Finding 7: a partner was still notified of a person's alerts after the person withdrew their
consent to share with that partner. Now notifications follow the same policy as reading, and
the withdrawal takes back the unread notices in its own transaction."""

from django.urls import reverse

from maillage.beneficiaries.models import Consent
from maillage.beneficiaries.services import consent_withdraw
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, join_care_team
from maillage.care.services.liaison import alert_raise
from maillage.core.models import Notification
from maillage.core.roles import Role


def _alert(b, users, text):
    return alert_raise(actor=users["care_aide"], beneficiary=b, kind="fall", severity="high",
                       description=text)


def test_withdrawal_stops_partner_notifications(client, users, crt_a):
    b = BeneficiaryFactory(crt=crt_a)
    sharing = consent(b, share_health=True)
    join_care_team(b, users["partner"], {Role.PARTNER})
    join_care_team(b, users["nurse"])
    partner = users["partner"]

    _alert(b, users, "Chute dans la salle de bains")
    assert Notification.objects.filter(user=partner).count() == 1
    client.force_login(partner)
    assert client.get(reverse("care:alerts", kwargs={"public_id": b.public_id})).status_code \
        == 200

    consent_withdraw(actor=users["coordinator"], consent=sharing, reason="Refus du partage")
    assert Consent.objects.get(pk=sharing.pk).withdrawn_at is not None
    # The unread notice naming the person is taken back, in the same transaction.
    assert not Notification.objects.filter(user=partner).exists()
    assert client.get(reverse("core:notifications")).status_code == 200
    assert b.birth_name not in client.get(reverse("core:notifications")).content.decode()

    _alert(b, users, "Nouvelle chute")
    assert not Notification.objects.filter(user=partner).exists()
    # The CRT's nurse of the care team is still told.
    assert Notification.objects.filter(user=users["nurse"]).count() == 2
    # And the partner's access ended at once.
    assert client.get(reverse("care:alerts", kwargs={"public_id": b.public_id})).status_code \
        == 404
