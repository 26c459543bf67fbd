"""Travel times between a CRT's places, from the national reference's positions and the times
the CRT recorded from its base."""

import pytest

from maillage.rounds.travel import Place, crow_km, estimate, matrices
from maillage.territory import reference


def place(insee: str, base_minutes=None) -> Place:
    ref = reference.lookup(insee)
    return Place(insee, float(ref.latitude), float(ref.longitude), base_minutes)


BAUGE, ANGERS, HUILLE, MONTREUIL = "49018", "49007", "49174", "49215"


def test_crow_flies_and_roads_wind():
    assert crow_km(place("75056"), place("69123")) == pytest.approx(392, abs=3)  # Paris–Lyon
    metres, minutes = estimate(place(BAUGE), place(ANGERS))
    # 36 km as the crow flies, ≈ 45 km of road, ≈ 44 minutes (the real drive: 40–45 min).
    assert 43_000 <= metres <= 47_000
    assert 38 <= minutes <= 48
    assert estimate(place(BAUGE), place(BAUGE)) == (1500, 5)  # two homes of one commune


def test_recorded_times_override_and_calibrate():
    base = place(BAUGE)
    communes = [place(ANGERS, 80), place(HUILLE, 40), place(MONTREUIL, 100)]
    estimated = [estimate(base, c)[1] for c in communes]
    metres, minutes, factor = matrices(base, communes)
    # From the base: the recorded times, as they are, both ways.
    assert [minutes[0][i] for i in (1, 2, 3)] == [80, 40, 100]
    assert [minutes[i][0] for i in (1, 2, 3)] == [80, 40, 100]
    # Between communes: the estimate scaled by the median of recorded / estimated.
    ratios = sorted(r / e for r, e in zip((80, 40, 100), estimated, strict=True))
    assert factor == pytest.approx(ratios[1])
    assert factor > 1.5  # the recorded times are slower than the plain estimate
    assert minutes[1][3] == round(estimate(communes[0], communes[2])[1] * factor)
    assert metres[1][3] == estimate(communes[0], communes[2])[0]
    assert all(minutes[i][i] == 0 for i in range(4))


def test_a_typing_error_cannot_move_the_whole_territory():
    base = place(BAUGE)
    communes = [place(ANGERS, 900), place(HUILLE, 900), place(MONTREUIL, 900)]
    _, _, factor = matrices(base, communes)
    assert factor == 2.5


def test_few_recorded_times_leave_the_estimate_alone_and_unplaced_communes_go_through_the_base():
    base = place(BAUGE)
    lost = Place("99999", None, None, base_minutes=25)
    metres, minutes, factor = matrices(base, [place(ANGERS), lost])
    assert factor == 1.0
    assert minutes[0][2] == 25 and minutes[1][2] == minutes[1][0] + 25
    assert metres[0][2] == round(25 / 60 * 50_000)  # its recorded time at 50 km/h
    with pytest.raises(ValueError, match="ni position ni temps de trajet"):
        matrices(base, [Place("99998", None, None)])


def test_times_are_learned_from_the_visits_done():
    from datetime import datetime, timedelta

    def trips(carer, day, legs):
        """(carer, departure, arrival, commune) for a carer's visits of a day: each leg is
        (commune, minutes of the trip before it)."""
        at = datetime(2026, 11, day, 8)
        rows = []
        for commune, drive in legs:
            at += timedelta(minutes=drive)
            rows.append((carer, at, at + timedelta(minutes=30), commune))
            at += timedelta(minutes=30)
        return rows

    rows = []
    for day in range(2, 8):  # six days: Baugé → Huillé in 18, 20, 22, 25, 40 (a call), 19
        drive = [18, 20, 22, 25, 40, 19][day - 2]
        rows += trips("marie", day, [(BAUGE, 0), (HUILLE, drive)])
    rows += trips("lea", 2, [(BAUGE, 0), (MONTREUIL, 30)])  # one trip only: not enough
    # Same commune, another day, or two carers: never a trip.
    rows += trips("paul", 9, [(BAUGE, 0), (BAUGE, 5)])
    from maillage.rounds.travel import learn

    learned = learn(sorted(rows, key=lambda r: (r[0], r[1])))
    assert learned == {(BAUGE, HUILLE): 19}
    _, plain, _ = matrices(place(ANGERS), [place(BAUGE), place(HUILLE)])
    _, taught, _ = matrices(place(ANGERS), [place(BAUGE), place(HUILLE)], learned=learned)
    assert taught[1][2] == taught[2][1] == 19  # both ways
    assert plain[1][2] != 19
    # A learned time far from the estimate (a visit traced hours late) is not believed.
    _, wild, _ = matrices(place(ANGERS), [place(BAUGE), place(HUILLE)],
                          learned={(BAUGE, HUILLE): 2})
    assert wild[1][2] == plain[1][2]
