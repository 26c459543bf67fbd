"""The beneficiary file through its pages: creation and duplicates, identity, access rules,
consents and their withdrawal, key-box code, health data, audit, documents, evaluations."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import AggirEvaluation, Beneficiary, Consent, Document
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.territory.tests.factories import CommuneFactory, OrganizationFactory

from .factories import (
    PDF,
    BeneficiaryFactory,
    consent,
    document,
    join_care_team,
    shared_file,
)
from .test_identity import nir

VALID_NIR = nir("2380549331012")


def url(name, b, **extra):
    return reverse(f"beneficiaries:{name}", kwargs={"public_id": b.public_id, **extra})


@pytest.fixture
def segre(crt_a):
    return CommuneFactory(crt=crt_a, insee_code="49331", name="Segré-en-Anjou Bleu")


def identity_data(commune, **changes):
    data = {
        "birth_name": "Lemaire", "first_names": "Odette Marie", "first_name": "Odette",
        "birth_date": "1938-05-12", "sex": "F", "birth_place_code": "49331",
        "ins_matricule": VALID_NIR, "ins_oid": "1.2.250.1.213.1.4.10",
        "identity_status": "PROV", "address": "3 rue des Lilas", "commune": commune.public_id,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class TestCreate:
    def test_create_opens_the_file(self, client, users, segre):
        client.force_login(users["admin_staff"])
        response = client.post(reverse("beneficiaries:create"), identity_data(segre))
        assert response.status_code == 302
        b = Beneficiary.objects.get()
        assert (b.ins_matricule, b.commune, b.identity_status) == (VALID_NIR, segre, "PROV")
        page = visible_text(client.get(response["Location"]))
        assert "LEMAIRE Odette" in page and "Ouverture du dossier" in page
        assert AuditEvent.objects.filter(action="beneficiary.created",
                                         beneficiary_public_id=b.public_id).exists()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"ins_matricule": VALID_NIR[:-1] + "0"}, "clé du matricule INS est incorrecte"),
            ({"sex": "M"}, "Le sexe ne correspond pas"),
            ({"birth_date": "2099-01-01"},
             "La date de naissance doit être comprise entre le 01/01/1900 et aujourd'hui."),
            ({"birth_date": "12/13/1938"}, "Date de naissance invalide"),
            ({"first_name": "Marie"}, "premier des prénoms de naissance"),
            ({"identity_status": "QUAL"}, "Une identité validée l'est sur une pièce d'identité."),
            ({"birth_place_code": "4933"}, "5 caractères"),
            ({"birth_name": ""}, "Indiquez le nom de naissance."),
        ],
    )
    def test_bad_input_saves_nothing(self, client, users, segre, changes, message):
        client.force_login(users["coordinator"])
        response = client.post(reverse("beneficiaries:create"), identity_data(segre, **changes))
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Beneficiary.objects.exists()
        assert not AuditEvent.objects.filter(action="beneficiary.created").exists()

    def test_commune_outside_the_territory_is_refused(self, client, users, crt_b, segre):
        client.force_login(users["coordinator"])
        elsewhere = CommuneFactory(crt=crt_b)
        response = client.post(reverse("beneficiaries:create"), identity_data(elsewhere))
        assert response.status_code == 400
        assert not Beneficiary.objects.exists()

    def test_duplicates_are_shown_and_must_be_dismissed(self, client, users, crt_a, segre):
        twin = BeneficiaryFactory(crt=crt_a, birth_name="LEMAIRE", first_name="Odette",
                                  first_names="Odette", birth_date=date(1938, 5, 12))
        client.force_login(users["coordinator"])
        data = identity_data(segre, ins_matricule="", ins_oid="")
        response = client.post(reverse("beneficiaries:create"), data)
        assert response.status_code == 409
        text = visible_text(response)
        assert "Dossiers qui ressemblent à cette personne" in text
        assert twin.display_name in text
        assert Beneficiary.objects.count() == 1
        response = client.post(reverse("beneficiaries:create"),
                               {**data, "duplicates_checked": "on"})
        assert response.status_code == 302
        assert Beneficiary.objects.count() == 2

    def test_same_ins_is_a_duplicate_even_with_another_name(self, client, users, crt_a, segre):
        BeneficiaryFactory(crt=crt_a, birth_name="AUTRE", ins_matricule=VALID_NIR)
        client.force_login(users["coordinator"])
        response = client.post(reverse("beneficiaries:create"),
                               {**identity_data(segre), "duplicates_checked": "on"})
        assert response.status_code == 400
        assert "Un autre dossier porte déjà ce matricule INS." in visible_text(response)


def spaced(matricule: str) -> str:
    """As printed on the card: 2 38 05 49 331 012 45."""
    m = matricule
    return " ".join([m[0], m[1:3], m[3:5], m[5:7], m[7:10], m[10:13], m[13:]])


def test_a_matricule_typed_with_spaces_is_kept_without_them(client, users, crt_a, segre):
    client.force_login(users["coordinator"])
    assert len(spaced(VALID_NIR)) == 21
    response = client.post(reverse("beneficiaries:create"),
                           identity_data(segre, ins_matricule=spaced(VALID_NIR)))
    assert response.status_code == 302, visible_text(response)
    b = Beneficiary.objects.get()
    assert b.ins_matricule == VALID_NIR
    data = identity_data(segre, ins_matricule=spaced(VALID_NIR).replace(" ", "."),
                         version=b.version)
    assert client.post(url("identity_edit", b), data).status_code == 302
    b.refresh_from_db()
    assert b.ins_matricule == VALID_NIR
    # Too long once the spaces are dropped: said in the form's words, nothing saved.
    data = identity_data(segre, ins_matricule=spaced(VALID_NIR) + " 1", version=b.version)
    response = client.post(url("identity_edit", b), data)
    assert response.status_code == 400
    assert "Le matricule INS compte 15 caractères" in field_error(response, "ins_matricule")
    assert "au plus" not in visible_text(response)


class TestIdentity:
    def test_validation_records_who_and_when(self, client, users, crt_a, segre):
        b = BeneficiaryFactory(crt=crt_a, commune=segre, birth_name="LEMAIRE",
                               first_names="Odette Marie", first_name="Odette")
        client.force_login(users["nurse"])
        data = identity_data(segre, identity_status="QUAL", identity_document="id_card",
                             version=b.version)
        response = client.post(url("identity_edit", b), data)
        assert response.status_code == 302, visible_text(response)
        b.refresh_from_db()
        assert b.identity_status == "QUAL" and b.ins_travels
        assert (b.identity_validated_by, b.identity_validated_on) == (
            users["nurse"], timezone.localdate())
        assert "INS transmissible" in visible_text(client.get(url("detail", b)))

    def test_the_list_finds_a_renamed_person_without_accents(self, client, users, crt_a, segre):
        b = BeneficiaryFactory(crt=crt_a, commune=segre, birth_name="LEMAIRE",
                               first_names="Odette Marie", first_name="Odette")
        client.force_login(users["coordinator"])
        data = identity_data(segre, birth_name="Lefèvre-Noël", first_names="Hélène",
                             first_name="Hélène", version=b.version)
        assert client.post(url("identity_edit", b), data).status_code == 302
        listed = visible_text(client.get(reverse("beneficiaries:list"), {"q": "lefevre noel"}))
        assert "LEFÈVRE-NOËL Hélène" in listed
        assert "Aucun" not in listed
        gone = visible_text(client.get(reverse("beneficiaries:list"), {"q": "lemaire"}))
        assert "LEFÈVRE-NOËL" not in gone
        b.refresh_from_db()  # the stored key is what the names give, after the service's update
        key = b.name_key
        b.refresh_name_key()
        assert b.name_key == key == " lefevre noel helene helene"

    def test_the_list_says_born_as_the_sex_says(self, client, users, crt_a, segre):
        for sex, birth_name in (("F", "AUBERT"), ("M", "BLANC"), ("I", "CARON")):
            BeneficiaryFactory(crt=crt_a, commune=segre, sex=sex, birth_name=birth_name,
                               used_name="Martin", first_name="Claude")
        client.force_login(users["coordinator"])
        listed = table_text(client.get(reverse("beneficiaries:list")))
        assert "(née AUBERT)" in listed and "(né BLANC)" in listed
        assert "(né·e CARON)" in listed
        assert "né·e AUBERT" not in listed and "né·e BLANC" not in listed

    def test_concurrent_edit_is_detected(self, client, users, crt_a, segre):
        b = BeneficiaryFactory(crt=crt_a, commune=segre, birth_name="LEMAIRE",
                               first_names="Odette Marie", first_name="Odette")
        client.force_login(users["coordinator"])
        first = identity_data(segre, address="1 place Neuve", version=1)
        stale = identity_data(segre, address="9 rue Ancienne", version=1)
        assert client.post(url("identity_edit", b), first).status_code == 302
        response = client.post(url("identity_edit", b), stale)
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        b.refresh_from_db()
        assert b.address == "1 place Neuve"


class TestPartnerAccess:
    @pytest.fixture
    def partner(self, users):
        return users["partner"]

    def test_partner_sees_only_files_of_their_care_team(self, client, crt_a, partner):
        mine = shared_file(crt_a, partner, {Role.PARTNER})
        other = shared_file(crt_a)
        client.force_login(partner)
        listing = table_text(client.get(reverse("beneficiaries:list")))
        assert mine.display_name in listing and other.display_name not in listing
        assert client.get(url("detail", mine)).status_code == 200
        assert client.get(url("detail", other)).status_code == 404

    def test_withdrawing_consent_hides_the_file_at_once(self, client, users, crt_a, partner):
        b = shared_file(crt_a, partner, {Role.PARTNER})
        client.force_login(partner)
        assert client.get(url("medical", b)).status_code == 200
        sharing = b.consents.get()
        client.force_login(users["coordinator"])
        response = client.post(url("consent_withdraw", b, item_id=sharing.public_id),
                               {"reason": "La personne ne souhaite plus de partage."})
        assert response.status_code == 302
        client.force_login(partner)
        assert client.get(url("detail", b)).status_code == 404
        assert client.get(url("medical", b)).status_code == 404
        assert b.display_name not in table_text(client.get(reverse("beneficiaries:list")))
        event = AuditEvent.objects.get(action="consent.withdrawn")
        assert event.reason == "La personne ne souhaite plus de partage."

    def test_opposition_keeps_the_partner_out(self, client, crt_a, partner):
        b = BeneficiaryFactory(crt=crt_a)
        join_care_team(b, partner, {Role.PARTNER})
        consent(b, granted=False)
        client.force_login(partner)
        assert client.get(url("detail", b)).status_code == 404

    def test_explicit_consent_for_a_partner_outside_the_team(self, client, crt_a, partner):
        from maillage.territory.tests.factories import ProfessionalFactory

        org = OrganizationFactory(crt=crt_a, name="HAD Anjou")
        ProfessionalFactory(crt=crt_a, user=partner, organization=org, profession="gp")
        b = BeneficiaryFactory(crt=crt_a)
        client.force_login(partner)
        assert client.get(url("detail", b)).status_code == 404
        consent(b, kind=Consent.Kind.PARTNER_SHARING, organization=org, share_health=False)
        assert client.get(url("detail", b)).status_code == 200
        assert client.get(url("medical", b)).status_code == 403  # health not consented
        page = visible_text(client.get(url("detail", b)))
        assert "Volet médical" not in page

    def test_partner_sees_only_consented_categories(self, client, crt_a, partner):
        b = BeneficiaryFactory(crt=crt_a)
        join_care_team(b, partner, {Role.PARTNER})
        consent(b, share_identity=False, share_planning=True, share_health=False)
        client.force_login(partner)
        assert client.get(url("detail", b)).status_code == 403


class TestHealthData:
    def test_health_professional_outside_the_care_team_is_refused(self, client, users, crt_a):
        b = shared_file(crt_a)
        client.force_login(users["nurse"])
        assert client.get(url("detail", b)).status_code == 200
        response = client.get(url("medical", b))
        assert response.status_code == 403
        join_care_team(b, users["nurse"])
        response = client.get(url("medical", b))
        assert "Pénicilline" in visible_text(response)

    def test_medical_reads_are_audited(self, client, users, crt_a):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        client.get(url("detail", b))
        client.get(url("medical", b))
        actions = set(
            AuditEvent.objects.filter(beneficiary_public_id=b.public_id, actor=users["doctor"])
            .values_list("action", flat=True)
        )
        assert {"beneficiary.viewed", "beneficiary.medical_viewed"} <= actions

    def test_health_events_hidden_from_the_timeline_of_others(self, client, users, crt_a):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        client.post(url("medical_edit", b), {"allergies": "Iode", "version": 1})
        assert "Volet médical mis à jour" in visible_text(client.get(url("detail", b)))
        client.force_login(users["admin_staff"])
        assert "Volet médical mis à jour" not in visible_text(client.get(url("detail", b)))


HISTORY = "Cancer du sein opéré en 2015, dépression sévère en 2019"
SYNTHESIS = "Déclin cognitif débutant, à réévaluer par la consultation mémoire"


def medical_file(crt, *members):
    """A file with its care team (``(user, roles)`` pairs), health sharing consented, and a
    medical section whose history and synthesis a care aide may not read."""
    from maillage.beneficiaries.models import MedicalRecord

    b = shared_file(crt)
    for user, roles in members:
        join_care_team(b, user, roles)
    MedicalRecord.objects.filter(beneficiary=b).update(
        history=HISTORY, synthesis=SYNTHESIS, treatments_status="documented",
        treatments="Lévothyrox 50 µg le matin", usual_state="Marche avec une canne",
        advance_directives_status="none", resuscitation_status="full")
    return b


class TestMedicalSectionByProfession:
    """SPEC §3: a care aide reads what home care needs of the medical section — not the
    history (« antécédents ») nor the medical synthesis; the nurse, the doctor, the
    psychologist and the occupational therapist read all of it."""

    def test_a_care_aide_of_the_team_reads_what_home_care_needs(self, client, users, crt_a):
        b = medical_file(crt_a, (users["care_aide"], ()))
        client.force_login(users["care_aide"])
        response = client.get(url("medical", b))
        assert response.status_code == 200
        page = visible_text(response)
        for expected in ("Allergies Pénicilline", "Lévothyrox 50 µg le matin",
                         "Marche avec une canne", "Pas de directives anticipées rédigées",
                         "Réanimation : oui"):
            assert expected in page, expected
        assert "Cancer du sein" not in page and "Déclin cognitif" not in page
        assert "Antécédents Réservé aux médecins et infirmiers" in page
        assert "Synthèse médicale Réservé aux médecins et infirmiers" in page

    @pytest.mark.parametrize("role", ["nurse", "doctor", "psychologist",
                                      "occupational_therapist"])
    def test_the_other_health_professionals_of_the_team_read_it_all(self, client, users,
                                                                    crt_a, role):
        b = medical_file(crt_a, (users[role], ()))
        client.force_login(users[role])
        page = visible_text(client.get(url("medical", b)))
        assert HISTORY in page and SYNTHESIS in page and "Lévothyrox" in page
        assert "Réservé aux médecins et infirmiers" not in page

    def test_a_care_aide_who_also_coordinates_reads_it_all(self, client, crt_a, make_user):
        # The IDEC holding a care role too: the fuller role wins (roles add up).
        both = make_user(crt_a, Role.CARE_AIDE, Role.COORDINATOR)
        b = medical_file(crt_a, (both, ()))
        client.force_login(both)
        assert HISTORY in visible_text(client.get(url("medical", b)))

    def test_the_coordinator_alone_still_reads_no_medical_section(self, client, users, crt_a):
        b = medical_file(crt_a, (users["coordinator"], ()))
        client.force_login(users["coordinator"])
        assert client.get(url("medical", b)).status_code == 403

    def test_a_partner_reads_it_by_profession(self, client, users, crt_a):
        from maillage.beneficiaries.models import CareTeamMember
        from maillage.territory.tests.factories import ProfessionalFactory

        partner = users["partner"]
        b = medical_file(crt_a)
        pro = ProfessionalFactory(crt=crt_a, user=partner, profession="care_aide")
        CareTeamMember.objects.create(crt=crt_a, beneficiary=b, professional=pro,
                                      role="Aide-soignante du SSIAD", start_date=date(2024, 1, 1))
        client.force_login(partner)
        page = visible_text(client.get(url("medical", b)))
        assert "Lévothyrox" in page and "Cancer du sein" not in page
        pro.profession = "gp"
        pro.save()
        assert HISTORY in visible_text(client.get(url("medical", b)))

    def test_a_care_aide_cannot_write_the_history(self, client, users, crt_a):
        from maillage.beneficiaries.models import MedicalRecord

        b = medical_file(crt_a, (users["care_aide"], ()))
        client.force_login(users["care_aide"])
        response = client.post(url("medical_edit", b), {
            "history": "Rien", "synthesis": "Rien", "allergies": "Pénicilline",
            "allergies_status": "documented", "version": 1})
        assert response.status_code == 403
        record = MedicalRecord.objects.get(beneficiary=b)
        assert (record.history, record.synthesis, record.version) == (HISTORY, SYNTHESIS, 1)

    def test_the_service_refuses_a_change_its_writer_may_not_read(self, users, crt_a):
        from maillage.beneficiaries import services
        from maillage.beneficiaries.models import MedicalRecord
        from maillage.core.errors import DomainError

        b = medical_file(crt_a, (users["care_aide"], ()))
        record = MedicalRecord.objects.get(beneficiary=b)
        with pytest.raises(DomainError) as refused:
            services.medical_update(actor=users["care_aide"], record=record,
                                    version=record.version, history="Rien")
        assert refused.value.field == "history"
        assert "réservé aux médecins et infirmiers" in refused.value.message
        record.refresh_from_db()
        assert record.history == HISTORY and record.version == 1
        # The same value sent back unchanged is no change: accepted.
        services.medical_update(actor=users["care_aide"], record=record,
                                version=record.version, history=HISTORY,
                                usual_state="Marche avec un déambulateur")
        record.refresh_from_db()
        assert record.history == HISTORY and record.usual_state == "Marche avec un déambulateur"

    def test_the_edit_form_of_a_nurse_still_writes_the_history(self, client, users, crt_a):
        from maillage.beneficiaries.models import MedicalRecord

        b = medical_file(crt_a, (users["nurse"], ()))
        client.force_login(users["nurse"])
        record = MedicalRecord.objects.get(beneficiary=b)
        data = {f: getattr(record, f) for f in ("allergies_status", "allergies",
                                                 "treatments_status", "treatments",
                                                 "advance_directives_status",
                                                 "resuscitation_status", "usual_state",
                                                 "synthesis")}
        response = client.post(url("medical_edit", b), {
            **data, "history": "Hypothyroïdie", "version": record.version})
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.history == "Hypothyroïdie" and record.synthesis == SYNTHESIS

    def test_another_crts_care_aide_sees_nothing(self, client, user_b, crt_a, users):
        b = medical_file(crt_a, (users["care_aide"], ()))
        client.force_login(user_b)
        for name in ("detail", "medical", "medical_edit"):
            assert client.get(url(name, b)).status_code == 404


class TestKeyBox:
    def test_code_shown_only_to_visiting_members_and_encrypted(self, client, users, crt_a):
        b = shared_file(crt_a, users["care_aide"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT key_box_code FROM beneficiaries_beneficiary WHERE id = %s",
                           [b.pk])
            raw = cursor.fetchone()[0]
        assert raw and "1234A" not in raw
        client.force_login(users["care_aide"])
        assert "1234A" in visible_text(client.get(url("detail", b)))
        viewed = AuditEvent.objects.filter(action="beneficiary.viewed").last()
        assert viewed.details == {"code_boite_a_cles": True}
        client.force_login(users["coordinator"])  # not in this care team
        text = visible_text(client.get(url("detail", b)))
        assert "1234A" not in text and "réservé aux intervenants" in text


class TestDocuments:
    def upload(self, client, b, content=PDF, name="ordonnance.pdf", category="medical"):
        return client.post(url("document_add", b), {
            "title": "Ordonnance", "category": category, "document_date": "2025-03-01",
            "file": SimpleUploadedFile(name, content),
        })

    def test_upload_and_download(self, client, users, crt_a):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        assert self.upload(client, b).status_code == 302
        doc = Document.objects.get()
        assert doc.content_type == "application/pdf"
        response = client.get(url("document_download", b, item_id=doc.public_id))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Cache-Control"] == "private, no-store"
        assert AuditEvent.objects.filter(action="document.downloaded").exists()

    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (b"MZ\x90\x00 not a pdf", "ordonnance.pdf", "Type de fichier refusé"),
            (b"<html><script>alert(1)</script>", "page.html", "Type de fichier refusé"),
            (b"", "vide.pdf", "Le fichier est vide."),
        ],
    )
    def test_bad_files_are_refused(self, client, users, crt_a, content, name, message):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        response = self.upload(client, b, content, name)
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Document.objects.exists()

    def test_too_large_file(self, client, users, crt_a, settings):
        settings.DOCUMENT_MAX_BYTES = 1024 * 1024
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        response = self.upload(client, b, PDF + b"0" * (1024 * 1024))
        assert response.status_code == 400
        assert "dépasse la taille maximale (1 Mo)" in visible_text(response)

    def test_medical_documents_need_health_access(self, client, users, crt_a):
        b = shared_file(crt_a)
        medical = document(b, category=Document.Category.MEDICAL, title="Compte rendu")
        admin = document(b, title="Avis d'imposition")
        client.force_login(users["admin_staff"])
        page = visible_text(client.get(url("detail", b)))
        assert "Avis d'imposition" in page and "Compte rendu" not in page
        assert client.get(url("document_download", b, item_id=medical.public_id)).status_code \
            == 403
        assert client.get(url("document_download", b, item_id=admin.public_id)).status_code \
            == 200
        # A non-health professional cannot file a medical document either.
        response = self.upload(client, b, category="medical")
        assert response.status_code == 400


class TestEvaluations:
    def grid(self, codes: str, illustrative: str = "AAAAAAA") -> dict:
        from maillage.beneficiaries import aggir

        letters = dict(zip(aggir.DISCRIMINANT_CODES, codes, strict=True))
        letters.update(zip(aggir.ILLUSTRATIVE_CODES, illustrative, strict=True))
        data = {"evaluated_on": "2025-06-02"}
        for code in aggir.INPUT_CODES:
            variable = code.split(".")[0]
            data[f"{code.replace('.', '__')}__code"] = letters[variable]
        return data

    def test_aggir_computes_and_updates_the_current_gir(self, client, users, crt_a):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        response = client.post(url("aggir_create", b), self.grid("CCBBBBBBCB"))
        assert response.status_code == 302
        evaluation = AggirEvaluation.objects.get()
        assert (evaluation.codes, evaluation.rang, evaluation.gir) == ("CCBBBBBBCB", 3, 2)
        b.refresh_from_db()
        assert b.current_gir == 2
        assert "GIR 2" in visible_text(client.get(response["Location"], follow=True))

    @pytest.mark.parametrize("name, field", [("aggir_create", "evaluated_on"),
                                             ("free_evaluation_create", "evaluated_on"),
                                             ("icope_create", "screened_on")])
    def test_the_date_is_today_by_default(self, client, users, crt_a, name, field):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        page = client.get(url(name, b))
        assert page.status_code == 200
        today = timezone.localdate().isoformat()
        assert re.search(rf'<input[^>]*name="{field}"[^>]*value="{today}"',
                         page.content.decode()), "the date is not pre-filled"

    def test_aggir_by_adverbs(self, client, users, crt_a):
        b = shared_file(crt_a, users["nurse"])
        client.force_login(users["nurse"])
        data = self.grid("AAAAAAAAAA")
        data["transferts__code"] = "adverbs"  # no adverb ticked: C
        data["toilette__haut__code"] = "adverbs"
        for adverb in ("spontanement", "totalement", "correctement", "habituellement"):
            data[f"toilette__haut__{adverb}"] = "on"  # all ticked: A
        assert client.post(url("aggir_create", b), data).status_code == 302
        evaluation = AggirEvaluation.objects.get()
        assert evaluation.codes == "AAAAAACAAA"
        assert evaluation.inputs["toilette.haut"] == "A"

    def test_incomplete_grid_is_refused(self, client, users, crt_a):
        b = shared_file(crt_a, users["doctor"])
        client.force_login(users["doctor"])
        data = self.grid("CCBBBBBBCB")
        data["habillage__moyen__code"] = ""
        response = client.post(url("aggir_create", b), data)
        assert response.status_code == 400
        # On the variable's row, described by its select (it was only above the grid).
        assert field_error(response, "habillage__moyen__code").startswith(
            "Codez la variable « Habillage — Habillage moyen »")
        assert 'aria-describedby="id_habillage__moyen__code_errors"' in \
            response.content.decode()
        assert not AggirEvaluation.objects.exists()

    def test_icope_flags_domains(self, client, users, crt_a):
        from maillage.beneficiaries import icope

        b = shared_file(crt_a, users["care_aide"])
        client.force_login(users["care_aide"])
        answers = {q.code: not q.positive_answer for q in icope.QUESTIONS}
        answers["nutrition.perte_poids"] = True
        data = {"screened_on": "2025-06-02"}
        data.update({k.replace(".", "__"): ("oui" if v else "non") for k, v in answers.items()})
        response = client.post(url("icope_create", b), data, follow=True)
        assert "Repérage ICOPE enregistré." in visible_text(response)
        assert "Volet médical enregistré" not in visible_text(response)
        assert b.icope_screenings.get().domains_flagged == ["nutrition"]
        # A missing answer is refused.
        del data["nutrition__perte_poids"]
        response = client.post(url("icope_create", b), data)
        assert response.status_code == 400
        assert "Répondez à cette question." in visible_text(response)


def test_list_and_detail_query_budget(client, users, crt_a, django_assert_max_num_queries):
    for _ in range(30):
        shared_file(crt_a, users["coordinator"])
    b = Beneficiary.objects.first()
    client.force_login(users["coordinator"])
    # 11: the unread badge of a user without a stored counter yet is the rule's count (the
    # counter's lookup, then the rule).
    with django_assert_max_num_queries(11):
        assert client.get(reverse("beneficiaries:list")).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(url("detail", b)).status_code == 200


def test_the_person_can_get_the_list_of_accesses(client, users, crt_a):
    b = shared_file(crt_a, users["doctor"])
    client.force_login(users["doctor"])
    client.get(url("detail", b))
    client.get(url("medical", b))
    client.force_login(users["coordinator"])
    response = client.get(url("access_log", b))
    rows = table_text(response)
    assert "Consultation du volet médical" in rows and "Consultation du dossier" in rows
    assert users["doctor"].username in rows and "Médecin coordonnateur" in rows
    client.force_login(users["nurse"])
    assert client.get(url("access_log", b)).status_code == 403
