"""The home health care routing and scheduling benchmark of iolab-uniud (``hhcrsp``: Mankowska
et al. 2014 instances), its JSON instances and solutions, and a checker of our own.

Instance: ``patients`` (time window [e, l]: e a hard earliest start, l a soft deadline whose
overrun is tardiness; one or two required services with their durations; for two, a
``synchronization``: simultaneous, or sequential with the second starting dmin..dmax after the
first), ``caregivers`` with their abilities (services), one central office (index 0 of the
``distances`` matrix, then the patients in order). Travel time equals distance; no shift: every
caregiver leaves the office at 0 and has no end of day.

Solution: ``{"routes": [{"caregiver_id", "locations": [{"patient", "service", "arrival_time",
"departure_time"}]}]}``, one route per caregiver (empty ones included), ``arrival_time`` the start
of service. Objective: (travel, return to the office included, + total tardiness + maximum
tardiness) / 3.

The checker enforces the rules of the benchmark's validator (``validator/solution.py`` of
iolab-uniud/hhcrsp at bb345cc9) and three it misses: the earliest start of a single service, both
services of a double visit done, and by two different caregivers. The solver of this format is
``hhcrsp_solve.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

TOLERANCE = 1e-3


class HhcrspFormatError(ValueError):
    """A file that does not follow the format (in French)."""


@dataclass(frozen=True)
class Patient:
    id: str
    index: int  # in the distance matrix
    earliest: float
    deadline: float
    services: tuple[tuple[str, float], ...]  # (service, duration), in the file's order
    delay: tuple[float, float] | None  # second start − first start, for two services


@dataclass(frozen=True)
class Instance:
    name: str
    patients: tuple[Patient, ...]
    caregivers: dict[str, frozenset[str]]  # id -> abilities
    distances: list[list[float]]


def why(exc: Exception) -> str:
    """What is wrong with a file, in French, from the exception reading it raised."""
    if isinstance(exc, json.JSONDecodeError):
        return f"JSON invalide (ligne {exc.lineno}, colonne {exc.colno})"
    if isinstance(exc, KeyError):
        return f"champ « {exc.args[0]} » absent"
    if isinstance(exc, IndexError):
        return "liste trop courte"
    return "valeur d'un type inattendu"


def read_instance(path: Path | str) -> Instance:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        patients = []
        for i, p in enumerate(data["patients"], start=1):
            services = tuple((c["service"], float(c["duration"]))
                             for c in p["required_caregivers"])
            if not 1 <= len(services) <= 2:
                raise HhcrspFormatError(f"patient {p['id']} : 1 ou 2 services attendus.")
            delay = None
            if len(services) == 2:
                sync = p.get("synchronization") or {}
                if sync.get("type") == "simultaneous":
                    delay = (0.0, 0.0)
                elif sync.get("type") == "sequential":
                    delay = (float(sync["distance"][0]), float(sync["distance"][1]))
                else:
                    raise HhcrspFormatError(
                        f"patient {p['id']} : synchronisation absente ou inconnue.")
            earliest, deadline = (float(t) for t in p["time_window"])
            patients.append(Patient(p["id"], i, earliest, deadline, services, delay))
        caregivers = {c["id"]: frozenset(c["abilities"]) for c in data["caregivers"]}
        distances = [[float(v) for v in row] for row in data["distances"]]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, HhcrspFormatError):
            raise
        raise HhcrspFormatError(f"instance illisible : {why(exc)}.") from exc
    if len(distances) != len(patients) + 1 or any(len(r) != len(distances) for r in distances):
        raise HhcrspFormatError("la matrice des distances doit avoir une ligne et une colonne "
                                "pour le bureau puis pour chaque patient.")
    return Instance(path.stem, tuple(patients), caregivers, distances)


def check(instance: Instance, solution: dict) -> tuple[list[str], dict]:
    """(the faults found, in French; the costs: travel, total and maximum tardiness, objective)."""
    faults: list[str] = []
    patients = {p.id: p for p in instance.patients}
    routes = solution.get("routes", [])
    ids = [r.get("caregiver_id") or r.get("caregiver") for r in routes]
    if sorted(ids) != sorted(instance.caregivers):
        faults.append(f"une tournée par intervenant·e attendue, reçu {ids}")
    travel, tardiness = 0.0, []
    starts: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for caregiver, route in zip(ids, routes, strict=True):
        here, free_at = 0, 0.0
        for step in route.get("locations", []):
            pid = step.get("patient") or step.get("patient_id")
            service = step.get("service") or step.get("service_id")
            patient = patients.get(pid)
            if patient is None:
                faults.append(f"{caregiver} : patient inconnu {pid}")
                continue
            durations = dict(patient.services)
            if service not in durations:
                faults.append(f"{caregiver} : {pid} n'a pas besoin de {service}")
                continue
            if service not in instance.caregivers.get(caregiver, ()):
                faults.append(f"{caregiver} ne sait pas faire {service}")
            start, end = float(step["arrival_time"]), float(step["departure_time"])
            if abs(end - start - durations[service]) > TOLERANCE:
                faults.append(f"{caregiver} : {pid}/{service} dure {end - start}, "
                              f"et non {durations[service]}")
            leg = instance.distances[here][patient.index]
            travel += leg
            if start < free_at + leg - TOLERANCE:
                faults.append(f"{caregiver} : {pid} commencé à {start}, avant l'arrivée "
                              f"({free_at + leg:.3f})")
            if start < patient.earliest - TOLERANCE:
                faults.append(f"{caregiver} : {pid} commencé à {start}, avant son créneau "
                              f"({patient.earliest})")
            tardiness.append(max(0.0, start - patient.deadline))
            starts.setdefault((pid, service), []).append((start, caregiver))
            here, free_at = patient.index, end
        travel += instance.distances[here][0]
    for patient in instance.patients:
        done = [starts.get((patient.id, s), []) for s, _ in patient.services]
        if any(len(d) != 1 for d in done):
            faults.append(f"{patient.id} : chaque service une fois attendu, reçu "
                          f"{[len(d) for d in done]}")
            continue
        if len(done) == 2:
            (first, who1), (second, who2) = done[0][0], done[1][0]
            if who1 == who2:
                faults.append(f"{patient.id} : les deux services par {who1}")
            low, high = patient.delay
            if not low - TOLERANCE <= second - first <= high + TOLERANCE:
                faults.append(f"{patient.id} : second service {second - first:.3f} après le "
                              f"premier, hors de [{low}, {high}]")
    total, worst = sum(tardiness), max(tardiness, default=0.0)
    costs = {"distance_traveled": travel, "total_tardiness": total, "max_tardiness": worst,
             "total_cost": (travel + total + worst) / 3}
    return faults, costs
