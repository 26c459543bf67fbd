"""The FEC: the pure parser (legal format, errors « ligne N : raison ») and the import service
(mapping by longest prefix, unmapped accounts reported, nothing half-imported, no re-import)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from maillage.care.tests.factories import domain
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.steering import fec, services
from maillage.steering.models import Expense, FecImport
from maillage.steering.sample import MAPPINGS

from .factories import mapping

SAMPLE = Path(__file__).parent / "data" / "FEC-CRT-2026T1.txt"
D = Decimal


def sample() -> bytes:
    return SAMPLE.read_bytes()


def replace_line(content: bytes, number: int, change) -> bytes:
    lines = content.decode().split("\r\n")
    cells = lines[number - 1].split("\t")
    change(cells)
    lines[number - 1] = "\t".join(cells)
    return "\r\n".join(lines).encode()


def install_mappings(crt):
    domains = {"securite": domain(crt, code="securite"),
               "suivi": domain(crt, code="suivi", name="Suivi renforcé", position=3)}
    for prefix, label, nature, volet, code in MAPPINGS:
        mapping(crt, prefix=prefix, label=label, nature=nature, volet=volet,
                domain=domains.get(code))
    return domains


class TestParser:
    def test_the_sample_follows_the_legal_format(self):
        lines = fec.parse(sample())
        header = sample().decode().split("\r\n")[0].split("\t")
        assert header == list(fec.COLUMNS) and len(header) == 18
        assert len(lines) == 82
        first = lines[0]
        assert (first.number, first.journal, first.account, first.debit, str(first.entry_date)
                ) == (2, "OD", "64111000", D("3950.00"), "2026-01-28")

    def test_pipe_separated_and_latin1(self):
        content = sample().decode().replace("\t", "|").encode("iso-8859-15")
        assert len(fec.parse(content)) == 82

    @pytest.mark.parametrize(("change", "message"), [
        (lambda c: c.append("x"), "ligne 3 : 19 colonnes au lieu de 18."),
        (lambda c: c.__setitem__(3, "2026-01-28"),
         "ligne 3 : date d'écriture « 2026-01-28 » invalide (format AAAAMMJJ attendu)."),
        (lambda c: c.__setitem__(3, "20260231"),
         "ligne 3 : date d'écriture « 20260231 » invalide"),
        (lambda c: c.__setitem__(11, "9 870,50"),
         "ligne 3 : montant au débit « 9 870,50 » invalide (par exemple 1250,00)."),
        (lambda c: c.__setitem__(11, "9870,51"),
         "ligne 2 : écriture OD00001 du journal OD déséquilibrée (débit 22 649,72 ≠ crédit "
         "22 649,71)."),
        (lambda c: c.__setitem__(4, ""), "ligne 3 : numéro de compte manquant."),
        (lambda c: c.__setitem__(10, "Salaire\x00"),
         "ligne 3 : colonne « EcritureLib » : caractère de contrôle (octet nul ou autre), "
         "fichier endommagé ou mal exporté."),
    ])
    def test_malformed_lines_are_refused_with_line_and_reason(self, change, message):
        with pytest.raises(fec.FecError) as error:
            fec.parse(replace_line(sample(), 3, change))
        assert any(m.startswith(message) for m in error.value.messages), error.value.messages

    def test_unknown_header_and_empty_file(self):
        bad = sample().replace(b"EcritureLib", b"Libelle", 1)
        with pytest.raises(fec.FecError) as error:
            fec.parse(bad)
        assert error.value.messages == [
            "ligne 1 : en-tête non reconnu : colonne 11 « Libelle » au lieu de « EcritureLib »."]
        with pytest.raises(fec.FecError) as error:
            fec.parse(b"JournalCode;JournalLib\r\n")
        assert "ligne 1 : en-tête non reconnu : les colonnes doivent être séparées" in \
            error.value.messages[0]
        with pytest.raises(fec.FecError):
            fec.parse(b"")


class TestImport:
    def test_the_sample_imports_with_its_mapping(self, users, crt_a):
        domains = install_mappings(crt_a)
        record = services.fec_import(actor=users["direction"], crt=crt_a,
                                     file_name="FEC-CRT-2026T1.txt", content=sample())
        # 3 payrolls × 3 mapped salary lines, 16 purchase invoices of classes 6 and 2.
        assert record.lines_read == 82
        assert (str(record.period_start), str(record.period_end)) == ("2026-01-05",
                                                                      "2026-03-28")
        assert record.unmapped == [{"account": "64510000", "label": "Cotisations URSSAF",
                                    "lines": 3, "amount": str(record.unmapped[0]["amount"])}]
        assert D(record.unmapped[0]["amount"]) > 0
        rows = Expense.objects.filter(crt=crt_a)
        assert rows.count() == record.expenses_created == 25
        idec = rows.get(account="64111000", spent_on="2026-01-28")
        assert (idec.nature, idec.volet, idec.amount, idec.source, idec.fec_line) == (
            "staff_coordination", "2", D("3950.00"), "fec", 2)
        # The longest prefix wins: 64113 (animation, volet 1) over 6411 (care staff).
        assert rows.get(account="64113000", spent_on="2026-01-28").volet == "1"
        assert rows.get(account="64112000", spent_on="2026-01-28").nature == "staff_care"
        tablets = rows.get(account="21830000")
        assert (tablets.nature, tablets.domain) == ("digital_equipment", domains["suivi"])
        assert not rows.filter(account__startswith="4").exists()
        assert not rows.filter(account__startswith="5").exists()
        assert AuditEvent.objects.filter(action="fec.imported", crt=crt_a).count() == 1

    def test_a_malformed_file_imports_nothing(self, users, crt_a):
        install_mappings(crt_a)
        bad = replace_line(sample(), 60, lambda c: c.__setitem__(12, "abc"))
        with pytest.raises(fec.FecError):
            services.fec_import(actor=users["direction"], crt=crt_a, file_name="f.txt",
                                content=bad)
        assert not Expense.objects.exists() and not FecImport.objects.exists()

    def test_the_same_file_twice_is_refused(self, users, crt_a, crt_b, user_b):
        install_mappings(crt_a)
        services.fec_import(actor=users["direction"], crt=crt_a, file_name="a.txt",
                            content=sample())
        with pytest.raises(DomainError) as error:
            services.fec_import(actor=users["direction"], crt=crt_a, file_name="b.txt",
                                content=sample())
        assert "déjà été importé" in error.value.message
        assert FecImport.objects.filter(crt=crt_a).count() == 1
        # Another file over the same period (the year's FEC after the quarter's): refused.
        later = sample().replace(b"20260105", b"20260106", 2)
        with pytest.raises(DomainError) as error:
            services.fec_import(actor=users["direction"], crt=crt_a, file_name="annee.txt",
                                content=later)
        assert error.value.message.startswith(
            "Les écritures du 05/01/2026 au 28/03/2026 ont déjà été importées (« a.txt »)")
        assert FecImport.objects.filter(crt=crt_a).count() == 1
        # Another CRT importing the same file is another matter (its own mapping: none).
        record = services.fec_import(actor=user_b, crt=crt_b, file_name="a.txt",
                                     content=sample())
        assert record.expenses_created == 0 and len(record.unmapped) == 12


class TestImportPage:
    def test_the_director_imports_and_sees_the_unmapped_accounts(self, client, users, crt_a):
        install_mappings(crt_a)
        client.force_login(users["direction"])
        with SAMPLE.open("rb") as f:
            response = client.post(reverse("steering:fec_import"), {"file": f})
        assert response.status_code == 302
        text = visible_text(client.get(response["Location"]))
        assert "25 dépenses créées" in text
        assert "1 compte de charges sans correspondance n'a pas été importé : voir" in text
        assert "(s)" not in text
        assert "64510000 Cotisations URSSAF — 3 lignes" in text
        assert "ajouter une correspondance" in text

    def test_a_nul_is_refused_at_its_line_and_invisible_characters_dropped(self, client,
                                                                          users, crt_a):
        """A NUL in a label or a piece reference was a 500 on PostgreSQL (which cannot store
        it); a zero-width space or a bidirectional mark is dropped from the label."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        install_mappings(crt_a)
        client.force_login(users["direction"])
        bad = replace_line(sample(), 2, lambda c: c.__setitem__(8, "PAIE\x0001"))
        response = client.post(reverse("steering:fec_import"),
                               {"file": SimpleUploadedFile("fec.txt", bad)})
        assert response.status_code == 400
        assert ("ligne 2 : colonne « PieceRef » : caractère de contrôle (octet nul ou autre), "
                "fichier endommagé ou mal exporté.") in visible_text(response)
        assert not FecImport.objects.exists() and not Expense.objects.exists()
        label = fec.parse(sample())[0].label
        hidden = replace_line(sample(), 2, lambda c: c.__setitem__(
            10, c[10][:3] + "\u200b" + c[10][3:] + "\u202e"))
        response = client.post(reverse("steering:fec_import"),
                               {"file": SimpleUploadedFile("fec.txt", hidden)})
        assert response.status_code == 302
        assert Expense.objects.get(fec_line=2).label == label

    def test_errors_are_shown_next_to_the_file_field(self, client, users, crt_a):
        client.force_login(users["direction"])
        bad = replace_line(sample(), 3, lambda c: c.__setitem__(3, "28/01/2026"))
        bad = replace_line(bad, 7, lambda c: c.pop())
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post(reverse("steering:fec_import"),
                               {"file": SimpleUploadedFile("fec.txt", bad)})
        assert response.status_code == 400
        html = response.content.decode()
        text = visible_text(response)
        assert "Fichier refusé, rien n'a été importé." in text
        assert "ligne 3 : date d'écriture « 28/01/2026 » invalide" in text
        assert "ligne 7 : 17 colonnes au lieu de 18." in text
        assert 'id="id_file_errors"' in html
        assert not FecImport.objects.exists()


def test_expense_accounts():
    assert [a for a in ("641100", "205100", "218300", "281830", "291000", "401000", "512000",
                        "706000") if fec.is_expense_account(a)] == ["641100", "205100", "218300"]


def test_many_errors_are_summed_up():
    content = sample()
    for n in range(3, 30):
        content = replace_line(content, n, lambda c: c.__setitem__(3, "x"))
    with pytest.raises(fec.FecError) as error:
        fec.parse(content)
    assert len(error.value.messages) == fec.MAX_ERRORS + 1
    assert error.value.messages[-1] == "… et 7 autres erreurs."


class TestCancel:
    def test_cancel_then_import_again_with_the_missing_mapping(self, client, users, crt_a):
        install_mappings(crt_a)
        record = services.fec_import(actor=users["direction"], crt=crt_a, file_name="a.txt",
                                     content=sample())
        url = reverse("steering:fec_import_cancel", args=[record.public_id])
        client.force_login(users["coordinator"])
        assert client.post(url).status_code == 403
        client.force_login(users["direction"])
        response = client.post(url, follow=True)
        assert "Import « a.txt » annulé : 25 dépenses retirées." in visible_text(response)
        assert not Expense.objects.exists() and not FecImport.objects.exists()
        assert AuditEvent.objects.filter(action="fec.cancelled", crt=crt_a).exists()
        mapping(crt_a, prefix="6451", nature="staff_care", volet="2")
        again = services.fec_import(actor=users["direction"], crt=crt_a, file_name="a.txt",
                                    content=sample())
        assert (again.expenses_created, again.unmapped) == (28, [])
        assert client.post(url).status_code == 404  # the first import is gone


class TestOutOfBounds:
    """Amounts an expense cannot hold and dates no form accepts: the file is refused whole,
    line by line, and the budget pages stay readable."""

    HUGE = "99999999999999999999999,00"

    def qa_file(self, **cells) -> bytes:
        row = {"JournalCode": "HA", "JournalLib": "Achats", "EcritureNum": "HA1",
               "EcritureDate": "20200105", "CompteNum": "60610000", "CompteLib": "Fournitures",
               "PieceRef": "F1", "EcritureLib": "Fournitures", "Debit": "10,00",
               "Credit": "0,00"}
        first = {**row, **cells}
        second = {**row, "CompteNum": "40100000", "CompteLib": "Fournisseurs",
                  "Debit": first["Credit"], "Credit": first["Debit"],
                  "EcritureDate": first["EcritureDate"]}
        return fec.render([first, second])

    @pytest.mark.parametrize(("cells", "messages"), [
        ({"Debit": HUGE, "Credit": HUGE},
         ["ligne 2 : montant au débit « 99999999999999999999 » trop grand "
          "(9 999 999 999,99 au plus).",
          "ligne 2 : montant au crédit « 99999999999999999999 » trop grand "
          "(9 999 999 999,99 au plus)."]),
        ({"Debit": "9999999999,99", "Credit": "-9999999999,99"},
         ["ligne 2 : montant trop grand : débit moins crédit au-delà de 9 999 999 999,99."]),
        ({"EcritureDate": "00010105"},
         ["ligne 2 : date d'écriture « 00010105 » hors limites (année entre 1900 et 2100 "
          "attendue)."]),
        ({"EcritureDate": "99991230"},
         ["ligne 2 : date d'écriture « 99991230 » hors limites (année entre 1900 et 2100 "
          "attendue)."]),
    ])
    def test_the_import_page_refuses_the_line(self, client, users, crt_a, cells, messages):
        from django.core.files.uploadedfile import SimpleUploadedFile

        mapping(crt_a, prefix="606", nature="it_running", volet="shared")
        client.force_login(users["direction"])
        response = client.post(reverse("steering:fec_import"),
                               {"file": SimpleUploadedFile("fec.txt", self.qa_file(**cells))})
        assert response.status_code == 400
        text = visible_text(response)
        assert "Fichier refusé, rien n'a été importé." in text
        for message in messages:
            assert message in text
        assert not FecImport.objects.exists() and not Expense.objects.exists()
        for url in (reverse("steering:budget"), reverse("steering:fec_import_list"),
                    reverse("steering:expense_list") + "?annee=2020"):
            assert client.get(url).status_code == 200

    def test_the_file_total_is_bounded(self):
        rows = []
        for n in range(3):  # each line fits, the three together do not
            rows += [{"JournalCode": "HA", "EcritureNum": f"HA{n}", "EcritureDate": "20200105",
                      "CompteNum": "60610000", "Debit": "4000000000,00", "Credit": "0"},
                     {"JournalCode": "HA", "EcritureNum": f"HA{n}", "EcritureDate": "20200105",
                      "CompteNum": "40100000", "Debit": "0", "Credit": "4000000000,00"}]
        with pytest.raises(fec.FecError) as error:
            fec.parse(fec.render(rows))
        assert error.value.messages == [
            "ligne 6 : montant trop grand : les dépenses du fichier dépassent 9 999 999 999,99 "
            "au total à cette ligne."]

    def test_the_crt_total_is_bounded(self, client, users, crt_a):
        """Two files each within bounds, and typed expenses: the CRT's totals still fit."""
        mapping(crt_a, prefix="606", nature="it_running", volet="shared")
        services.fec_import(actor=users["direction"], crt=crt_a, file_name="a.txt",
                            content=self.qa_file(Debit="9000000000,00", Credit="0"))
        with pytest.raises(DomainError) as error:
            services.fec_import(
                actor=users["direction"], crt=crt_a, file_name="b.txt",
                content=self.qa_file(Debit="2000000000,00", Credit="0",
                                     EcritureDate="20210105"))
        assert error.value.message == ("Montant trop grand : les dépenses du CRT "
                                       "dépasseraient 9 999 999 999,99 € au total.")
        assert FecImport.objects.count() == 1
        client.force_login(users["direction"])
        response = client.post(reverse("steering:expense_create"), {
            "spent_on": "2021-02-01", "label": "Serveur", "amount": "-2000000000",
            "nature": "it_running", "volet": "shared"})
        assert response.status_code == 400
        assert "Montant trop grand : les dépenses du CRT dépasseraient" in \
            visible_text(response)
        for url in (reverse("steering:budget") + "?annee=2020",
                    reverse("steering:expense_list") + "?annee=2020"):
            assert client.get(url).status_code == 200
