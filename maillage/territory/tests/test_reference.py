"""The national commune reference (``data/communes.csv.gz``): known communes' positions,
populations and postal codes; ``commune_coordinates`` for maps and travel times."""

from decimal import Decimal

import pytest

from maillage.territory import reference
from maillage.territory.selectors import commune_coordinates

from .factories import CommuneFactory


def test_known_communes_have_their_official_data():
    candé = reference.lookup("49054")
    assert (candé.name, candé.postal_code, candé.population) == ("Candé", "49440", 2801)
    # The centre of Candé's box, a few hundred metres from its town hall (47.5617, -1.0361).
    assert (candé.latitude, candé.longitude) == (Decimal("47.5596"), Decimal("-1.0313"))
    paris = reference.lookup("75056")
    assert paris.population > 2_000_000
    assert abs(paris.latitude - Decimal("48.857")) < Decimal("0.01")
    assert abs(paris.longitude - Decimal("2.347")) < Decimal("0.01")
    ajaccio = reference.lookup("2a004")  # Corsica's letters, whatever the case typed
    assert ajaccio.name == "Ajaccio" and ajaccio.has_position
    saint_denis = reference.lookup("97411")  # La Réunion: the southern hemisphere
    assert saint_denis.latitude < 0 < saint_denis.longitude


def test_a_commune_nouvelle_is_centred_on_its_whole_territory():
    # Segré-en-Anjou Bleu (2017) took in 14 former communes around Segré.
    segré = reference.lookup("49331")
    assert segré.name == "Segré-en-Anjou Bleu" and segré.postal_code == "49500"
    assert Decimal("47.6") < segré.latitude < Decimal("47.8")
    assert Decimal("-0.95") < segré.longitude < Decimal("-0.75")


@pytest.mark.parametrize("code", ["49014", "99999", "", "4905", "ABCDE"])
def test_former_or_unknown_codes_are_not_current_communes(code):
    # 49014 (Aviré) is a commune déléguée of Segré-en-Anjou Bleu since 2017.
    assert reference.lookup(code) is None


def test_the_file_covers_the_current_cog():
    index = reference._index()
    assert len(index) == 35_014
    placed = [ref for ref in index.values() if ref.has_position]
    assert len(placed) == 34_868
    # Every placed commune is in France: metropolitan or overseas bounding boxes.
    for ref in placed:
        metro = Decimal("41") < ref.latitude < Decimal("51.2") and \
            Decimal("-5.3") < ref.longitude < Decimal("9.7")
        overseas = ref.insee_code.startswith("97")
        assert metro or overseas, ref


def test_commune_coordinates_for_rounds(crt_a, crt_b):
    found = commune_coordinates(["49054", "49331", "13201", "99999", "49014", ""])
    # Marseille's arrondissements have no box; unknown and former codes are left out.
    assert set(found) == {"49054", "49331"}
    assert found["49054"] == (47.5596, -1.0313)
    # The position corrected on the CRT's commune form wins, for that CRT only.
    CommuneFactory(crt=crt_a, insee_code="49054", latitude=Decimal("47.56170"),
                   longitude=Decimal("-1.03610"))
    assert commune_coordinates(["49054"], crt=crt_a) == {"49054": (47.5617, -1.0361)}
    assert commune_coordinates(["49054"], crt=crt_b) == {"49054": (47.5596, -1.0313)}
    assert commune_coordinates([]) == {}
