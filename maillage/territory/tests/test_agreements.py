"""Partner agreements: recording and versioned edits, the signed PDF, the reminders 90 and 30
days before the end (frozen ``today``), tacit renewal at the end date, the partners that
intervene without an agreement, and who sees what."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import PDF, BeneficiaryFactory
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import sqlite_plan, table_text, visible_text
from maillage.territory import selectors, services
from maillage.territory.access import agreements_visible, can_view_agreement
from maillage.territory.models import Agreement

from .factories import OrganizationFactory, ProfessionalFactory, agreement

TODAY = date(2026, 3, 10)


def form_data(org, **changes):
    data = {
        "title": "Convention SSIAD", "subject": "home_care",
        "organizations": [str(org.public_id)], "starts_on": "2025-01-01",
        "ends_on": "2026-12-31", "tacit_renewal": "on", "renewal_months": "12",
        "financial_terms": "15 € par bénéficiaire et par mois", "status": "signed",
        "signed_on": "2024-12-15", "terminated_on": "", "notes": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def who(user, role):
    return {"user": user, "roles": frozenset({role})}


class TestRecording:
    def test_coordinator_records_an_agreement_with_its_signed_pdf(self, client, users, crt_a):
        ssiad = OrganizationFactory(crt=crt_a, kind="ssiad", name="SSIAD du Segréen")
        client.force_login(users["coordinator"])
        pdf = SimpleUploadedFile("convention signée.pdf", PDF, content_type="application/pdf")
        response = client.post(reverse("territory:agreement_create"),
                               {**form_data(ssiad), "file": pdf})
        assert response.status_code == 302, visible_text(response)
        a = Agreement.objects.get(crt=crt_a)
        assert list(a.organizations.all()) == [ssiad] and a.renewal_months == 12
        page = visible_text(client.get(response["Location"]))
        assert "SSIAD du Segréen" in page and "Tacite, par période de 12 mois" in page
        assert "du 01/01/2025 au 31/12/2026" in page
        download = client.get(reverse("territory:agreement_download", args=[a.public_id]))
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content) == PDF
        assert AuditEvent.objects.filter(action="agreement.downloaded").count() == 1
        assert AuditEvent.objects.filter(action="agreement.created", crt=crt_a).exists()

    @pytest.mark.parametrize(("changes", "field_message"), [
        ({"ends_on": "2024-12-31"}, "La fin de la convention ne peut pas précéder son début."),
        ({"renewal_months": ""}, "Indiquez la durée de chaque reconduction, en mois."),
        ({"ends_on": ""}, "Une convention à reconduction tacite a une date de fin"),
        ({"signed_on": ""}, "Indiquez la date de signature."),
        ({"status": "terminated"}, "Indiquez la date de résiliation."),
        ({"starts_on": "01/13/2025"}, "Date invalide"),
        ({"organizations": []}, "Choisissez au moins une structure partenaire."),
        ({"title": ""}, "Indiquez l'intitulé de la convention."),
    ])
    def test_bad_input_is_refused_next_to_the_field(self, client, users, crt_a, changes,
                                                    field_message):
        ssiad = OrganizationFactory(crt=crt_a, kind="ssiad")
        client.force_login(users["coordinator"])
        response = client.post(reverse("territory:agreement_create"),
                               form_data(ssiad, **changes))
        assert response.status_code == 400
        assert field_message in visible_text(response)
        assert not Agreement.objects.exists()

    def test_a_file_that_is_not_a_pdf_is_refused(self, client, users, crt_a):
        ssiad = OrganizationFactory(crt=crt_a, kind="ssiad")
        client.force_login(users["coordinator"])
        fake = SimpleUploadedFile("convention.pdf", b"<html><script>alert(1)</script></html>",
                                  content_type="application/pdf")
        response = client.post(reverse("territory:agreement_create"),
                               {**form_data(ssiad), "file": fake})
        assert response.status_code == 400
        assert "Type de fichier refusé" in visible_text(response)
        assert not Agreement.objects.exists()

    def test_another_crt_partner_cannot_be_chosen(self, client, users, crt_a, crt_b):
        theirs = OrganizationFactory(crt=crt_b)
        client.force_login(users["coordinator"])
        response = client.post(reverse("territory:agreement_create"), form_data(theirs))
        assert response.status_code == 400
        assert "Choisissez les structures dans la liste." in visible_text(response)

    def test_versioned_edit_and_stale_conflict(self, client, users, crt_a):
        a = agreement(crt_a, title="Convention DAC", subject="dac", tacit_renewal=False)
        org = a.organizations.get()
        client.force_login(users["direction"])
        url = reverse("territory:agreement_edit", args=[a.public_id])
        data = form_data(org, title="Convention DAC 2026", subject="dac", tacit_renewal=None,
                         renewal_months="", version=str(a.version))
        assert client.post(url, data).status_code == 302
        a.refresh_from_db()
        assert (a.title, a.version) == ("Convention DAC 2026", 2)
        event = AuditEvent.objects.get(action="agreement.updated")
        assert event.details["title"] == {"avant": "Convention DAC",
                                          "après": "Convention DAC 2026"}
        # The same form again, loaded at version 1: a conflict, nothing written.
        stale = client.post(url, {**data, "title": "Écrasée"})
        assert stale.status_code == 409
        a.refresh_from_db()
        assert a.title == "Convention DAC 2026"
        with pytest.raises(ConflictError):
            services.agreement_update(actor=users["coordinator"], agreement=a, version=1,
                                      organizations=[org], title="X")

    def test_end_before_start_refused_by_the_service(self, users, crt_a):
        org = OrganizationFactory(crt=crt_a)
        with pytest.raises(DomainError) as error:
            services.agreement_create(
                actor=users["coordinator"], crt=crt_a, organizations=[org], title="T",
                subject="dac", starts_on=date(2026, 1, 1), ends_on=date(2025, 1, 1))
        assert error.value.field == "ends_on"


class TestReminders:
    def test_reminders_at_90_and_30_days_with_a_frozen_today(self, users, crt_a):
        coord = who(users["coordinator"], "coordinator")
        in_95 = agreement(crt_a, title="Dans 95 jours", ends_on=TODAY + timedelta(days=95))
        in_90 = agreement(crt_a, title="Dans 90 jours", ends_on=TODAY + timedelta(days=90))
        in_31 = agreement(crt_a, title="Dans 31 jours", ends_on=TODAY + timedelta(days=31))
        in_30 = agreement(crt_a, title="Dans 30 jours", ends_on=TODAY + timedelta(days=30),
                          tacit_renewal=True, renewal_months=12)
        agreement(crt_a, title="Brouillon", ends_on=TODAY + timedelta(days=10), status="draft",
                  signed_on=None)
        agreement(crt_a, title="Déjà passée", ends_on=TODAY - timedelta(days=1))
        reminders = selectors.agreement_reminders(crt=crt_a, **coord, today=TODAY)
        assert [(r.agreement, r.days_left, r.urgent) for r in reminders] == [
            (in_30, 30, True), (in_31, 31, False), (in_90, 90, False)]
        assert in_95 not in [r.agreement for r in reminders]
        # 89 days later, the first one is no longer due and the « 90 » one has become urgent.
        later = selectors.agreement_reminders(crt=crt_a, **coord, today=TODAY + timedelta(60))
        assert [(r.agreement.title, r.days_left, r.urgent) for r in later] == [
            ("Dans 90 jours", 30, True), ("Dans 95 jours", 35, False)]

    def test_the_reminder_shows_on_the_coordinator_s_home_not_the_nurse_s(
            self, client, users, crt_a):
        today = timezone.localdate()
        agreement(crt_a, title="Convention DAC du Segréen", ends_on=today + timedelta(days=20))
        agreement(crt_a, title="Convention nuit", ends_on=today + timedelta(days=80),
                  tacit_renewal=True, renewal_months=12)
        client.force_login(users["coordinator"])
        home = visible_text(client.get(reverse("core:home")))
        assert "Conventions à renouveler" in home
        assert "Moins de 30 jours : Convention DAC du Segréen" in home
        assert "prend fin le" in home and "dans 20 jours" in home
        assert "reconduite tacitement le" in home and "sauf dénonciation" in home
        client.force_login(users["direction"])
        assert "Conventions à renouveler" in visible_text(client.get(reverse("core:home")))
        client.force_login(users["nurse"])
        assert "Conventions à renouveler" not in visible_text(client.get(reverse("core:home")))


class TestRenewal:
    def test_tacit_renewal_moves_the_end_and_others_expire(self, crt_a):
        renewed = agreement(crt_a, title="Reconduite", ends_on=date(2026, 1, 31),
                            tacit_renewal=True, renewal_months=12)
        long_ago = agreement(crt_a, title="Reconduite deux fois", starts_on=date(2023, 7, 1),
                             ends_on=date(2024, 6, 30),
                             tacit_renewal=True, renewal_months=12)
        ended = agreement(crt_a, title="Sans reconduction", ends_on=date(2026, 3, 9))
        running = agreement(crt_a, title="En cours", ends_on=TODAY)
        assert services.agreements_roll_over(today=TODAY) == 3
        for a in (renewed, long_ago, ended, running):
            a.refresh_from_db()
        assert (renewed.ends_on, renewed.status) == (date(2027, 1, 31), "signed")
        assert long_ago.ends_on == date(2026, 6, 30)
        assert ended.status == "expired" and running.status == "signed"
        assert AuditEvent.objects.filter(action="agreement.renewed").count() == 2
        assert AuditEvent.objects.filter(action="agreement.expired").count() == 1
        assert services.agreements_roll_over(today=TODAY) == 0

    def test_the_nightly_task_runs_it_once_a_day(self, crt_a):
        from maillage.core.models import PeriodicRun
        from maillage.territory.tasks import agreements_daily

        ended = agreement(crt_a, ends_on=timezone.localdate() - timedelta(days=1))
        agreements_daily()  # the queue runs it (at once in tests)
        agreements_daily()  # a second worker, same day: refused
        ended.refresh_from_db()
        assert ended.status == "expired"
        assert PeriodicRun.objects.get(name="agreements_daily").skipped == 1

    def test_add_months_keeps_the_end_of_month(self):
        assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert services.add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_agreements_in_force_during_a_period(crt_a, crt_b):
    start, end = date(2025, 1, 1), date(2025, 6, 30)
    names = {
        "whole": agreement(crt_a, starts_on=date(2024, 1, 1), ends_on=date(2025, 12, 31)),
        "ended in": agreement(crt_a, starts_on=date(2024, 1, 1), ends_on=date(2025, 2, 1),
                              status="expired"),
        "terminated in": agreement(crt_a, starts_on=date(2024, 1, 1), status="terminated",
                                   terminated_on=date(2025, 3, 1)),
        "renewed": agreement(crt_a, starts_on=date(2023, 1, 1), ends_on=date(2024, 1, 1),
                             tacit_renewal=True, renewal_months=12),
    }
    out = [agreement(crt_a, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31),
                     status="expired"),
           agreement(crt_a, starts_on=date(2025, 7, 1)),
           agreement(crt_a, status="draft", signed_on=None),
           agreement(crt_a, starts_on=date(2024, 1, 1), status="terminated",
                     terminated_on=date(2024, 12, 1)),
           agreement(crt_b)]
    found = set(selectors.agreements_in_force_during(crt=crt_a, start=start, end=end))
    assert found == set(names.values())
    assert not found & set(out)


class TestPartnersWithoutAgreement:
    def _intervene(self, crt, org, *, enrolled=True, ended=False):
        from maillage.admissions.tests.factories import enrolment

        b = BeneficiaryFactory(crt=crt)
        e = enrolment(b)
        if not enrolled:
            e.ended_on = e.admitted_on
            e.save()
        pro = ProfessionalFactory(crt=crt, organization=org)
        CareTeamMember.objects.create(crt=crt, beneficiary=b, professional=pro, role="Soins",
                                      start_date=date(2025, 1, 1),
                                      end_date=date(2025, 2, 1) if ended else None)
        return b, pro

    def test_the_list_is_computed_by_the_database(self, users, crt_a, crt_b,
                                                  django_assert_max_num_queries):
        sad = OrganizationFactory(crt=crt_a, kind="sad", name="SAD sans convention")
        ssiad = OrganizationFactory(crt=crt_a, kind="ssiad", name="SSIAD conventionné")
        sad_other = OrganizationFactory(crt=crt_a, kind="sad", name="SAD avec autre convention")
        msp = OrganizationFactory(crt=crt_a, kind="msp", name="MSP sans convention")
        had = OrganizationFactory(crt=crt_a, kind="had", name="HAD conventionnée")
        idle = OrganizationFactory(crt=crt_a, kind="sad", name="SAD qui n'intervient pas")
        gone = OrganizationFactory(crt=crt_a, kind="ssiad", name="SSIAD sorti du cercle")
        past = OrganizationFactory(crt=crt_a, kind="sad", name="SAD d'une personne sortie")
        visiting = OrganizationFactory(crt=crt_a, kind="ssiad", name="SSIAD qui passe")
        for org in (sad, ssiad, sad_other, msp, had):
            self._intervene(crt_a, org)
        self._intervene(crt_a, gone, ended=True)
        self._intervene(crt_a, past, enrolled=False)
        agreement(crt_a, organizations=[ssiad], subject="home_care")
        agreement(crt_a, organizations=[sad_other], subject="service_contract")
        agreement(crt_a, organizations=[had], subject="telehealth")
        agreement(crt_a, organizations=[msp], subject="dac", status="draft", signed_on=None)
        # A partner that only carries out visits counts too.
        from maillage.visits.models import Visit

        b = BeneficiaryFactory(crt=crt_a)
        pro = ProfessionalFactory(crt=crt_a, organization=visiting)
        start = timezone.now() + timedelta(days=2)
        Visit.objects.create(crt=crt_a, beneficiary=b, professional=pro, starts_at=start,
                             ends_at=start + timedelta(hours=1))
        OrganizationFactory(crt=crt_b, kind="sad")
        coord = who(users["coordinator"], "coordinator")
        with django_assert_max_num_queries(1):
            names = [o.name for o in selectors.partners_without_agreement(crt=crt_a, **coord)]
        assert names == ["MSP sans convention", "SAD avec autre convention",
                         "SAD sans convention", "SSIAD qui passe"]
        assert idle.name not in names
        nurse = who(users["nurse"], "nurse")
        assert list(selectors.partners_without_agreement(crt=crt_a, **nurse)) == []

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
    def test_each_partner_is_checked_through_its_own_professionals(self, users, crt_a):
        """A partner's care-team memberships are found from its professionals, not among
        every care-team membership of the CRT (read once per partner: the page grew with
        the people)."""
        self._intervene(crt_a, OrganizationFactory(crt=crt_a, kind="sad"))
        rows = selectors.partners_without_agreement(crt=crt_a,
                                                    **who(users["coordinator"], "coordinator"))
        plan = sqlite_plan(*rows.query.sql_with_params())
        memberships = [step for step in plan if "careteammember" in step]
        assert memberships and all("professional_id=?" in step for step in memberships), plan
        assert len(rows) == 1

    def test_the_page(self, client, users, crt_a):
        sad = OrganizationFactory(crt=crt_a, kind="sad", name="Aide à domicile du Haut-Anjou")
        self._intervene(crt_a, sad)
        client.force_login(users["coordinator"])
        text = table_text(client.get(reverse("territory:agreement_gaps")))
        assert "Aide à domicile du Haut-Anjou" in text
        assert "Intervention quotidienne d'un service à domicile" in text


class TestViews:
    def test_list_filters_and_query_budget(self, client, users, crt_a,
                                           django_assert_max_num_queries):
        for n in range(30):
            agreement(crt_a, title=f"Convention {n:02d}",
                      organizations=[OrganizationFactory(crt=crt_a),
                                     OrganizationFactory(crt=crt_a)])
        agreement(crt_a, title="Formation gestes et postures", subject="training",
                  status="draft", signed_on=None)
        client.force_login(users["coordinator"])
        url = reverse("territory:agreement_list")
        # 13 whatever the number of rows: the page, its count, the partners of its rows, the
        # reminders and their partners, and the layout's own (session, CRT, navigation…).
        with django_assert_max_num_queries(13):
            response = client.get(url)
        assert response.status_code == 200 and "Convention 00" in table_text(response)
        text = table_text(client.get(url, {"objet": "training"}))
        assert "Formation gestes et postures" in text and "Convention 00" not in text

    @pytest.mark.parametrize("name", ["agreement_list", "agreement_gaps", "agreement_create"])
    def test_forbidden_roles(self, client, users, name):
        for role in ("nurse", "partner", "ars", "activity_leader"):
            client.force_login(users[role])
            assert client.get(reverse(f"territory:{name}")).status_code == 403

    def test_the_secretariat_reads_but_does_not_edit(self, client, users, crt_a):
        a = agreement(crt_a, title="Convention lue")
        client.force_login(users["admin_staff"])
        page = client.get(reverse("territory:agreement_detail", args=[a.public_id]))
        assert page.status_code == 200 and "Modifier" not in visible_text(page)
        assert client.get(reverse("territory:agreement_edit", args=[a.public_id])) \
            .status_code == 403

    def test_the_partner_s_page_lists_its_agreements(self, client, users, crt_a):
        ssiad = OrganizationFactory(crt=crt_a, name="SSIAD du Segréen")
        agreement(crt_a, organizations=[ssiad], title="Convention SSIAD 2026")
        url = reverse("territory:organization_detail", args=[ssiad.public_id])
        client.force_login(users["coordinator"])
        assert "Convention SSIAD 2026" in visible_text(client.get(url))
        client.force_login(users["nurse"])  # reads the directory, not the agreements
        page = visible_text(client.get(url))
        assert "SSIAD du Segréen" in page and "Convention SSIAD 2026" not in page

    def test_another_crt_agreement_is_404(self, client, users, crt_b):
        theirs = agreement(crt_b)
        client.force_login(users["coordinator"])
        for name in ("agreement_detail", "agreement_edit", "agreement_download"):
            assert client.get(reverse(f"territory:{name}", args=[theirs.public_id])) \
                .status_code == 404

    def test_both_faces_of_the_policy_agree(self, users, crt_a, crt_b):
        rows = [agreement(crt_a), agreement(crt_a, status="draft", signed_on=None),
                agreement(crt_b)]
        for role, user in users.items():
            roles = frozenset({role})
            visible = set(agreements_visible(crt=crt_a, user=user, roles=roles))
            for a in rows:
                allowed = a.crt_id == crt_a.id and can_view_agreement(user=user, roles=roles,
                                                                      agreement=a)
                assert (a in visible) == allowed, (role, a)

