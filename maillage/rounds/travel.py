"""Travel between the places of a CRT's rounds: metres and minutes, as the solver's matrices.

Estimated from the positions of the communes (WGS 84, from the vendored national reference,
``territory/reference.py``), because a CRT's territory is rural and a home's address is not
geocoded:

- the road distance is the great-circle distance times a detour factor (``ROAD_FACTOR``);
- the time is that distance at a speed that grows with the trip's length (village streets,
  then departmental roads), plus a fixed minute or two to park and reach the door;
- the CRT records, for each commune, the travel time from its base (``Commune.travel_minutes``):
  those legs take the recorded time as it is, and the estimates between communes are scaled by
  the ratio the recorded times show to the estimates (their median, at least three communes):
  the area's own speed, hills and ferries included;
- two homes in the same commune are a few minutes apart (``SAME_COMMUNE``).

- between two communes, the time **learned** from the visits' actual times replaces the
  estimate when enough exist (``learn``): a carer's departure from one home and arrival at the
  next, the same day, in the lower quartile of at least ``LEARN_MIN_SAMPLES`` trips (the gap
  may hold a wait or a call; its lower part is the drive), kept within ``CALIBRATION_BOUNDS``
  of the estimate (a visit traced hours late must not teleport anyone).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088
#: Road kilometres per great-circle kilometre: the usual order for France's secondary network.
ROAD_FACTOR = 1.25
#: (up to this many road kilometres, at this speed in km/h): the village, then the
#: departmental roads. Segré–Candé (22 km of road): 27 min estimated, 22 min at most in practice;
#: the CRT's recorded times correct the rest.
SPEEDS = ((2, 30), (10, 50), (30, 70), (math.inf, 80))
PARKING_MINUTES = 2
SAME_COMMUNE = (1500, 5)  # metres, minutes
UNPLACED_KM_PER_MINUTE = 50 / 60  # a commune without a position: its recorded time at 50 km/h
#: The calibration is kept within these bounds: a typing error in one commune's recorded time
#: must not make the whole territory twice as far.
CALIBRATION_BOUNDS = (0.5, 2.5)
#: Trips between two communes needed before their learned time replaces the estimate.
LEARN_MIN_SAMPLES = 5
#: A gap longer than this between two visits is not a trip (a break, the base in between).
LEARN_MAX_GAP = 90


@dataclass(frozen=True)
class Place:
    key: str  # a commune's INSEE code, or "base"
    latitude: float | None
    longitude: float | None
    base_minutes: int | None = None  # recorded travel time from the CRT's base


def crow_km(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + \
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def estimate(a: Place, b: Place) -> tuple[int, float]:
    """(road metres, minutes) between two positioned places, before calibration."""
    if a.key == b.key:
        return SAME_COMMUNE
    road_km = crow_km(a, b) * ROAD_FACTOR
    minutes, done = 0.0, 0.0
    for limit, speed in SPEEDS:  # the first kilometres slow, the next ones faster
        part = min(road_km, limit) - done
        if part <= 0:
            break
        minutes += part / speed * 60
        done += part
    return round(road_km * 1000), minutes + PARKING_MINUTES


def calibration(base: Place, places: list[Place]) -> float:
    """The median ratio of the recorded base times to the estimates (1 with fewer than 3)."""
    ratios = [p.base_minutes / estimate(base, p)[1] for p in places
              if p.base_minutes and p.latitude is not None and p.key != base.key]
    if len(ratios) < 3:
        return 1.0
    low, high = CALIBRATION_BOUNDS
    return min(high, max(low, statistics.median(ratios)))


def learn(trips) -> dict[tuple[str, str], int]:
    """Minutes between communes from visits done: ``trips`` are (carer, departure, arrival,
    commune) in order of carer then arrival, as the visits' actual times give them."""
    gaps: dict[tuple[str, str], list[float]] = {}
    previous = None
    for carer, start, end, commune in trips:
        if previous is not None and previous[0] == carer and previous[3] != commune \
                and previous[2].date() == start.date():
            gap = (start - previous[2]).total_seconds() / 60
            if 0 < gap <= LEARN_MAX_GAP:
                gaps.setdefault((previous[3], commune), []).append(gap)
        previous = (carer, start, end, commune)
    return {pair: round(statistics.quantiles(values, n=4, method="inclusive")[0])
            for pair, values in gaps.items() if len(values) >= LEARN_MIN_SAMPLES}


def matrices(base: Place, places: list[Place],
             learned: dict[tuple[str, str], int] | None = None,
             ) -> tuple[list[list[int]], list[list[int]], float]:
    """Metres and minutes between ``[base, *places]`` (index 0 the base), and the calibration.
    A place without a position is reached in its recorded time from the base, and from the
    other places through the base (a bound, never an underestimate). ``learned``: minutes
    between communes (by key) from the visits' actual times, used within bounds of the
    estimate; a pair learned one way only serves both."""
    if base.latitude is None:
        raise ValueError("La position du site du CRT est inconnue.")
    factor = calibration(base, places)
    nodes = [base, *places]
    n = len(nodes)
    metres = [[0] * n for _ in range(n)]
    minutes = [[0] * n for _ in range(n)]
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i == j:
                continue
            if 0 in (i, j) and (b if i == 0 else a).base_minutes is not None:
                other = b if i == 0 else a
                # Without a position, the kilometres follow from the time at a country speed.
                dist = estimate(base, other)[0] if other.latitude is not None \
                    else round(other.base_minutes * UNPLACED_KM_PER_MINUTE * 1000)
                metres[i][j], minutes[i][j] = dist, other.base_minutes
            elif a.latitude is not None and b.latitude is not None:
                dist, time = estimate(a, b)
                metres[i][j], minutes[i][j] = dist, round(time * factor)
                known = (learned or {}).get((a.key, b.key)) or (learned or {}).get((b.key, a.key))
                low, high = CALIBRATION_BOUNDS
                if known and a.key != b.key and low * time <= known <= high * time:
                    minutes[i][j] = known
            else:
                metres[i][j] = minutes[i][j] = -1  # filled below, through the base
    for i in range(n):
        for j in range(n):
            if metres[i][j] == -1:
                metres[i][j] = _leg(metres, minutes, i, 0)[0] + _leg(metres, minutes, 0, j)[0]
                minutes[i][j] = _leg(metres, minutes, i, 0)[1] + _leg(metres, minutes, 0, j)[1]
    return metres, minutes, factor


def _leg(metres, minutes, i: int, j: int) -> tuple[int, int]:
    if i == j:
        return 0, 0
    if metres[i][j] == -1:
        raise ValueError("Trajet inconnu : une commune n'a ni position ni temps de trajet "
                         "depuis le site.")
    return metres[i][j], minutes[i][j]
