"""Every DLU of the demo, and the transfer sheet of every demo call about a person, exported as
CDA: valid against the CDA schema, the ANS DLU / FLUDT schematrons and the two CI-SIS profiles
(0 errors); the ``dlu export-cda`` command writes them all."""

import pytest
from django.core.management import call_command

from maillage.beneficiaries.access import MEDICAL_FIELDS
from maillage.oncall import cda
from maillage.oncall import dlu as dlu_module
from maillage.oncall.models import Call, EmergencyFile
from tests import cda_validation as v

pytestmark = pytest.mark.skipif(
    not v.available(), reason="Fixtures ANS absentes (tests/fixtures/ans_cda, voir ORIGIN.md)")


@pytest.fixture
def demo(demo_module):
    return demo_module


def test_every_demo_dlu_is_valid(demo, db):
    files = list(EmergencyFile.objects.select_related("crt", "beneficiary__commune",
                                                      "reviewed_by"))
    assert len(files) >= 20
    failures = {}
    for ef in files:
        b = ef.beneficiary
        built = dlu_module.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS)
        author = ef.reviewed_by or ef.created_by
        report = v.validate(cda.dlu_cda(built, crt=ef.crt, author=author), v.DLU_SCH)
        if not report.ok:
            failures[str(b.public_id)] = str(report)
    assert failures == {}


def test_every_demo_transfer_sheet_is_valid(demo, db):
    calls = list(Call.objects.filter(beneficiary__isnull=False)
                 .select_related("crt", "beneficiary__commune", "answered_by", "travelled_by"))
    assert len(calls) >= 20
    failures = {}
    for call in calls:
        built = dlu_module.build(beneficiary=call.beneficiary, show_key_box=False,
                                 medical_fields=MEDICAL_FIELDS)
        content = cda.transfer_cda(call, built, crt=call.crt, author=call.answered_by)
        report = v.validate(content, v.FLUDT_SCH)
        if not report.ok:
            failures[str(call.public_id)] = str(report)
    assert failures == {}


def test_export_command_on_the_demo(demo, db, tmp_path, capsys):
    call_command("dlu", "export-cda", "--out", str(tmp_path))
    written = sorted(tmp_path.iterdir())
    dlus = [p for p in written if p.name.endswith("-DLU.xml")]
    fludts = [p for p in written if p.name.endswith("-FLUDT.xml")]
    assert len(dlus) == EmergencyFile.objects.count()
    hospitalised = (Call.objects.filter(outcome=Call.Outcome.HOSPITALISED,
                                        beneficiary__emergency_file__isnull=False)
                    .values("beneficiary").distinct().count())
    assert len(fludts) == hospitalised
    out = capsys.readouterr().out
    assert f"{len(written)} fichiers écrits dans {tmp_path} : {len(dlus)} DLU et " in out
    for path in dlus[:3] + fludts[:3]:  # the software as author: valid too
        sch = v.DLU_SCH if path.name.endswith("-DLU.xml") else v.FLUDT_SCH
        report = v.validate(path.read_bytes(), sch)
        assert report.ok, f"{path.name}: {report}"
