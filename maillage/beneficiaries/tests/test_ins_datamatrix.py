"""The INS DataMatrix text (``ins_datamatrix.payload``): every field, the GS rule, the date
order, the refusals; and the round trip through zxing-cpp (written, then read back)."""

from datetime import date

import pytest
import zxingcpp

from maillage.beneficiaries import ins_datamatrix as dm
from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.models import Beneficiary

GS = "\x1d"
HEADER = "IS010000000000000000000000"


def person(**fields) -> Beneficiary:
    """A qualified identity (not saved: the payload reads the traits only)."""
    values = {
        "birth_name": "HAMON", "first_names": "JEANNE LOUISE", "first_name": "JEANNE",
        "birth_date": date(1938, 5, 12), "sex": "F", "birth_place_code": "49331",
        "ins_matricule": "238054933101245", "ins_oid": InsOid.NIR,
        "identity_status": IdentityStatus.QUAL,
    }
    values.update(fields)
    return Beneficiary(**values)


def read_back(text: str) -> list[str]:
    image = dm.symbol(text).to_image(scale=3)
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix,
                                                   text_mode=zxingcpp.TextMode.Plain)]


class TestPayload:
    def test_every_field_in_order(self):
        assert dm.payload(person()) == (
            HEADER + "S1238054933101245" + "S21.2.250.1.213.1.4.8" + GS
            + "S3JEANNE LOUISE" + GS + "S4HAMON" + GS + "S5F" + "S612-05-1938" + "S749331")

    def test_header_is_26_characters(self):
        assert len(HEADER) == 26 and dm.HEADER == HEADER

    def test_fixed_length_fields_take_no_separator(self):
        text = dm.payload(person())
        for fixed in ("S1238054933101245", "S5F", "S612-05-1938"):
            after = text.index(fixed) + len(fixed)
            assert text[after:after + 1] != GS, fixed
        assert text.endswith("S749331")  # the last field is never closed

    def test_a_twenty_character_oid_takes_no_separator(self):
        text = dm.payload(person(ins_oid=InsOid.TEST_NIR))
        assert "S21.2.250.1.213.1.4.10S3JEANNE LOUISE" + GS in text

    def test_a_given_name_list_of_exactly_100_characters_takes_no_separator(self):
        names = " ".join(["MARIE"] * 16) + " ANNE"  # 16 × 5 + 15 spaces + 5
        assert len(names) == 100
        text = dm.payload(person(first_names=names))
        assert f"S3{names}S4HAMON{GS}" in text
        assert dm.parse(text)["S3"] == names

    def test_date_is_day_month_year(self):
        assert "S601-12-2001" in dm.payload(person(birth_date=date(2001, 12, 1)))

    @pytest.mark.parametrize("sex", ["M", "F"])
    def test_sex(self, sex):
        assert f"S5{sex}S6" in dm.payload(person(sex=sex, ins_matricule="147129913405218"))

    def test_several_given_names_accents_and_case_as_insi_writes_them(self):
        text = dm.payload(person(first_names="  Marie-Hélène   Zoë  Œdipe ", birth_name="N’Diaye"))
        fields = dm.parse(text)
        assert fields["S3"] == "MARIE-HELENE ZOE OEDIPE"
        assert fields["S4"] == "N'DIAYE"

    @pytest.mark.parametrize("code", ["2A004", "2B033"])
    def test_corsican_birth_place(self, code):
        matricule = {"2A004": "255082A00412369", "2B033": "162022B03301116"}[code]
        fields = dm.parse(dm.payload(person(ins_matricule=matricule, birth_place_code=code.lower(),
                                            sex="F" if matricule[0] == "2" else "M")))
        assert fields["S1"] == matricule and fields["S7"] == code

    def test_born_abroad(self):
        fields = dm.parse(dm.payload(person(birth_place_code="99134", sex="M",
                                            ins_matricule="147129913405218")))
        assert fields["S7"] == "99134"

    def test_nia_and_nir_carry_their_own_oid(self):
        nia = dm.parse(dm.payload(person(ins_matricule="755089921700322", ins_oid=InsOid.NIA,
                                         birth_place_code="99217")))
        nir = dm.parse(dm.payload(person()))
        assert (nia["S1"], nia["S2"]) == ("755089921700322", "1.2.250.1.213.1.4.9")
        assert (nir["S1"], nir["S2"]) == ("238054933101245", "1.2.250.1.213.1.4.8")

    def test_matricule_written_without_spaces(self):
        assert dm.parse(dm.payload(person(ins_matricule="2 38 05 49 331 012 45")))["S1"] == (
            "238054933101245")

    @pytest.mark.parametrize("status", [IdentityStatus.PROV, IdentityStatus.RECUP,
                                        IdentityStatus.VALI])
    def test_no_datamatrix_unless_qualified(self, status):
        b = person(identity_status=status)
        assert dm.payload(b) is None and dm.for_document(b) is None

    def test_no_datamatrix_without_matricule_or_oid(self):
        assert dm.payload(person(ins_matricule="")) is None
        assert dm.payload(person(ins_oid="")) is None

    def test_a_given_name_list_over_100_characters_is_refused_not_cut(self):
        names = " ".join(["MARIE"] * 17)  # 101 characters
        with pytest.raises(dm.InsDatamatrixError, match="S3 .* de 1 à 100 caractères"):
            dm.payload(person(first_names=names))

    def test_undetermined_sex_is_refused(self):
        with pytest.raises(dm.InsDatamatrixError, match="sexes M et F"):
            dm.payload(person(sex="I"))

    @pytest.mark.parametrize("name", ["DUPONT2", "DUPONT, MARTIN", "-", ""])
    def test_characters_without_equivalent_are_refused(self, name):
        with pytest.raises(dm.InsDatamatrixError, match="Le nom de naissance"):
            dm.payload(person(birth_name=name))

    def test_a_qualified_identity_that_does_not_fit_prints_its_ins_without_the_code(self):
        printed = dm.for_document(person(sex="I"))
        assert printed.matricule == "238054933101245" and printed.datamatrix is None

    def test_parse_refuses_another_code(self):
        with pytest.raises(ValueError, match="en-tête"):
            dm.parse("0101234567890128")


class TestRoundTrip:
    @pytest.mark.parametrize("fields", [
        {},
        {"ins_oid": InsOid.TEST_NIR},
        {"ins_matricule": "255082A00412369", "birth_place_code": "2A004"},
        {"ins_matricule": "755089921700322", "ins_oid": InsOid.NIA, "birth_place_code": "99217",
         "first_names": "Ana-Maria D'Souza Lúcia"},
    ])
    def test_written_then_read_back_equal(self, fields):
        text = dm.payload(person(**fields))
        assert read_back(text) == [text]

    def test_the_default_text_mode_shows_gs_as_a_placeholder(self):
        text = dm.payload(person())
        image = dm.symbol(text).to_image(scale=3)
        shown = zxingcpp.read_barcodes(image)[0].text
        assert shown == text.replace(GS, "<GS>")

    def test_symbol_is_square(self):
        svg = dm.svg(dm.payload(person()))
        assert svg.startswith('<svg class="ins-dm" width="20mm" height="20mm"')
        width, height = (int(n) for n in
                         svg.split('viewBox="0 0 ')[1].split('"')[0].split())
        assert width == height
        assert "<?xml" not in svg and "<!DOCTYPE" not in svg


class TestBlock:
    """``{% ins_block b %}``: what a document prints (the PDFs themselves are read back in
    ``test_ins_datamatrix_documents``)."""

    @staticmethod
    def render(b) -> str:
        from django.template import Context, Template

        return Template("{% load ins %}{% ins_block b %}").render(Context({"b": b}))

    def test_qualified(self):
        html = self.render(person())
        assert '<svg class="ins-dm"' in html
        assert "<strong>INS</strong> (NIR)" in html and "238054933101245" in html
        assert "OID 1.2.250.1.213.1.4.8" in html and "non imprimable" not in html

    def test_nia(self):
        html = self.render(person(ins_matricule="755089921700322", ins_oid=InsOid.NIA))
        assert "<strong>INS</strong> (NIA)" in html

    def test_not_qualified_prints_nothing(self):
        assert self.render(person(identity_status=IdentityStatus.VALI)).strip() == ""

    def test_qualified_but_not_printable(self, caplog):
        html = self.render(person(sex="I"))
        assert "<svg" not in html and "DataMatrix non imprimable" in html
        assert "238054933101245" in html
        assert "INS DataMatrix not printed" in caplog.text
