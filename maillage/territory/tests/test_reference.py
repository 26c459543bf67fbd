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


def test_every_demo_commune_is_placed_from_the_reference():
    from maillage.territory.demo import VOLET2_ONLY
    from maillage.territory.demo_communes import ANJOU_BLEU, BAUGEOIS_VALLEE

    rows = ANJOU_BLEU + BAUGEOIS_VALLEE
    for insee, postal_code, name, _minutes in rows:
        ref = reference.lookup(insee)
        assert (ref.name, ref.postal_code) == (name, postal_code)
        assert ref.has_position and ref.population
    assert VOLET2_ONLY <= {name for *_, name, _minutes in rows}


def test_the_migration_places_the_communes_already_there(crt_a):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "maillage.territory.migrations.0003_commune_coverage")
    candé = CommuneFactory(crt=crt_a, insee_code="49054")
    unknown = CommuneFactory(crt=crt_a, insee_code="49999")
    migration.fill_from_reference(apps, None)
    candé.refresh_from_db()
    unknown.refresh_from_db()
    assert (candé.latitude, candé.longitude, candé.population) == (
        Decimal("47.5596"), Decimal("-1.0313"), 2801)
    assert unknown.latitude is None and unknown.population is None
