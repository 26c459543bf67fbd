"""The Annuaire Santé import: the PS_LibreAcces extraction read by header name, compared with
the partner directory, reviewed, then applied in one go (or abandoned)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.territory import annuaire, services
from maillage.territory.models import AnnuaireImport, Organization, Professional

from . import annuaire_sample as sample
from .factories import CommuneFactory, OrganizationFactory, ProfessionalFactory

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "PS_LibreAcces_Personne_activite_202611150000.txt"
KEPT = {sample.GP, sample.NURSE, sample.PHYSIO, sample.PHARMACIST, sample.SPEECH,
        sample.GERIATRICIAN}


@pytest.fixture
def segre(crt_a):
    return CommuneFactory(crt=crt_a, insee_code="49331", name="Segré-en-Anjou Bleu")


def upload(client, content: bytes, name: str = SAMPLE.name):
    return client.post(reverse("territory:annuaire_import_upload"),
                       {"file": SimpleUploadedFile(name, content, "text/plain")})


def prepare(crt, content: bytes | None = None) -> AnnuaireImport:
    content = SAMPLE.read_bytes() if content is None else content
    return services.annuaire_import_prepare(actor=None, crt=crt, file_name=SAMPLE.name,
                                            source=content.splitlines(keepends=True))


def apply(client, record: AnnuaireImport):
    return client.post(reverse("territory:annuaire_import_apply", args=[record.public_id]),
                       {"version": record.version}, follow=True)


class TestParse:
    def test_keeps_the_departments_and_professions_of_the_crt(self):
        extraction = annuaire.parse(SAMPLE.open("rb"), departments=["49"])
        assert extraction.lines_read == 10
        assert {a.rpps for a in extraction.activities} == KEPT
        # Nantes (44) is out of the territory, the audioprosthetist's profession is not kept
        # but they are present (not to be deactivated), ADELI rows are left out.
        assert sample.ELSEWHERE not in extraction.present_rpps
        assert sample.AUDIO in extraction.present_rpps
        assert extraction.departments_in_file == {"49"}
        by_rpps = {a.rpps: a for a in extraction.activities}
        assert by_rpps[sample.GP].profession == Professional.Profession.GP
        assert by_rpps[sample.GERIATRICIAN].profession == Professional.Profession.GERIATRICIAN
        assert (by_rpps[sample.SPEECH].profession, by_rpps[sample.SPEECH].specialty) == (
            Professional.Profession.OTHER, "Orthophoniste")

    @pytest.mark.parametrize("name", ["PS_LibreAcces_Personne_activite_shuffled.txt",
                                      "PS_LibreAcces_Personne_activite_latin1.txt"])
    def test_shuffled_columns_and_latin1_read_the_same(self, name):
        reference = annuaire.parse(SAMPLE.open("rb"), departments=["49"])
        variant = annuaire.parse((DATA / name).open("rb"), departments=["49"])
        assert variant.activities == reference.activities
        assert variant.activities[0].org["city"] == "Segré-en-Anjou Bleu"
        assert variant.encoding == ("latin-1" if "latin1" in name else "utf-8")


class TestBadFiles:
    @pytest.mark.parametrize(("content", "message"), [
        (b"", "ligne 1 : le fichier est vide"),
        (sample.render(header=[c for c in sample.HEADER if c != "Identifiant PP"]),
         "ligne 1 : colonne obligatoire absente de l'en-tête : « Identifiant PP »."),
        (sample.render(header=[c for c in sample.HEADER
                               if c not in ("Identifiant PP", "Nom d'exercice")]),
         "ligne 1 : colonnes obligatoires absentes de l'en-tête : « Identifiant PP », "
         "« Nom d'exercice »."),
        (sample.render().replace(b"|PETIT|", b"|PETIT|en trop|"),
         "ligne 5 : 57 colonnes au lieu des 56 de l'en-tête."),
        (sample.render().replace(sample.PHYSIO.encode(), sample.PHYSIO[:-1].encode()
                                 + b"0" if sample.PHYSIO[-1] != "0" else b"1"),
         "ligne 5 : identifiant RPPS « "),
        (sample.render().replace(f"|{sample.SPEECH}|".encode(), b"|1234|"),
         "ligne 7 : identifiant RPPS « 1234 » invalide : il compte 11 chiffres."),
        (sample.render().replace(sample.FINESS_EHPAD.encode(), b"490002001"),
         "ligne 11 : numéro FINESS site « 490002001 » invalide"),
    ])
    def test_refused_with_the_line_and_nothing_stored(self, client, users, crt_a, segre,
                                                      content, message):
        client.force_login(users["coordinator"])
        response = upload(client, content or b"\n")
        assert response.status_code == 400
        text = visible_text(response)
        assert "Fichier refusé, rien n'a été importé." in text
        assert message in text
        assert not AnnuaireImport.objects.exists()
        assert not Professional.objects.exists()

    def test_a_control_character_refuses_its_line_and_invisible_ones_are_dropped(
            self, client, users, crt_a, segre):
        """A NUL (a damaged download) in a kept row is refused at its line and column: it
        was a 500 on PostgreSQL, which cannot store it. A zero-width space or a bidirectional
        mark means nothing in a name and is dropped."""
        client.force_login(users["coordinator"])
        damaged = sample.render().replace(b"|PETIT|", b"|PE\x00TIT|")
        response = upload(client, damaged)
        assert response.status_code == 400
        assert ("ligne 5 : colonne « Nom d'exercice » : caractère de contrôle (octet nul ou "
                "autre), fichier endommagé ou mal exporté.") in visible_text(response)
        assert not AnnuaireImport.objects.exists()
        invisible = sample.render().replace(b"|PETIT|", "|PE\u200bTIT\u202e|".encode())
        record = prepare(crt_a, invisible)
        assert apply(client, record).status_code == 200
        assert Professional.objects.get(rpps=sample.PHYSIO).last_name == "PETIT"

    def test_every_bad_line_is_listed(self, crt_a, segre):
        content = (sample.render().replace(f"|{sample.SPEECH}|".encode(), b"|1234|")
                   .replace(f"|{sample.NURSE}|".encode(), b"|99|"))
        with pytest.raises(annuaire.AnnuaireFileError) as refused:
            prepare(crt_a, content)
        assert [n for n, _ in refused.value.errors] == [3, 4, 7]

    def test_a_bad_row_of_another_department_does_not_block(self, crt_a, segre):
        content = sample.render().replace(f"|{sample.ELSEWHERE}|".encode(), b"|1234|")
        assert prepare(crt_a, content).counts["professional_new"] == 6


class TestReviewAndApply:
    def test_review_then_apply(self, client, users, crt_a, segre):
        client.force_login(users["coordinator"])
        response = upload(client, SAMPLE.read_bytes())
        assert response.status_code == 302
        record = AnnuaireImport.objects.get(crt=crt_a)
        assert not Professional.objects.exists()  # nothing written before the review
        review = client.get(response["Location"])
        text = visible_text(review)
        assert "Professionnels 6 0 0" in text and "Structures 4 0 —" in text
        assert ("Nouveau professionnel CLAIRE MARTIN — RPPS " + sample.GP
                + " (Médecin) ligne 2") in text
        assert "profession : Médecin généraliste" in text
        assert "structure : Cabinet médical de la Mairie" in text
        assert ("Nouvelle structure SSIAD du Haut-Anjou ligne 4 nom : SSIAD du Haut-Anjou "
                f"FINESS : {sample.FINESS_SSIAD} adresse : 4 Rue de la Gare") in text
        assert "téléphone : 02 41 92 00 00" in text
        assert "commune du territoire : Segré-en-Anjou Bleu" in text

        done = visible_text(apply(client, record))
        assert "Les changements de l'Annuaire Santé sont appliqués" in done
        assert Professional.objects.filter(crt=crt_a).count() == 6
        nurse = Professional.objects.get(rpps=sample.NURSE)
        assert nurse.organization.finess == sample.FINESS_SSIAD
        assert nurse.organization.commune == segre
        assert Organization.objects.get(finess=sample.FINESS_EHPAD).kind == "ehpad"
        assert Professional.objects.get(rpps=sample.SPEECH).specialty == "Orthophoniste"
        actions = list(AuditEvent.objects.filter(crt=crt_a).values_list("action", flat=True))
        assert actions.count("professional.created") == 6
        assert actions.count("organization.created") == 4
        assert "annuaire.applied" in actions
        record.refresh_from_db()
        assert record.status == AnnuaireImport.Status.APPLIED

        # Applying it again changes nothing.
        again = visible_text(client.post(
            reverse("territory:annuaire_import_apply", args=[record.public_id]),
            {"version": record.version}, follow=True))
        assert "Cet import est déjà appliqué" in again
        assert Professional.objects.filter(crt=crt_a).count() == 6

    def test_the_same_file_twice_changes_nothing(self, client, users, crt_a, segre):
        client.force_login(users["coordinator"])
        services.annuaire_import_apply(actor=None, record=(first := prepare(crt_a)),
                                       version=first.version)
        versions = dict(Professional.objects.values_list("rpps", "version"))
        second = prepare(crt_a)
        assert second.changes == []
        text = visible_text(client.get(
            reverse("territory:annuaire_import_review", args=[second.public_id])))
        assert "Aucun changement : l'annuaire des partenaires est à jour" in text
        apply(client, second)
        assert dict(Professional.objects.values_list("rpps", "version")) == versions

    def test_changes_and_deactivations(self, client, users, crt_a, segre):
        ssiad = OrganizationFactory(crt=crt_a, name="SSIAD Haut Anjou", kind="ssiad",
                                    finess=sample.FINESS_SSIAD, phone="02 00 00 00 00",
                                    email="", notes="Contact : Mme X")
        gp = ProfessionalFactory(crt=crt_a, rpps=sample.GP, last_name="MARTIN-DURAND",
                                 first_name="CLAIRE", profession="gp", phone="06 11 22 33 44")
        gone = ProfessionalFactory(crt=crt_a, rpps=sample.rpps(99), last_name="ABSENT",
                                   first_name="LÉA")
        nantes = OrganizationFactory(crt=crt_a, postal_code="44000", city="Nantes")
        ProfessionalFactory(crt=crt_a, rpps=sample.rpps(98), last_name="AILLEURS",
                            organization=nantes)
        ProfessionalFactory(crt=crt_a, rpps=sample.AUDIO, last_name="MOREAU")
        client.force_login(users["admin_staff"])
        record = prepare(crt_a)
        assert record.counts == {"professional_new": 5, "professional_changed": 1,
                                 "professional_closed": 1, "organization_new": 3,
                                 "organization_changed": 1, "organization_closed": 0}
        url = reverse("territory:annuaire_import_review", args=[record.public_id])
        text = visible_text(client.get(url + "?sorte=changed"))
        assert "Professionnel modifié" in text and "Nouveau professionnel" not in text
        assert "nom : MARTIN-DURAND → MARTIN" in text
        assert "structure : (vide) → Cabinet médical de la Mairie" in text
        assert "Structure modifiée SSIAD Haut Anjou ligne 4" in text
        assert "nom : SSIAD Haut Anjou → SSIAD du Haut-Anjou" in text
        assert "téléphone : 02 00 00 00 00 → 02 41 92 00 00" in text
        text = visible_text(client.get(url + "?sorte=closed"))
        assert (f"Professionnel à désactiver LÉA ABSENT (Infirmier·ère (IDEL ou salarié·e)) "
                f"— RPPS {sample.rpps(99)}") in text
        assert "AILLEURS" not in text  # Nantes: the file is not complete for that department

        apply(client, record)
        gone.refresh_from_db()
        gp.refresh_from_db()
        ssiad.refresh_from_db()
        assert gone.is_active is False  # deactivated, not deleted
        assert (gp.last_name, gp.phone) == ("MARTIN", "06 11 22 33 44")  # typed phone kept
        assert (ssiad.name, ssiad.notes, ssiad.kind) == ("SSIAD du Haut-Anjou",
                                                         "Contact : Mme X", "ssiad")
        assert AuditEvent.objects.filter(action="professional.updated",
                                         object_id=str(gone.public_id)).exists()
        assert prepare(crt_a).changes == []  # idempotent after the changes too

    def test_a_concurrent_edit_refuses_the_whole_import(self, client, users, crt_a, segre):
        gone = ProfessionalFactory(crt=crt_a, rpps=sample.rpps(99), last_name="ABSENT")
        record = prepare(crt_a)
        services.professional_update(actor=users["coordinator"], professional=gone,
                                     version=gone.version, notes="Parti à la retraite")
        client.force_login(users["coordinator"])
        text = visible_text(apply(client, record))
        assert ("a été modifié·e dans Maillage depuis la préparation de cet import : rien n'a "
                "été appliqué.") in text
        # The new ones listed before it were rolled back with it.
        assert Professional.objects.filter(crt=crt_a).count() == 1
        assert not Organization.objects.exists()
        record.refresh_from_db()
        assert record.status == AnnuaireImport.Status.PENDING

    def test_cancel(self, client, users, crt_a, segre):
        record = prepare(crt_a)
        client.force_login(users["direction"])
        text = visible_text(client.post(
            reverse("territory:annuaire_import_cancel", args=[record.public_id]),
            {"version": record.version}, follow=True))
        assert "Import abandonné : l'annuaire des partenaires n'a pas changé." in text
        assert "Appliquer ces changements" not in text
        assert not Professional.objects.exists()
        assert AuditEvent.objects.filter(action="annuaire.cancelled").exists()


class TestThreePeople:
    @pytest.mark.parametrize("route", ["review", "list", "upload"])
    def test_allowed_forbidden_other_crt(self, client, users, user_b, crt_a, segre, route):
        record = prepare(crt_a)
        url = (reverse("territory:annuaire_import_review", args=[record.public_id])
               if route == "review" else reverse(f"territory:annuaire_import_{route}"))
        client.force_login(users["coordinator"])
        assert client.get(url).status_code == 200
        client.force_login(users["nurse"])
        assert client.get(url).status_code == 403
        client.force_login(user_b)
        assert client.get(url).status_code == (404 if route == "review" else 200)
        if route == "list":  # their own list: CRT A's import is not in it
            assert SAMPLE.name not in visible_text(client.get(url))

    @pytest.mark.parametrize("action", ["apply", "cancel"])
    def test_decisions(self, client, users, user_b, crt_a, segre, action):
        record = prepare(crt_a)
        url = reverse(f"territory:annuaire_import_{action}", args=[record.public_id])
        client.force_login(users["nurse"])
        assert client.post(url, {"version": record.version}).status_code == 403
        client.force_login(user_b)
        assert client.post(url, {"version": record.version}).status_code == 404
        record.refresh_from_db()
        assert record.status == AnnuaireImport.Status.PENDING
        assert not Professional.objects.exists()

    def test_review_query_budget(self, client, users, crt_a, segre,
                                 django_assert_max_num_queries):
        record = prepare(crt_a)
        client.force_login(users["coordinator"])
        with django_assert_max_num_queries(12):
            client.get(reverse("territory:annuaire_import_review", args=[record.public_id]))


class TestCommand:
    def test_prints_the_summary_and_applies_only_when_told(self, crt_a, segre, capsys):
        call_command("annuaire", "import", "--crt", crt_a.finess, str(SAMPLE))
        out = capsys.readouterr().out
        assert "10 lignes lues, 7 retenues (départements 49)" in out
        assert ("Professionnels : 6 nouveaux, 0 modifié, 0 à désactiver. Structures : 4 "
                "nouvelles, 0 modifiée.") in out
        assert f"nouveau professionnel : CLAIRE MARTIN ({sample.GP})" in out
        assert "Rien n'est modifié" in out
        assert not Professional.objects.exists()
        assert AnnuaireImport.objects.get().status == AnnuaireImport.Status.PENDING

        call_command("annuaire", "import", "--crt", crt_a.finess, str(SAMPLE), "--apply")
        assert "Changements appliqués." in capsys.readouterr().out
        assert Professional.objects.filter(crt=crt_a, rpps__in=KEPT).count() == 6

        call_command("annuaire", "import", "--crt", crt_a.finess, str(SAMPLE), "--apply")
        assert ("Professionnels : 0 nouveau, 0 modifié, 0 à désactiver. Structures : 0 "
                "nouvelle, 0 modifiée.") in capsys.readouterr().out
        assert Professional.objects.filter(crt=crt_a).count() == 6

    def test_bad_file_and_unknown_crt(self, crt_a, segre, tmp_path):
        bad = tmp_path / "bad.txt"
        bad.write_bytes(sample.render().replace(f"|{sample.SPEECH}|".encode(), b"|1234|"))
        with pytest.raises(CommandError, match="ligne 7 : identifiant RPPS « 1234 »"):
            call_command("annuaire", "import", "--crt", crt_a.finess, str(bad), "--apply")
        assert not Professional.objects.exists()
        with pytest.raises(CommandError, match="Aucun CRT ne porte le numéro FINESS"):
            call_command("annuaire", "import", "--crt", "999999999", str(SAMPLE))
