"""Liaison notebook (visibility, read marks, who may write) and alerts (raise, notify,
acknowledge, resolve)."""

import pytest
from django.urls import reverse

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.care import services
from maillage.care.models import Alert, LiaisonNote
from maillage.core.models import Notification
from maillage.core.tests.helpers import visible_text


def url(name, b, **kwargs):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id, **kwargs})


class TestNotes:
    def test_care_team_member_writes_and_others_read(self, client, users, crt_a):
        b = shared_file(crt_a, users["care_aide"])
        client.force_login(users["care_aide"])
        response = client.post(url("notes", b), {
            "text": "A peu mangé ce midi, se plaint du dos.", "category": "meals",
            "visibility": "team"})
        assert response.status_code == 302
        note = LiaisonNote.objects.get()
        assert note.author_role == "Aide-soignant·e (AS, ASG, AES)"
        client.force_login(users["coordinator"])
        first = visible_text(client.get(url("notes", b)))
        assert "A peu mangé ce midi" in first and "nouvelle" in first
        assert f"{users['care_aide'].get_full_name()} , Aide-soignant·e (AS, ASG, AES) ·" in first
        # The form says who reads a « Cercle de soins » note (the on-call nurses too).
        assert ("« Cercle de soins » : le cercle de soins de la personne, la coordination "
                "(IDEC, médecin coordonnateur) et les infirmiers du CRT") in first
        again = visible_text(client.get(url("notes", b)))
        assert "nouvelle" not in again  # read marks are per reader
        assert note.reads.count() == 2

    @pytest.mark.parametrize("role", ["psychologist", "occupational_therapist", "care_aide"])
    def test_a_care_team_note_stays_in_the_care_team(self, client, users, crt_a, role):
        """« Cercle de soins »: not read by the care aides, psychologists and occupational
        therapists of the CRT who do not follow the person (the coordination and the on-call
        nurses read every person's notebook)."""
        b = shared_file(crt_a, users["care_aide"] if role != "care_aide" else None)
        LiaisonNote.objects.create(crt=crt_a, beneficiary=b, author=users["coordinator"],
                                   text="Chute dans la salle de bains, TA 150/90.",
                                   visibility="team", category="fall")
        services.alert_raise(actor=users["coordinator"], beneficiary=b, kind="fall",
                             severity="high", description="Chute dans la salle de bains.")
        client.force_login(users[role])
        assert client.get(url("notes", b)).status_code == 403
        assert client.get(url("alerts", b)).status_code == 403
        assert b.display_name not in visible_text(client.get(reverse("care:open_alerts")))
        join_care_team(b, users[role])
        assert "Chute dans la salle de bains, TA 150/90." in visible_text(
            client.get(url("notes", b)))
        assert b.display_name in visible_text(client.get(reverse("care:open_alerts")))
        for reader in ("coordinator", "doctor", "nurse"):
            client.force_login(users[reader])
            assert "Chute dans la salle de bains" in visible_text(client.get(url("notes", b)))

    def test_health_only_notes(self, client, users, crt_a):
        b = shared_file(crt_a, users["nurse"])
        client.force_login(users["nurse"])
        client.post(url("notes", b), {"text": "INR à 3,2 : dose adaptée.", "category": "care",
                                      "visibility": "health"})
        client.force_login(users["admin_staff"])
        assert "INR" not in visible_text(client.get(url("notes", b)))
        client.force_login(users["coordinator"])  # not a health professional
        response = client.post(url("notes", b), {"text": "Tension basse", "category": "care",
                                                  "visibility": "health"})
        assert response.status_code == 400
        assert "Seul un professionnel de santé du cercle de soins" in visible_text(response)

    def test_outside_the_care_team_cannot_write(self, client, users, crt_a):
        b = shared_file(crt_a)
        client.force_login(users["care_aide"])  # outside the care team: does not even read
        assert client.post(url("notes", b), {"text": "x", "category": "general",
                                             "visibility": "team"}).status_code == 403
        client.force_login(users["nurse"])  # reads (on-call service), is offered no form
        page = visible_text(client.get(url("notes", b)))
        assert "Seuls les membres du cercle de soins et la coordination écrivent" in page
        assert "Enregistrer la transmission" not in page
        response = client.post(url("notes", b), {"text": "x", "category": "general",
                                                  "visibility": "team"})
        assert response.status_code == 400
        assert "Seuls les membres du cercle de soins" in visible_text(response)
        client.force_login(users["admin_staff"])
        assert client.post(url("notes", b), {"text": "x"}).status_code == 403
        assert not LiaisonNote.objects.exists()

    def test_filters(self, client, users, crt_a):
        b = shared_file(crt_a, users["care_aide"])
        client.force_login(users["care_aide"])
        for category, text in (("fall", "Chute sans gravité"), ("mood", "Très gaie")):
            client.post(url("notes", b), {"text": text, "category": category,
                                          "visibility": "team"})
        page = visible_text(client.get(url("notes", b), {"categorie": "fall"}))
        assert "Chute sans gravité" in page and "Très gaie" not in page

    def test_partner_without_consent_sees_nothing(self, client, users, crt_a):
        from maillage.beneficiaries.tests.factories import join_care_team
        from maillage.core.roles import Role

        b = BeneficiaryFactory(crt=crt_a)
        join_care_team(b, users["partner"], {Role.PARTNER})
        client.force_login(users["partner"])
        assert client.get(url("notes", b)).status_code == 404
        consent(b)
        assert client.get(url("notes", b)).status_code == 200


class TestAlerts:
    def test_raise_notify_acknowledge_resolve(self, client, users, crt_a):
        b = shared_file(crt_a, users["care_aide"])
        from maillage.beneficiaries.tests.factories import join_care_team

        join_care_team(b, users["nurse"])
        users["nurse"].email, users["nurse"].notify_by_email = "ide@example.fr", True
        users["nurse"].save()
        client.force_login(users["care_aide"])
        response = client.post(url("alert_add", b), {
            "kind": "fall", "severity": "high",
            "description": "Retrouvée au sol ce matin, pas de douleur."})
        assert response.status_code == 302
        alert = Alert.objects.get()
        notified = set(Notification.objects.values_list("user__username", flat=True))
        assert {"nurse", "coordinator"} <= notified and "care_aide" not in notified
        client.force_login(users["nurse"])
        assert "Notifications 1" in visible_text(client.get(reverse("core:home")))
        page = visible_text(client.get(reverse("core:notifications")))
        assert f"Alerte élevée — chute : {b.display_name}" in page
        assert client.post(url("alert_acknowledge", b, item_id=alert.public_id),
                           {"version": 1}).status_code == 302
        alert.refresh_from_db()
        assert (alert.status, alert.assignee) == ("acknowledged", users["nurse"])
        resolve = url("alert_resolve", b, item_id=alert.public_id)
        response = client.post(resolve, {"outcome": "", "version": alert.version})
        assert "Indiquez les suites données." in visible_text(response)
        assert client.post(resolve, {"outcome": "Bilan de chute, barre d'appui posée.",
                                     "version": alert.version}).status_code == 302
        alert.refresh_from_db()
        assert alert.status == "resolved"
        assert b.timeline.filter(kind="alert.resolved").exists()

    def test_open_alerts_on_the_coordinator_home(self, client, users, crt_a):
        b = shared_file(crt_a)
        Alert.objects.create(crt=crt_a, beneficiary=b, kind="caregiver_exhaustion",
                             severity="high", description="Fille épuisée")
        client.force_login(users["coordinator"])
        home = visible_text(client.get(reverse("core:home")))
        assert f"{b.display_name} — Épuisement de l'aidant (élevée)" in home
        listing = visible_text(client.get(reverse("care:open_alerts")))
        assert "Épuisement de l'aidant" in listing

    @pytest.mark.parametrize("role", ["care_aide", "admin_staff"])
    def test_only_clinical_roles_manage_alerts(self, client, users, crt_a, role):
        b = shared_file(crt_a, users[role])
        alert = Alert.objects.create(crt=crt_a, beneficiary=b, kind="fall", description="x")
        client.force_login(users[role])
        assert client.post(url("alert_acknowledge", b, item_id=alert.public_id),
                           {"version": 1}).status_code == 403


class TestAlertOfAMeasure:
    """An alert raised by a measure out of the person's thresholds says the measure: health
    data, read by those who read the person's health data or clinical text; a partner who
    follows the coordination only (no health consent) reads that there is one."""

    def _weight_alert(self, users, crt_a, **consented):
        from datetime import timedelta

        from django.utils import timezone

        from maillage.beneficiaries.vitals import vital_sign_record, vital_thresholds_set
        from maillage.core.roles import Role

        b = BeneficiaryFactory(crt=crt_a, birth_name="Aubert")
        join_care_team(b, users["partner"], {Role.PARTNER})
        consent(b, **consented)
        vital_thresholds_set(actor=users["doctor"], beneficiary=b, version=0,
                             body_weight_low=62)
        vital_sign_record(actor=users["nurse"], beneficiary=b, kind="body_weight",
                          value="61.2", measured_at=timezone.now() - timedelta(hours=1))
        return b

    MEASURE = "Poids 61,2 kg sous le seuil de 62 kg"
    HIDDEN = "Mesure hors des seuils de la personne : le détail est réservé à ses professionnels"

    def test_a_partner_without_health_consent_reads_no_measure(self, client, users, crt_a):
        b = self._weight_alert(users, crt_a)
        client.force_login(users["partner"])
        page = visible_text(client.get(url("alerts", b)))
        assert "Constante hors seuil" in page and self.HIDDEN in page
        assert "61,2" not in page and "62 kg" not in page
        client.force_login(users["nurse"])  # the on-call service: clinical text of anyone
        page = visible_text(client.get(url("alerts", b)))
        assert self.MEASURE in page and self.HIDDEN not in page

    def test_with_health_consent_the_partner_s_doctor_reads_it(self, client, users, crt_a):
        b = self._weight_alert(users, crt_a, share_health=True)
        client.force_login(users["partner"])
        assert self.MEASURE in visible_text(client.get(url("alerts", b)))


class TestNotificationsFollowTheFilePolicy:
    """A notification about a person shows (list and badge) only while the user may still see
    that part of the file: a withdrawn consent hides it at once (SPEC §3)."""

    def _partner_told_of_an_alert(self, client, users, crt_a):
        from maillage.core.roles import Role

        b = BeneficiaryFactory(crt=crt_a, birth_name="Aubert", first_name="Gérard")
        member = join_care_team(b, users["partner"], {Role.PARTNER})
        join_care_team(b, users["nurse"])
        given = consent(b, share_health=True)
        services.alert_raise(actor=users["care_aide"], beneficiary=b, kind="fall",
                             severity="high", description="Au sol ce matin.")
        return b, given, member

    def test_withdrawn_consent_hides_the_partners_notifications(self, client, users, crt_a):
        """The partner had opened the notifications (read): after the withdrawal they no longer
        show, while the CRT's nurse still sees hers."""
        from maillage.beneficiaries.services import consent_withdraw

        b, given, _ = self._partner_told_of_an_alert(client, users, crt_a)
        told = f"Alerte élevée — chute : {b.display_name}"
        client.force_login(users["partner"])
        assert "Notifications 1" in visible_text(client.get(reverse("core:home")))
        assert told in visible_text(client.get(reverse("core:notifications")))  # now read
        consent_withdraw(actor=users["coordinator"], consent=given, reason="Demande orale")
        page = visible_text(client.get(reverse("core:notifications")))
        assert told not in page and "AUBERT" not in page
        client.force_login(users["nurse"])
        assert "Notifications 1" in visible_text(client.get(reverse("core:home")))
        assert told in visible_text(client.get(reverse("core:notifications")))

    def test_leaving_the_care_team_hides_them_and_the_badge(self, client, users, crt_a):
        from datetime import timedelta

        from django.utils import timezone

        from maillage.beneficiaries.services import care_team_end

        b, _, member = self._partner_told_of_an_alert(client, users, crt_a)
        care_team_end(actor=users["coordinator"], member=member, version=member.version,
                      end_date=timezone.localdate() - timedelta(days=1))
        client.force_login(users["partner"])
        assert "Notifications 1" not in visible_text(client.get(reverse("core:home")))
        assert "AUBERT" not in visible_text(client.get(reverse("core:notifications")))

    def test_the_badge_counts_what_the_reader_may_see(self, client, users, crt_a):
        """Unread: one about no one, one about a person the partner follows, one about a person
        whose file is closed to them; the badge says 2, and 1 once the first two are read."""
        from maillage.core.notifications import notify, unread_count

        b, _, _ = self._partner_told_of_an_alert(client, users, crt_a)  # unread: visible
        hidden = BeneficiaryFactory(crt=crt_a, birth_name="Caron")
        notify(crt=crt_a, users=[users["partner"]], text="Chute de Mme Caron", url="/",
               beneficiary=hidden, face="liaison")
        notify(crt=crt_a, users=[users["partner"]], text="Réunion d'équipe", url="/")
        client.force_login(users["partner"])
        assert "Notifications 2" in visible_text(client.get(reverse("core:home")))
        assert unread_count(user=users["partner"], crt=crt_a, roles={"partner"}) == 2
        notify(crt=crt_a, users=[users["partner"]], text="Avis de passage", url="/",
               beneficiary=b, face="")  # any face of a visible person
        assert unread_count(user=users["partner"], crt=crt_a, roles={"partner"}) == 3
        client.get(reverse("core:notifications"))  # read
        notify(crt=crt_a, users=[users["partner"]], text="Autre réunion", url="/")
        assert "Notifications 1" in visible_text(client.get(reverse("core:home")))

    def test_the_badge_without_a_person_is_one_query(self, users, crt_a,
                                                     django_assert_num_queries):
        from maillage.core.notifications import notify, unread_count

        notify(crt=crt_a, users=[users["nurse"]], text="Réunion d'équipe", url="/")
        with django_assert_num_queries(1):
            assert unread_count(user=users["nurse"], crt=crt_a, roles={"nurse"}) == 1

    def test_the_list_is_bounded(self, client, users, crt_a, django_assert_max_num_queries):
        from maillage.core.notifications import notify

        for i in range(30):
            b = shared_file(crt_a, users["nurse"])
            notify(crt=crt_a, users=[users["nurse"]], text=f"Avis {i:02d}", url="/",
                   beneficiary=b, face="liaison" if i % 2 else "health")
        notify(crt=crt_a, users=[users["nurse"]], text="Avis sans personne", url="/")
        client.force_login(users["nurse"])
        client.get(reverse("core:notifications"))
        with django_assert_max_num_queries(8):
            page = visible_text(client.get(reverse("core:notifications")))
        assert "Avis 00" in page and "Avis 29" in page and "Avis sans personne" in page

    def test_notifications_sent_before_are_tied_to_their_person(self, client, users, crt_a):
        """The migration ties the earlier notifications to the person their link names (the
        portal's notices excepted), so that they follow the policy too."""
        import importlib

        from django.apps import apps

        from maillage.core.roles import Role

        migration = importlib.import_module(
            "maillage.beneficiaries.migrations.0010_notification_subjects")
        b = BeneficiaryFactory(crt=crt_a, birth_name="Aubert", first_name="Gérard")
        join_care_team(b, users["partner"], {Role.PARTNER})
        old = Notification.objects.create(crt=crt_a, user=users["partner"],
                                          text=f"Alerte élevée — chute : {b.display_name}",
                                          url=url("alerts", b))
        portal = Notification.objects.create(crt=crt_a, user=users["caregiver"], text="Passage",
                                             url=reverse("portal:file", args=[b.public_id]))
        migration.fill(apps, None)
        old.refresh_from_db()
        portal.refresh_from_db()
        assert (old.beneficiary_public_id, old.face) == (b.public_id, "")
        assert portal.beneficiary_public_id is None
        client.force_login(users["partner"])  # no consent: not shown
        assert "AUBERT" not in visible_text(client.get(reverse("core:notifications")))
        consent(b)
        assert "AUBERT" in visible_text(client.get(reverse("core:notifications")))
