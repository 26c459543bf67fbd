"""``maillage indicators``: every indicator of a CRT for a period, as JSON or CSV, on the screen
or in a file; bad input refused with a French message."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators


@pytest.fixture
def file_active(crt_a, crt_b):
    """Two people in CRT A in 2025 (one admitted in March), one in CRT B."""
    enrolment(BeneficiaryFactory(crt=crt_a), admitted_on=date(2024, 11, 4))
    enrolment(BeneficiaryFactory(crt=crt_a), admitted_on=date(2025, 3, 3),
              ended_on=date(2025, 9, 30), exit_reason="death")
    enrolment(BeneficiaryFactory(crt=crt_b), admitted_on=date(2025, 3, 3))


def _run(*args) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_json_keyed_by_code(crt_a, file_active):
    data = json.loads(_run("--crt", crt_a.finess, "--from", "2025-01-01", "--to", "2025-12-31"))
    assert list(data) == list(indicators.registry())
    v201a = data["V2-01a"]
    assert (v201a["value"], v201a["unit"], v201a["count"]) == (2, "personnes", 2)
    assert v201a["period"] == {"start": "2025-01-01", "end": "2025-12-31",
                               "label": "année 2025"}
    assert v201a["previous"] == {"period": {"start": "2024-01-01", "end": "2024-12-31",
                                            "label": "année 2024"}, "value": 1}
    sex = v201a["breakdowns"]["sex"]
    assert sex["exclusive"] is True
    assert {row["label"]: row["value"] for row in sex["rows"]}["Femme"] == 2
    assert data["V2-02"]["value"] == 1 and data["V2-03"]["value"] == 1
    assert data["V2-03"]["breakdowns"]["exit_reason"]["rows"][5] == {
        "key": "death", "label": "Décès", "value": 1}
    assert data["V2-01c"]["unit"] == "personnes (moyenne mensuelle)"
    assert isinstance(data["V2-01c"]["value"], float)
    assert data["T-01"]["breakdowns"]["v1_field"]["exclusive"] is False


def test_csv_lines(crt_a, file_active):
    text = _run("--crt", crt_a.finess, "--from", "2025-01-01", "--to", "2025-06-30",
                "--format", "csv")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:7] == ["code", "indicateur", "unité", "période", "ventilation",
                           "catégorie", "valeur"]
    assert {row[0] for row in rows[1:]} == set(indicators.registry())
    total = next(r for r in rows if r[0] == "V2-01a" and r[4] == "")
    assert total[3:] == ["1er semestre 2025", "", "", "2", "2e semestre 2024", "1"]
    assert ["V2-01a", "Sexe", "Femme", "2"] == [total[0], *next(
        r for r in rows if r[0] == "V2-01a" and r[5] == "Femme")[4:7]]


def test_written_to_a_file(crt_a, file_active, tmp_path):
    path = tmp_path / "indicateurs.csv"
    said = _run("--crt", crt_a.finess, "--from", "2025-03-01", "--to", "2025-03-31",
                "--format", "csv", "--out", str(path))
    assert "écrits dans" in said and "mars 2025" in said
    content = path.read_text(encoding="utf-8")
    assert content.startswith("\ufeffcode;")
    assert "V2-01c" in content
    path = tmp_path / "indicateurs.json"
    _run("--crt", crt_a.finess, "--from", "2025-03-01", "--to", "2025-03-31", "--out", str(path))
    assert json.loads(path.read_text(encoding="utf-8"))["V2-02"]["value"] == 1


def test_xlsx_reopens_with_numbers_and_definitions(crt_a, file_active, tmp_path):
    from decimal import Decimal

    from openpyxl import load_workbook

    path = tmp_path / "indicateurs.xlsx"
    said = _run("--crt", crt_a.finess, "--from", "2025-01-01", "--to", "2025-06-30",
                "--format", "xlsx", "--out", str(path))
    assert "écrits dans" in said and "1er semestre 2025" in said
    book = load_workbook(path)
    assert book.sheetnames == ["Indicateurs", "Définitions"]
    rows = list(book["Indicateurs"].iter_rows(values_only=True))
    assert rows[0][:7] == ("code", "indicateur", "unité", "période", "ventilation",
                           "catégorie", "valeur")
    total = next(r for r in rows if r[0] == "V2-01a" and not r[4])
    # The same figures as the CSV, as numbers a spreadsheet can add up.
    assert total[6] == 2 and total[7:] == ("2e semestre 2024", 1)
    average = next(r for r in rows if r[0] == "V2-01c" and not r[4])
    assert isinstance(average[6], (int, float, Decimal))
    definitions = {r[0]: r for r in book["Définitions"].iter_rows(min_row=2, values_only=True)}
    assert set(definitions) == set(indicators.registry())
    assert definitions["V2-01a"][1] == indicators.registry()["V2-01a"].name
    assert definitions["V2-01a"][2] == indicators.registry()["V2-01a"].definition


@pytest.mark.parametrize("args, message", [
    (("--from", "2025-13-01", "--to", "2025-12-31"),
     "Date invalide pour --from : « 2025-13-01 » (format attendu AAAA-MM-JJ"),
    (("--from", "2025-01-01", "--to", "31/12/2025"), "Date invalide pour --to"),
    (("--from", "2025-12-31", "--to", "2025-01-01"),
     "La date de début doit précéder la date de fin."),
    (("--from", "2025-01-01", "--to", "2025-12-31", "--format", "xlsx"),
     "Le format xlsx s'écrit dans un fichier : indiquez-le avec --out"),
])
def test_bad_input(crt_a, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        _run("--crt", crt_a.finess, *args)


def test_unknown_finess(db):
    with pytest.raises(CommandError, match="Aucun CRT n'a le FINESS « 490009999 »."):
        _run("--crt", "490009999", "--from", "2025-01-01", "--to", "2025-12-31")


def test_unwritable_file(crt_a, tmp_path):
    with pytest.raises(CommandError, match="Impossible d'écrire le fichier"):
        _run("--crt", crt_a.finess, "--from", "2025-01-01", "--to", "2025-12-31", "--out",
             str(tmp_path / "absent" / "x.json"))
