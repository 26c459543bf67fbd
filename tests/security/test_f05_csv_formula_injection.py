"""Finding 5: CSV formula injection in the audit export.

A name typed into the anonymous public referral form ends up in the audit trail (the referral's
label); exported verbatim, a spreadsheet opening the CSV runs it as a formula (``=HYPERLINK``
sends the reader elsewhere, ``=cmd|…`` runs a program on old Excel). Every CSV export goes
through ``maillage.core.csvexport``, which prefixes such cells with ``'``.
"""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from maillage.core.csvexport import DANGEROUS_PREFIXES, csv_safe, csv_streaming_response
from maillage.core.models import AuditEvent
from maillage.core.roles import Role

PAYLOAD = '=HYPERLINK("http://x","y")'


def export_rows(client) -> list[list[str]]:
    response = client.get(reverse("core:audit_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


def test_public_referral_name_is_neutralised_in_the_audit_export(client, crt_a, users):
    cache.clear()  # the public form's rate limit
    url = reverse("admissions:public_referral", kwargs={"crt_id": crt_a.public_id})
    response = client.post(url, {
        "referrer_kind": "caregiver", "referrer_name": "Sophie Lemaire",
        "referrer_email": "sophie.lemaire@example.fr", "person_last_name": PAYLOAD,
        "person_first_name": "Odette", "person_birth_date": "1936-04-02",
        "person_commune_name": "Candé", "reason": "Ma mère tombe souvent et vit seule.",
        "person_agrees": "on",
    })
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="referral.received", crt=crt_a).exists()

    client.force_login(users[Role.AUDITOR])
    rows = export_rows(client)
    # The name used to be the event's label; wherever it shows, it is text, not a formula
    # (since finding 4 labels carry no name: the next test keeps a typed value in the export).
    for cell in (cell for row in rows[1:] for cell in row if "HYPERLINK" in cell.upper()):
        assert cell.startswith("'="), cell
    # Nothing in the export starts a formula.
    assert len(rows) > 1
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in DANGEROUS_PREFIXES, cell


def test_a_member_name_is_neutralised_too(client, crt_a, users, make_user):
    """The author's name (typed by whoever manages the team) is exported as well."""
    from maillage.core.audit import audit_log

    author = make_user(crt_a, Role.NURSE, username="plus", first_name="+33 6 00",
                       last_name="@SUM(1+1)")
    audit_log(actor=author, action="notes.viewed", crt=crt_a)
    client.force_login(users[Role.AUDITOR])
    rows = export_rows(client)
    authors = [cell for row in rows[1:] for cell in row if "(plus)" in cell]
    assert authors == ["'+33 6 00 @SUM(1+1) (plus)"]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_each_dangerous_prefix_is_neutralised(prefix):
    value = f"{prefix}1+1"
    assert csv_safe(value) == f"'{value}"


@pytest.mark.parametrize("value", ["Dupont", "", "'=déjà neutralisé", " =1+1", "1-2", "a=b"])
def test_harmless_text_is_left_alone(value):
    assert csv_safe(value) == value


def test_non_text_values():
    from datetime import date
    from decimal import Decimal

    assert csv_safe(None) == ""
    assert csv_safe(-3) == -3  # a real number is not a formula: kept as a number
    assert csv_safe(Decimal("-1.50")) == Decimal("-1.50")
    assert csv_safe(True) == "oui" and csv_safe(False) == "non"
    assert csv_safe(date(2026, 1, 2)) == "02/01/2026"


def test_streaming_response_neutralises_header_and_rows():
    response = csv_streaming_response(
        filename="essai.csv", header=["Nom", "=Formule"], rows=[["=1+1", "-2+3"], ["ok", 4]],
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body), delimiter=";")) == [
        ["Nom", "'=Formule"], ["'=1+1", "'-2+3"], ["ok", "4"],
    ]
    assert response["Content-Disposition"] == 'attachment; filename="essai.csv"'


def test_every_csv_export_goes_through_the_safe_writer():
    """No module writes CSV by itself: later exports must reuse ``maillage.core.csvexport``."""
    from pathlib import Path

    import maillage

    root = Path(maillage.__file__).parent
    offenders = []
    # Build scripts of vendored reference data write files for the repository, never a
    # response: they are not exports.
    build_scripts = {root / "territory" / "data" / "build_birthplaces.py",
                     root / "territory" / "data" / "build_communes.py"}
    for path in root.rglob("*.py"):
        if path.name == "csvexport.py" or "tests" in path.parts or "migrations" in path.parts \
                or path in build_scripts:
            continue
        text = path.read_text(encoding="utf-8")
        if "csv.writer(" in text or "csv.DictWriter(" in text or "import writer" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == [], f"CSV written without maillage.core.csvexport: {offenders}"


def test_numbers_have_a_decimal_comma_for_french_spreadsheets():
    """In a ``;`` file French Excel reads « 21.08 » as a date: decimals take a comma, and a
    computation's trailing zeros beyond the cents are dropped; a negative amount is still a
    number, not a neutralised formula."""
    from decimal import Decimal

    response = csv_streaming_response(
        filename="essai.csv", header=["Taux", "Montant", "Dépense", "Personnes", "Libellé"],
        rows=[[21.08, Decimal("217439.400000000"), Decimal("-1.50"), 12, "1.5 km"]])
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert content.splitlines()[1] == "21,08;217439,4;-1,50;12;1.5 km"
