"""The INS DataMatrix on every document that identifies a person: the DLU, the « fiche aller »
of a call (the transfer to the emergency department), the personalised plan and the contract.
Each PDF is rendered as the app renders it, page 1 rasterised (``pdftoppm``) and the code
read back from the image (zxing-cpp): every field checked. For an identity that is not
qualified, the same document carries no code and no matricule."""

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image

from maillage.admissions import services as admissions
from maillage.admissions.tests.factories import ReferralFactory
from maillage.beneficiaries import ins_datamatrix as dm
from maillage.beneficiaries.access import MEDICAL_FIELDS
from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, join_care_team
from maillage.care import selectors as care_selectors
from maillage.care.printing import plan_pdf
from maillage.care.tests import factories as care
from maillage.core.tests.helpers import pdf_text
from maillage.oncall import dlu
from maillage.oncall.tests import factories as oncall

MATRICULE = "255082A00412369"
EXPECTED = {
    "S1": MATRICULE, "S2": "1.2.250.1.213.1.4.8", "S3": "MARIE-HELENE LOUISE",
    "S4": "LE GOFF", "S5": "F", "S6": "24-08-1955", "S7": "2A004",
}
#: Low resolution that still decodes: the code is 20 mm wide (about 0.5 mm a module).
DPI = 110


def page_one_codes(pdf: bytes) -> list[str]:
    """The DataMatrix texts (Plain mode: GS kept) read on page 1 of ``pdf``, as printed."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:  # installed by .ci/run; never skipped silently
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        argv = [pdftoppm, "-r", str(DPI), "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
                str(source), str(Path(folder) / "page")]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)  # noqa: S603
        with Image.open(Path(folder) / "page.png") as image:
            image.load()
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix,
                                           text_mode=zxingcpp.TextMode.Plain)
    return [barcode.text for barcode in found]


@pytest.fixture(params=[IdentityStatus.QUAL, IdentityStatus.VALI], ids=["QUAL", "VALI"])
def person(request, crt_a, users):
    """Marie-Hélène Le Goff, born in Ajaccio; qualified identity, or only validated."""
    b = BeneficiaryFactory(
        crt=crt_a, birth_name="Le Goff", first_names="Marie-Hélène Louise",
        first_name="Marie-Hélène", birth_date=date(1955, 8, 24), sex="F",
        birth_place_code="2A004", ins_matricule=MATRICULE, ins_oid=InsOid.NIR,
        identity_status=request.param)
    consent(b, share_health=True)
    join_care_team(b, users["nurse"])
    return b


def dlu_pdf(b, users, client) -> bytes:
    return dlu.pdf(b, dlu.build(beneficiary=b, show_key_box=False,
                                medical_fields=MEDICAL_FIELDS), crt=b.crt,
                   printed_by=users["nurse"])


def fiche_aller_pdf(b, users, client) -> bytes:
    call = oncall.call(b.crt, users["nurse"], b, assessment="Chute dans la cuisine")
    client.force_login(users["nurse"])
    response = client.get(reverse("oncall:fiche_aller", kwargs={"call_id": call.public_id}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def care_plan_pdf(b, users, client) -> bytes:
    version = care.filled(care.plan_version(b, situation_summary="Vit seule."),
                          users["care_aide"])
    version = care_selectors.version_with_items(beneficiary=b, number=version.number)
    return plan_pdf(b, version, crt=b.crt)


def contract_pdf(b, users, client) -> bytes:
    referral = ReferralFactory(crt=b.crt, status="waiting", beneficiary=b)
    care.plan_version(b)
    contract = admissions.contract_generate(actor=users["coordinator"], referral=referral)
    with contract.file.open("rb") as stored:
        return stored.read()


def prescription_letter_pdf(b, users, client) -> bytes:
    from django.utils import timezone

    from maillage.care.services.prescriptions import letter_pdf

    req = care.prescription_request(b, users["nurse"])
    return letter_pdf(req, requester=users["nurse"], sent_at=timezone.now())


@pytest.mark.parametrize("render", [dlu_pdf, fiche_aller_pdf, care_plan_pdf, contract_pdf,
                                    prescription_letter_pdf],
                         ids=["DLU", "fiche aller", "plan", "contrat", "demande de prescription"])
def test_the_document_carries_the_ins_datamatrix_only_when_qualified(render, person, users,
                                                                     client):
    pdf = render(person, users, client)
    codes = page_one_codes(pdf)
    text = pdf_text(pdf)
    if person.identity_status == IdentityStatus.QUAL:
        assert codes == [dm.payload(person)]
        assert dm.parse(codes[0]) == EXPECTED
        # The human-readable INS beside the code.
        assert MATRICULE in text and "OID 1.2.250.1.213.1.4.8" in text
    else:
        assert codes == []
        assert MATRICULE not in text and "1.2.250.1.213.1.4.8" not in text
