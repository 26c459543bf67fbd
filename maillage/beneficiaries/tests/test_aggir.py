"""Tests of the AGGIR grid (pure Python, no database)."""

from itertools import product

import pytest

from maillage.beneficiaries import aggir

# --------------------------------------------------------------------------------------------
# Variables
# --------------------------------------------------------------------------------------------


def test_discriminant_variables_in_spec_order():
    assert aggir.DISCRIMINANT_CODES == (
        "coherence",
        "orientation",
        "toilette",
        "habillage",
        "alimentation",
        "elimination",
        "transferts",
        "deplacements_interieurs",
        "deplacements_exterieurs",
        "communication_distance",
    )
    assert [v.label for v in aggir.DISCRIMINANT_VARIABLES] == [
        "Cohérence",
        "Orientation",
        "Toilette",
        "Habillage",
        "Alimentation",
        "Élimination",
        "Transferts",
        "Déplacements à l'intérieur",
        "Déplacements à l'extérieur",
        "Communication à distance",
    ]
    assert all(v.discriminant for v in aggir.DISCRIMINANT_VARIABLES)


def test_illustrative_variables():
    assert aggir.ILLUSTRATIVE_CODES == (
        "gestion",
        "cuisine",
        "menage",
        "transports",
        "achats",
        "suivi_traitement",
        "activites_temps_libre",
    )
    assert not any(v.discriminant for v in aggir.ILLUSTRATIVE_VARIABLES)
    assert not any(v.has_sub_variables for v in aggir.ILLUSTRATIVE_VARIABLES)


def test_sub_variables():
    subs = {v.code: v.sub_variable_codes for v in aggir.ALL_VARIABLES if v.has_sub_variables}
    assert subs == {
        "coherence": ("coherence.communication", "coherence.comportement"),
        "orientation": ("orientation.temps", "orientation.espace"),
        "toilette": ("toilette.haut", "toilette.bas"),
        "habillage": ("habillage.haut", "habillage.moyen", "habillage.bas"),
        "alimentation": ("alimentation.se_servir", "alimentation.manger"),
        "elimination": ("elimination.urinaire", "elimination.fecale"),
    }


def test_codes_are_ascii_and_unique():
    codes = list(aggir.VARIABLES_BY_CODE) + list(aggir.SUB_VARIABLES_BY_CODE)
    assert len(codes) == len(set(codes)) == 17 + 13
    assert all(code.isascii() for code in codes)


def test_input_codes_list_every_field_once():
    assert len(aggir.INPUT_CODES) == 4 + 13 + 7  # 4 simple + 13 sub-variables + 7 illustrative
    assert aggir.INPUT_CODES[:3] == (
        "coherence.communication",
        "coherence.comportement",
        "orientation.temps",
    )
    assert aggir.INPUT_CODES[-1] == "activites_temps_libre"


# --------------------------------------------------------------------------------------------
# Adverbs
# --------------------------------------------------------------------------------------------


def test_adverbs_order():
    assert [a.code for a in aggir.ADVERBS] == [
        "spontanement",
        "totalement",
        "correctement",
        "habituellement",
    ]


@pytest.mark.parametrize("answers", list(product((True, False), repeat=4)))
def test_code_from_adverbs(answers):
    expected = "A" if all(answers) else "C" if not any(answers) else "B"
    assert aggir.code_from_adverbs(*answers) == expected


def test_code_from_adverbs_keywords():
    assert (
        aggir.code_from_adverbs(
            spontanement=True, totalement=True, correctement=True, habituellement=True
        )
        == "A"
    )
    assert (
        aggir.code_from_adverbs(
            spontanement=False, totalement=True, correctement=True, habituellement=True
        )
        == "B"
    )
    assert (
        aggir.code_from_adverbs(
            spontanement=False, totalement=False, correctement=False, habituellement=False
        )
        == "C"
    )


# --------------------------------------------------------------------------------------------
# Combination of sub-variables (explicit expected tables, every combination)
# --------------------------------------------------------------------------------------------

# AA -> A; CC, BC, CB -> C; other pairs -> B
COHERENCE_TABLE = {
    "AA": "A", "AB": "B", "AC": "B",
    "BA": "B", "BB": "B", "BC": "C",
    "CA": "B", "CB": "C", "CC": "C",
}  # fmt: skip
# AA -> A; CC -> C; other pairs -> B
TOILETTE_TABLE = {
    "AA": "A", "AB": "B", "AC": "B",
    "BA": "B", "BB": "B", "BC": "B",
    "CA": "B", "CB": "B", "CC": "C",
}  # fmt: skip
# AA -> A; any C -> C; other pairs -> B
ELIMINATION_TABLE = {
    "AA": "A", "AB": "B", "AC": "C",
    "BA": "B", "BB": "B", "BC": "C",
    "CA": "C", "CB": "C", "CC": "C",
}  # fmt: skip
# AAA -> A; CCC -> C; the 25 others -> B
HABILLAGE_TABLE = {
    "AAA": "A", "AAB": "B", "AAC": "B", "ABA": "B", "ABB": "B", "ABC": "B",
    "ACA": "B", "ACB": "B", "ACC": "B", "BAA": "B", "BAB": "B", "BAC": "B",
    "BBA": "B", "BBB": "B", "BBC": "B", "BCA": "B", "BCB": "B", "BCC": "B",
    "CAA": "B", "CAB": "B", "CAC": "B", "CBA": "B", "CBB": "B", "CBC": "B",
    "CCA": "B", "CCB": "B", "CCC": "C",
}  # fmt: skip

EXPECTED_TABLES = {
    "coherence": COHERENCE_TABLE,
    "orientation": COHERENCE_TABLE,
    "toilette": TOILETTE_TABLE,
    "habillage": HABILLAGE_TABLE,
    "alimentation": COHERENCE_TABLE,
    "elimination": ELIMINATION_TABLE,
}


@pytest.mark.parametrize("variable_code", list(EXPECTED_TABLES))
def test_combine_exhaustive(variable_code):
    table = EXPECTED_TABLES[variable_code]
    variable = aggir.VARIABLES_BY_CODE[variable_code]
    assert len(table) == 3 ** len(variable.sub_variables)
    for letters, expected in table.items():
        sub_codes = dict(zip(variable.sub_variable_codes, letters, strict=True))
        assert aggir.combine(variable_code, sub_codes) == expected, (variable_code, letters)
        assert aggir.combination_table(variable_code)[tuple(letters)] == expected


def test_combine_accepts_short_keys_and_lowercase():
    assert aggir.combine("habillage", {"haut": "a", "moyen": "a", "bas": "a"}) == "A"
    assert aggir.combine("coherence", {"communication": "b", "coherence.comportement": "C"}) == "C"


def test_combine_order_of_keys_does_not_matter():
    assert aggir.combine("elimination", {"fecale": "C", "urinaire": "A"}) == "C"
    assert aggir.combine("toilette", {"bas": "C", "haut": "C"}) == "C"


@pytest.mark.parametrize(
    ("variable_code", "sub_codes", "message"),
    [
        ("inconnue", {}, "Variable AGGIR inconnue"),
        ("transferts", {"transferts": "A"}, "n'a pas de sous-variables"),
        ("coherence", {"communication": "A"}, "Sous-variables manquantes"),
        ("coherence", {"communication": "A", "comportement": "A", "x": "A"}, "inconnue"),
        ("coherence", {"communication": "A", "comportement": "D"}, "doit être A, B ou C"),
        ("coherence", {"communication": "A", "comportement": None}, "doit être A, B ou C"),
        (
            "coherence",
            {"communication": "A", "coherence.communication": "B", "comportement": "A"},
            "deux fois",
        ),
        ("coherence", "AA", "sont attendus"),
    ],
)
def test_combine_errors(variable_code, sub_codes, message):
    with pytest.raises(ValueError, match=message):
        aggir.combine(variable_code, sub_codes)


def test_combination_table_of_simple_variable_raises():
    with pytest.raises(ValueError, match="n'a pas de sous-variables"):
        aggir.combination_table("transferts")


# --------------------------------------------------------------------------------------------
# GIR: hand-checked vectors (order: coh ori toi hab ali eli tra dpi dpe com)
# --------------------------------------------------------------------------------------------

VECTORS = [
    # group A: C coh 2000 + C ori 1200 + C toi 40 + C hab 40 + C ali 60 + C eli 100
    #          + C tra 800 + C dpi 200 = 4440 >= 4380 -> rang 1
    ("CCCCCCCCCC", 1, 1),
    # group A: same 4440 (dpe, com weigh 0) -> rang 1
    ("CCCCCCCCAA", 1, 1),
    # group A: 2000 + 1200 + B toi 16 + 40 + 60 + 100 + 800 + 200 = 4416 >= 4380 -> rang 1
    ("CCBCCCCCAA", 1, 1),
    # group A: 2000 + 1200 + 40 + 40 + 60 + 100 + 800 = 4240, 4140 <= 4240 < 4380 -> rang 2
    ("CCCCCCCAAA", 2, 2),
    # group A: 2000 + 1200 + C tra 800 + C dpi 200 = 4200 -> rang 2
    ("CCAAAACCAA", 2, 2),
    # group A: 2000 + 1200 + B toi 16 + B hab 16 + B ali 20 + B eli 16 + B tra 120 + B dpi 32
    #          = 3420, 3390 <= 3420 < 4140 -> rang 3
    ("CCBBBBBBCB", 3, 2),
    # group A: 2000 + 1200 + 800 = 4000 -> rang 3
    ("CCAAAACAAA", 3, 2),
    # group A: 3200 < 3390; group B: C coh 1500 + C ori 1200 = 2700 >= 2016 -> rang 4
    ("CCAAAAAAAA", 4, 2),
    # group A: 2000 + 16 + 16 + 20 + 16 + 800 = 2868;
    # group B: 1500 + B ori 120 + 16 + 16 + B ali 0 + 16 + 800 = 2468 >= 2016 -> rang 4
    ("CBBBBBCAAA", 4, 2),
    # group A: 1200 + 800 = 2000; group B: B coh 320 + 1200 + 800 = 2320 -> rang 4
    ("BCAAAACAAA", 4, 2),
    # group A: 1200 + 40 + 40 + 60 + 100 + 800 + 200 = 2440;
    # group B: 1200 + 40 + 40 + 60 + 100 + 800 - 80 = 2160 >= 2016 -> rang 4
    ("ACCCCCCCAA", 4, 2),
    # group A: 40 + 40 + 60 + 100 + 800 + 200 = 1240; group B: 40+40+60+100+800-80 = 960;
    # group C: 40 + 40 + 60 + 160 + 1000 + 400 = 1700 >= 1700 -> rang 5
    ("AACCCCCCAA", 5, 2),
    # group A: 1240; group B: 320 + 960 = 1280; group C: 1700 -> rang 5
    ("BACCCCCCAA", 5, 2),
    # group A: 100 + 800 + 200 = 1100; group B: 100 + 800 - 80 = 820;
    # group C: 160 + 1000 + 400 = 1560, 1432 <= 1560 < 1700 -> rang 6
    ("AAAAACCCAA", 6, 2),
    # group A: 16+16+20+16+800+200 = 1068; group B: 320+120+16+16+0+16+800-80 = 1208;
    # group C: 16 + 16 + 20 + 20 + 1000 + 400 = 1472 -> rang 6
    ("BBBBBBCCAA", 6, 2),
    # A: 60 + 100 = 160; B: 160; C: 60 + 160 = 220; group D: C ali 2000 + C eli 400 = 2400
    # >= 2400 -> rang 7
    ("AAAACCAAAA", 7, 2),
    # A: 20 + 16 + 800 = 836; B: 0 + 16 + 800 = 816; C: 20 + 20 + 1000 = 1040;
    # group D: B ali 200 + B eli 200 + C tra 2000 = 2400 -> rang 7
    ("AAAABBCAAA", 7, 2),
    # A: 40 + 100 = 140; B: 140; C: 40 + 160 = 200; D: 400;
    # group E: C toi 400 + C eli 800 = 1200 >= 1200 -> rang 8
    ("AACAACAAAA", 8, 3),
    # A: 2000 + 100 = 2100; B: 1500 + 100 = 1600; C: 160; D: 400;
    # group E: C coh 400 + C eli 800 = 1200 -> rang 8
    ("CAAAACAAAA", 8, 3),
    # A: 80; B: 80; C: 80; D: 0; E: 400 + 400 = 800;
    # group F: C toi 500 + C hab 500 = 1000 >= 800 -> rang 9
    ("AACCAAAAAA", 9, 3),
    # A: 40+40+20+16+120 = 236; B: 320+120+40+40+0+16+120 = 656; C: 40+40+20+20+200 = 320;
    # D: 200+200+200 = 600; E: 400+400+100+100+100 = 1100;
    # group F: 100 + 100 + 500 + 500 + 100 + 100 + 100 = 1500 -> rang 9
    ("BBCCBBBAAA", 9, 3),
    # A: 16+16+20+16+120+32 = 220; B: 320+120+16+16+0+16+120-40 = 568;
    # C: 16+16+20+20+200+40 = 312; D: 600; E: 500; F: 700;
    # group G: 200 * 5 + B dpi 100 = 1100 >= 650 -> rang 10
    ("BBBBBBBBBB", 10, 4),
    # A: 68; B: 48; C: 72; D: 400; E: 400; F: 400; group G: 4 * 200 = 800 -> rang 10
    ("AABBBBAAAA", 10, 4),
    # A: 2000+16+16 = 2032; B: 1500+16+16 = 1532; C: 32; D: 0; E: 400+100+100 = 600;
    # F: 200+100+100 = 400; G: 150+200+200 = 550; group H: 2000 + 2000 = 4000 -> rang 11
    ("CABBAAAAAA", 11, 4),
    # A: 32; B: 32; C: 32; D: 0; E: 200; F: 200; G: 400; group H: 4000 -> rang 11
    ("AABBAAAAAA", 11, 4),
    # A: 52; B: 32; C: 52; D: 200; E: 300; F: 300; G: 600; group H: 6000 -> rang 11
    ("AABBBAAAAA", 11, 4),
    # A: 16; B: 16; C: 16; D: 0; E: 100; F: 100; G: 200; group H: B toi 2000 -> rang 12
    ("AABAAAAAAA", 12, 5),
    # A: 40; B: 40; C: 40; D: 0; E: 400; F: 500; G: 300; group H: C toi 3000 -> rang 12
    ("AACAAAAAAA", 12, 5),
    # A: 120; B: 120; C: 200; D: 200; E: 100; F: 100; G: 200; group H: B tra 2000 -> rang 12
    ("AAAAAABAAA", 12, 5),
    # every group sums to 0; group H: 0 < 2000 -> rang 13
    ("AAAAAAAAAA", 13, 6),
    # A: 800; B: 800; C: 1000; D: 2000; E: 800; F: 500; G: 400; group H: C tra 1000 -> rang 13
    ("AAAAAACAAA", 13, 6),
    # A: 200; B: -80; C: 400; D: 200; E: 200; F: 200; G: 200; group H: 1000 -> rang 13
    ("AAAAAAACAA", 13, 6),
    # A: 0; B: 320 + 120 = 440; C: 0; D: 0; E: 0; F: 200; G: 0; group H: 0 -> rang 13
    ("BBAAAAAAAA", 13, 6),
    # A: 2000; B: 1500 + 120 = 1620; C: 0; D: 0; E: 400; F: 300; G: 150; H: 0 -> rang 13
    ("CBAAAAAAAA", 13, 6),
    # déplacements extérieurs and communication à distance weigh 0 everywhere -> rang 13
    ("AAAAAAAACC", 13, 6),
]


@pytest.mark.parametrize(("codes", "rang", "gir"), VECTORS)
def test_gir_vectors(codes, rang, gir):
    assert aggir.gir_from_codes(codes) == (rang, gir)
    assert aggir.rang_from_codes(codes) == rang


def test_vectors_cover_every_rang():
    assert {rang for _, rang, _ in VECTORS} == set(range(1, 14))
    assert len(VECTORS) >= 25


def test_lowercase_accepted():
    assert aggir.gir_from_codes("ccbbbbbbcb") == (3, 2)
    assert aggir.gir_from_codes("aAbBcCaAbB") == aggir.gir_from_codes("AABBCCAABB")


@pytest.mark.parametrize(
    "codes",
    [
        "",
        "CCBBBBBBC",
        "CCBBBBBBCBA",
        "CCBBBBBBCD",
        "CCBBBBBBC ",
        "12345678AB",
        None,
        10,
        ["A"] * 10,
    ],
)
def test_bad_input_raises_french_message(codes):
    with pytest.raises(ValueError, match="La grille AGGIR attend 10 codes A, B ou C"):
        aggir.gir_from_codes(codes)


EXPECTED_RANG_TO_GIR = {
    1: 1, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3, 10: 4, 11: 4, 12: 5, 13: 6,
}  # fmt: skip


def test_rang_to_gir_map():
    assert aggir.RANG_TO_GIR == EXPECTED_RANG_TO_GIR


def test_every_code_string_gives_a_consistent_result_and_ignores_last_two():
    seen_rangs = set()
    count = 0
    for codes in aggir.all_code_strings():
        count += 1
        rang, gir = aggir.gir_from_codes(codes)
        assert 1 <= rang <= 13, codes
        assert gir == EXPECTED_RANG_TO_GIR[rang], codes
        # déplacements extérieurs and communication à distance never change the result
        assert (rang, gir) == aggir.gir_from_codes(codes[:8] + "AA"), codes
        seen_rangs.add(rang)
    assert count == 3**10
    assert seen_rangs == set(range(1, 14))


def test_last_two_weights_are_zero_in_every_group():
    for group in aggir.GROUPS:
        assert group.c_weights[8:] == (0, 0)
        assert group.b_weights[8:] == (0, 0)


# --------------------------------------------------------------------------------------------
# By variable code
# --------------------------------------------------------------------------------------------


def _as_dict(codes):
    return dict(zip(aggir.DISCRIMINANT_CODES, codes, strict=True))


def test_gir_from_variables():
    assert aggir.gir_from_variables(_as_dict("CCBBBBBBCB")) == (3, 2)
    assert aggir.gir_from_variables(_as_dict("aaaaaaaaaa")) == (13, 6)
    assert aggir.codes_string(_as_dict("ccbbbbbbcb")) == "CCBBBBBBCB"


def test_gir_from_variables_errors():
    codes = _as_dict("CCBBBBBBCB")
    with pytest.raises(ValueError, match="manquantes : Transferts"):
        aggir.gir_from_variables({k: v for k, v in codes.items() if k != "transferts"})
    with pytest.raises(ValueError, match="inconnues : gestion"):
        aggir.gir_from_variables({**codes, "gestion": "A"})
    with pytest.raises(ValueError, match="doit être A, B ou C"):
        aggir.gir_from_variables({**codes, "transferts": "X"})
    with pytest.raises(ValueError, match="sont attendus"):
        aggir.gir_from_variables("CCBBBBBBCB")


def test_variable_codes_from_inputs():
    inputs = {
        "coherence.communication": "B",
        "coherence.comportement": "C",
        "orientation.temps": "A",
        "orientation.espace": "C",
        "toilette.haut": "A",
        "toilette.bas": "C",
        "habillage.haut": "C",
        "habillage.moyen": "C",
        "habillage.bas": "C",
        "alimentation.se_servir": "C",
        "alimentation.manger": "A",
        "elimination.urinaire": "A",
        "elimination.fecale": "C",
        "transferts": "b",
        "deplacements_interieurs": "B",
        "deplacements_exterieurs": "C",
        "communication_distance": "B",
        "cuisine": "C",
    }
    codes = aggir.variable_codes_from_inputs(inputs)
    assert codes == {
        "coherence": "C",  # BC -> C
        "orientation": "B",  # AC -> B
        "toilette": "B",  # AC -> B
        "habillage": "C",  # CCC -> C
        "alimentation": "B",  # CA -> B
        "elimination": "C",  # AC -> C
        "transferts": "B",
        "deplacements_interieurs": "B",
        "deplacements_exterieurs": "C",
        "communication_distance": "B",
        "cuisine": "C",
    }
    discriminant = {k: v for k, v in codes.items() if k in aggir.DISCRIMINANT_CODES}
    assert aggir.codes_string(discriminant) == "CBBCBCBBCB"
