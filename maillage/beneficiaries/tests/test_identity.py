"""INS: matricule validation (NIR key, Corsica), coherence with traits, identity status rules."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from maillage.beneficiaries.identity import check_status, check_traits, validate_matricule


def nir(body13: str) -> str:
    """Append the key: 97 − (number mod 97), Corsica 2A→19, 2B→18 for the computation."""
    digits = body13.replace("2A", "19").replace("2B", "18")
    return f"{body13}{97 - int(digits) % 97:02d}"


VALID = nir("2380549331012")  # woman, born 05/1938 in Segré (49331)


def test_valid_nir():
    validate_matricule(VALID)
    validate_matricule(" ".join([VALID[:1], VALID[1:3], VALID[3:5], VALID[5:]]))  # spaces


@pytest.mark.parametrize("body", ["1450220004123", "2450220004123"])
def test_corsica_nir_uses_19_and_18(body):
    corsica_a = body[:5] + "2A" + body[7:]
    corsica_b = body[:5] + "2B" + body[7:]
    validate_matricule(nir(corsica_a))
    validate_matricule(nir(corsica_b))
    # The key computed without the substitution is refused.
    wrong = corsica_a + f"{97 - int(body) % 97:02d}"
    if wrong != nir(corsica_a):
        with pytest.raises(ValidationError, match="clé du matricule INS est incorrecte"):
            validate_matricule(wrong)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (VALID[:-2] + f"{(int(VALID[-2:]) + 1) % 100:02d}", "clé du matricule INS est incorrecte"),
        (VALID[:10], "compte 15 caractères"),
        ("2380549X31012" + "00", "pas un format valide"),
    ],
)
def test_invalid_nir(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_matricule(value)


def test_traits_must_match_the_matricule():
    assert check_traits(matricule=VALID, sex="F", birth_date=date(1938, 5, 12)) == []
    problems = dict(check_traits(matricule=VALID, sex="M", birth_date=date(1939, 5, 12)))
    assert "sexe" in problems["sex"]
    assert "année de naissance" in problems["birth_date"]


def test_identity_status_requirements():
    assert check_status(status="PROV", matricule="", oid="", document="", validated_by=None,
                        validated_on=None) == []
    recup = dict(check_status(status="RECUP", matricule="", oid="", document="",
                              validated_by=None, validated_on=None))
    assert set(recup) == {"ins_matricule", "ins_oid"}
    vali = dict(check_status(status="VALI", matricule="", oid="", document="",
                             validated_by=None, validated_on=None))
    assert "pièce d'identité" in vali["identity_document"]
    nia = dict(check_status(status="PROV", matricule=VALID, oid="1.2.250.1.213.1.4.9",
                            document="", validated_by=None, validated_on=None))
    assert "NIA commence par 7 ou 8" in nia["ins_oid"]
