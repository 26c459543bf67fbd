"""The rounds solver: assign tasks (home visits) to workers (carers) and order them, within
the tasks' time windows and the workers' shifts, skills and capacities, at the least travel.

Independent of Django and of the CRT's models: a ``Problem`` says everything in integers (the
app uses minutes and metres; Solomon's benchmark uses tenths), the travel between places is
given as matrices. Built on PyVRP (MIT; chosen by measurement, ``docs/performance.md``):

- each task is a PyVRP client at a location of its own (so that two tasks at the same home can
  need different skills), each worker a vehicle type starting and ending at its depots;
- skills: one routing profile per set of skills among the workers, where travelling to a task
  needing a skill the set lacks costs PyVRP's "missing edge" (prohibitive);
- a task that cannot be placed is never forced: in the app's mode every task is optional with a
  prize greater than any route's cost (so the solver places all it can), and each one left out
  comes back with the reason, in French; the benchmark's mode (``all_required``) demands them all.

Deterministic for a seed and a number of iterations; bounded in time by ``seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyvrp import Model
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

#: The cost PyVRP gives an edge that must not be used (no such road for this profile).
FORBIDDEN = 10**9


@dataclass(frozen=True)
class Task:
    key: str
    place: int  # index in the travel matrices
    duration: int
    earliest: int  # window for the start of service
    latest: int
    demand: int = 0
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Worker:
    key: str
    start_place: int
    end_place: int
    shift_start: int
    shift_end: int
    skills: frozenset[str] = frozenset()
    capacity: int = 0  # 0: no load dimension
    max_working: int | None = None  # shift length bound (from leaving to coming back)
    count: int = 1  # identical workers (a benchmark's fleet)


@dataclass(frozen=True)
class Problem:
    tasks: tuple[Task, ...]
    workers: tuple[Worker, ...]
    distance: list[list[int]]
    duration: list[list[int]]


@dataclass(frozen=True)
class Visit:
    task: str
    start: int  # start of service
    end: int


@dataclass
class Route:
    worker: str
    visits: list[Visit]
    distance: int
    duration: int  # from leaving the start place to coming back
    start: int
    end: int


@dataclass
class Plan:
    routes: list[Route]
    unplaced: dict[str, str] = field(default_factory=dict)  # task key -> reason (French)

    @property
    def distance(self) -> int:
        return sum(r.distance for r in self.routes)


class ProblemError(ValueError):
    """A problem that cannot be given to the solver (in French, for the user)."""


def _check(problem: Problem) -> None:
    places = len(problem.distance)
    if any(len(row) != places for row in problem.distance) or len(problem.duration) != places \
            or any(len(row) != places for row in problem.duration):
        raise ProblemError("Les matrices de distances et de durées doivent être carrées et de "
                           "même taille.")
    keys = [t.key for t in problem.tasks]
    if len(set(keys)) != len(keys):
        raise ProblemError("Deux passages portent la même clé.")
    for task in problem.tasks:
        if not 0 <= task.place < places:
            raise ProblemError(f"Passage {task.key} : lieu inconnu.")
        if task.earliest > task.latest or task.duration < 0:
            raise ProblemError(f"Passage {task.key} : créneau ou durée incohérents.")
    if not problem.workers:
        raise ProblemError("Aucun·e intervenant·e à qui confier les passages.")
    for worker in problem.workers:
        if not (0 <= worker.start_place < places and 0 <= worker.end_place < places):
            raise ProblemError(f"Intervenant·e {worker.key} : lieu de départ ou d'arrivée "
                               "inconnu.")
        if worker.shift_start > worker.shift_end:
            raise ProblemError(f"Intervenant·e {worker.key} : fin de service avant le début.")


def _reason(problem: Problem, task: Task) -> str:
    """Why a task was left out, from what can be known without the solver."""
    qualified = [w for w in problem.workers if task.skills <= w.skills]
    if not qualified:
        return "Aucun·e intervenant·e n'a la qualification requise (" \
            + ", ".join(sorted(task.skills)) + ")."
    reachable = [
        w for w in qualified
        if max(w.shift_start + problem.duration[w.start_place][task.place], task.earliest)
        <= task.latest
        and max(w.shift_start + problem.duration[w.start_place][task.place], task.earliest)
        + task.duration + problem.duration[task.place][w.end_place] <= w.shift_end
    ]
    if not reachable:
        return "Hors des horaires de service de tous les intervenant·es qualifié·es " \
            "(trajet compris)."
    if task.demand and all(task.demand > w.capacity for w in reachable):
        return "Dépasse la capacité de chaque intervenant·e."
    return "Pas de place dans les tournées : les créneaux et le temps de travail des " \
        "intervenant·es qualifié·es sont déjà pris."


def solve(problem: Problem, *, seconds: float, seed: int = 1, iterations: int | None = None,
          all_required: bool = False) -> Plan:
    """The best plan found within ``seconds`` (or ``iterations``, for a deterministic run)."""
    _check(problem)
    if not problem.tasks:
        return Plan(routes=[])
    model = Model()
    places = len(problem.distance)
    # Depots: one per place where a worker starts or ends.
    depot_places = sorted({w.start_place for w in problem.workers}
                          | {w.end_place for w in problem.workers})
    depot_location, depots = {}, {}
    for place in depot_places:
        depot_location[place] = model.add_location(0, 0, name=f"place-{place}")
        depots[place] = model.add_depot(depot_location[place], name=f"place-{place}")
    # A prize above any plan's cost: the solver places every task it can.
    biggest = max(max(row) for row in problem.distance) if places else 0
    prize = (biggest + 1) * (2 * len(problem.tasks) + 2) + 1
    task_location, clients = [], []
    for task in problem.tasks:
        location = model.add_location(0, 0, name=task.key)
        task_location.append(location)
        clients.append(model.add_client(
            location, delivery=[task.demand] if _has_load(problem) else [],
            service_duration=task.duration, tw_early=task.earliest, tw_late=task.latest,
            required=all_required, prize=0 if all_required else prize, name=task.key))
    # One routing profile per distinct set of skills (one profile when skills do not matter).
    skill_sets = sorted({w.skills for w in problem.workers}, key=sorted)
    needs_skills = any(t.skills for t in problem.tasks)
    profiles = {s: model.add_profile(name="+".join(sorted(s)) or "-") for s in skill_sets} \
        if needs_skills else {s: None for s in skill_sets}
    nodes = [(depot_location[p], p, frozenset()) for p in depot_places] + \
        [(task_location[i], t.place, t.skills) for i, t in enumerate(problem.tasks)]
    for skills, profile in profiles.items() if needs_skills else [(None, None)]:
        for frm, frm_place, _ in nodes:
            for to, to_place, to_skills in nodes:
                if frm is to:
                    continue
                allowed = skills is None or to_skills <= skills
                model.add_edge(
                    frm, to,
                    distance=problem.distance[frm_place][to_place] if allowed else FORBIDDEN,
                    duration=problem.duration[frm_place][to_place] if allowed else FORBIDDEN,
                    profile=profile)
    for worker in problem.workers:
        model.add_vehicle_type(
            num_available=worker.count,
            capacity=[worker.capacity] if _has_load(problem) else [],
            start_depot=depots[worker.start_place], end_depot=depots[worker.end_place],
            tw_early=worker.shift_start, tw_late=worker.shift_end,
            shift_duration=worker.max_working if worker.max_working is not None
            else worker.shift_end - worker.shift_start,
            profile=profiles[worker.skills] if needs_skills else None, name=worker.key)
    stop = MaxRuntime(seconds) if iterations is None else MultipleCriteria(
        [MaxRuntime(seconds), MaxIterations(iterations)])
    result = model.solve(stop, seed=seed, display=False, collect_stats=False)
    return _plan(problem, result.best)


def _has_load(problem: Problem) -> bool:
    return any(t.demand for t in problem.tasks) or any(w.capacity for w in problem.workers)


def _plan(problem: Problem, solution) -> Plan:
    if not solution.is_feasible():
        # Every task optional: the empty plan is feasible, so the solver always has one; with
        # all_required, an instance it could not solve in the time given.
        raise ProblemError("Aucune tournée réalisable trouvée dans le temps imparti.")
    routes = []
    for route in solution.routes():
        worker = problem.workers[route.vehicle_type()]
        visits = [Visit(problem.tasks[a.idx].key, a.start_time, a.end_time)
                  for a in route.schedule() if a.is_client()]
        routes.append(Route(worker=worker.key, visits=visits, distance=route.distance(),
                            duration=route.duration(), start=route.start_time(),
                            end=route.end_time()))
    placed = {v.task for r in routes for v in r.visits}
    unplaced = {t.key: _reason(problem, t) for t in problem.tasks if t.key not in placed}
    return Plan(routes=routes, unplaced=unplaced)
