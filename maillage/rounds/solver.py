"""The rounds solver: assign tasks (home visits) to workers (carers) and order them, within
the tasks' time windows and the workers' shifts, skills and capacities, at the least travel.

Independent of Django and of the CRT's models: a ``Problem`` says everything in integers (the
app uses minutes and metres; Solomon's benchmark uses tenths), the travel between places is
given as matrices. Built on PyVRP (MIT; chosen by measurement, ``docs/performance.md``):

- each task is a PyVRP client at a location of its own (so that two tasks at the same home can
  need different skills), each worker a vehicle type starting and ending at its depots;
- skills: one routing profile per set of skills among the workers, where travelling to a task
  needing a skill the set lacks costs PyVRP's "missing edge" (prohibitive);
- continuity: when a change of carer has a cost, one profile per worker, where travelling to a
  task of a person who does not know this worker costs that much more (``change_cost``); the
  distances reported are the travelled ones;
- two-person visits (``Task.together``): the tasks of a group must be done at the same time by
  different workers. PyVRP cannot tie two routes, so a layer of our own does it: solve, then
  pin each group to one moment (where its halves already met; else where two qualified
  workers have room in their routes, at the least detour; else the later of its two starts,
  the window's ends…) and solve again from the plan so far, up to ``SYNC_ROUNDS`` times,
  keeping the best plan; the time left then improves it, its pairs pinned. A group still apart
  is left out whole, with its reason;
- a task that cannot be placed is never forced: in the app's mode every task is optional with a
  prize greater than any route's cost (so the solver places all it can), and each one left out
  comes back with the reason, in French; the benchmark's mode (``all_required``) demands them all.
  PyVRP searches through infeasible plans, their time warp (minutes late) weighed by a penalty
  it tunes: that penalty may rise as high as a prize (``_params``), else a plan with every task
  and some minutes late weighs less than one that leaves one out, the search stays among such
  plans and the best feasible one it keeps is poor (most tasks left out);
- a plan to start from (``initial``: the day as planned): what of it fits (each visit with its
  carer, at its time or as soon as she is there within its window, within her hours and
  qualifications: ``_feasible_part``) is the search's first plan, so that the answer never
  places fewer tasks than it; its tasks' prize is a little higher (one longest edge), so that
  with as many placed the search leaves out others than them;
- times: each route's visits start as near as they can to their ``Task.planned`` time
  (``_retimed``): PyVRP starts them as early as it can, which moves visits for nothing.

Deterministic for a seed and a number of iterations; bounded in time by ``seconds``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from pyvrp import Model, PenaltyParams, Solution, SolveParams
from pyvrp import Route as SolutionRoute
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

#: The cost PyVRP gives an edge that must not be used (no such road for this profile).
FORBIDDEN = 10**9
#: Re-solves at most to bring the halves of two-person visits together.
SYNC_ROUNDS = 4
#: A search followed by a progress bar runs in so many parts.
PROGRESS_STEPS = 4


@dataclass(frozen=True)
class Task:
    key: str
    place: int  # index in the travel matrices
    duration: int
    earliest: int  # window for the start of service
    latest: int
    demand: int = 0
    skills: frozenset[str] = frozenset()
    #: The workers the person knows (continuity): another one costs ``Problem.change_cost``.
    preferred: frozenset[str] = frozenset()
    #: Tasks sharing this key are done together, at the same start, by different workers.
    together: str = ""
    #: The start the person expects (the planned time): kept when the route allows it.
    planned: int | None = None


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
    #: Travel times × this for this worker (a bicycle, on foot): 1 by car.
    slowness: float = 1.0

    def travel(self, problem: Problem, a: int, b: int) -> int:
        """Minutes from place ``a`` to ``b`` for this worker."""
        minutes = problem.duration[a][b]
        return minutes if self.slowness == 1 else round(minutes * self.slowness)


@dataclass(frozen=True)
class Problem:
    tasks: tuple[Task, ...]
    workers: tuple[Worker, ...]
    distance: list[list[int]]
    duration: list[list[int]]
    #: Added to the distance of a task given to a worker it does not prefer (0: no preference).
    change_cost: int = 0
    #: How a skill is named to the user (e.g. « Infirmier·ère »); its code when absent.
    skill_labels: dict[str, str] = field(default_factory=dict)


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
    shift: int = 0  # index of the worker in ``Problem.workers`` (a carer's split day: two)


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
            + ", ".join(sorted(problem.skill_labels.get(s, s) for s in task.skills)) + ")."
    able = _able(problem, task)
    reachable = [w for w in qualified if w.key in able]
    if not reachable:
        return "Hors des horaires de service de tous les intervenant·es qualifié·es " \
            "(trajet compris)."
    if task.demand and all(task.demand > w.capacity for w in reachable):
        return "Dépasse la capacité de chaque intervenant·e."
    return "Pas de place dans les tournées : les créneaux et le temps de travail des " \
        "intervenant·es qualifié·es sont déjà pris."


def _able(problem: Problem, task: Task) -> set[str]:
    """The workers qualified for ``task`` who can reach it within their hours."""
    return {
        w.key for w in problem.workers if task.skills <= w.skills
        and max(w.shift_start + w.travel(problem, w.start_place, task.place), task.earliest)
        <= task.latest
        and max(w.shift_start + w.travel(problem, w.start_place, task.place), task.earliest)
        + task.duration + w.travel(problem, task.place, w.end_place) <= w.shift_end}


def _pair_reason(problem: Problem, tasks: list[Task]) -> str:
    able = [_able(problem, t) for t in tasks]
    for task, workers in zip(tasks, able, strict=True):
        if not workers:
            reason = _reason(problem, task)
            return f"Visite à deux : {reason[0].lower()}{reason[1:]}"
    if len(set().union(*able)) < len(tasks):
        return "Visite à deux : il faut deux intervenant·es qualifié·es disponibles en même " \
            "temps, une seule personne peut la faire ce jour-là."
    return "Visite à deux : pas de moment de son créneau où deux intervenant·es qualifié·es " \
        "sont libres ensemble."


def solve(problem: Problem, *, seconds: float, seed: int = 1, iterations: int | None = None,
          all_required: bool = False, progress=None, initial: Plan | None = None) -> Plan:
    """The best plan found within ``seconds`` (or ``iterations``, for a deterministic run).
    ``progress(fraction)``, when given, is told how far the search is (between its steps: the
    search then runs in ``PROGRESS_STEPS`` parts, each from the best plan so far).
    ``initial``: the plan as it stands (its routes by worker key, visits at their times): what
    of it fits starts the search, and the answer places at least as many tasks."""
    _check(problem)
    if not problem.tasks:
        return Plan(routes=[])
    start = _feasible_part(problem, initial) if initial is not None else None
    groups = _groups(problem)
    if start is not None and groups:
        start = _keep_together(problem, start, groups)
    favoured = frozenset(v.task for r in start.routes for v in r.visits) if start else frozenset()
    plan = _search(problem, seconds, seed, iterations, all_required, progress, start, favoured)
    if start is not None and len(start.unplaced) < len(plan.unplaced):
        # A pair apart at the end of the search: the plan as it stood placed more.
        plan = start
    return _retimed(problem, plan)


def _search(problem: Problem, seconds: float, seed: int, iterations: int | None,
            all_required: bool, progress, start: Plan | None,
            favoured: frozenset[str] = frozenset()) -> Plan:
    """The search from ``start`` (or from nothing), its pairs brought together; the
    ``favoured`` tasks (placed as the day stands) are worth a little more."""
    groups = _groups(problem)
    if not groups:
        if progress is None or iterations is not None:
            return _solve(problem, seconds, seed, iterations, all_required, initial=start,
                          favoured=favoured)
        plan = start
        for step in range(PROGRESS_STEPS):
            plan = _solve(problem, seconds / PROGRESS_STEPS, seed + step, None, all_required,
                          initial=plan, favoured=favoured)
            progress((step + 1) / PROGRESS_STEPS)
        return plan
    deadline = time.monotonic() + seconds
    plan = _solve(problem, seconds / 2, seed, iterations, all_required, initial=start,
                  favoured=favoured)
    if progress is not None:
        progress(0.5)
    # As many as the unpinned plan places (two halves apart counted): the most to hope for.
    hoped = sum(len(r.visits) for r in plan.routes)
    best = _keep_together(problem, plan, groups)
    pins: dict[str, int] = {}
    tried: dict[str, set[int]] = {g: set() for g in groups}
    forced: set[str] = set()
    for attempt in range(SYNC_ROUNDS):
        at = _starts(plan)
        apart = {g for g, members in groups.items() if not _met(plan, problem, members)}
        if not apart:
            if len(best.unplaced) <= len(problem.tasks) - hoped or not forced:
                break
            # All together, but some visit lost to a pin: move the pinned ones.
            apart = set(forced)
        for g, members in groups.items():
            if g in apart:
                moment = _free_moment(problem, plan, members, tried[g])
                if moment is None:
                    moment = _moment(problem, members, at, tried[g])
                if moment is None:
                    continue
                pins[g] = moment
                tried[g].add(moment)
                forced.add(g)
            elif g not in pins:
                pins[g] = at[problem.tasks[members[0]].key][1]
        try:
            plan = _solve(_pinned(problem, groups, pins), seconds / 2 / SYNC_ROUNDS,
                          seed, iterations, all_required, initial=plan, favoured=favoured)
        except ProblemError:
            # No feasible plan found in the time with these pins (the benchmark's mode, where
            # the search holds no plan to start from): try the next moments.
            forced |= set(pins)
            continue
        candidate = _keep_together(problem, plan, groups)
        if (len(candidate.unplaced), candidate.distance) < (len(best.unplaced), best.distance):
            best = candidate
        if progress is not None:
            progress(0.5 + 0.3 * (attempt + 1) / SYNC_ROUNDS)
    remaining = deadline - time.monotonic()
    if iterations is None and remaining > 0.2:
        # The time left improves the best plan, its pairs pinned where they meet.
        at = _starts(best)
        met = {g: at[problem.tasks[members[0]].key][1] for g, members in groups.items()
               if _met(best, problem, members)}
        try:
            polished = _keep_together(problem, _solve(
                _pinned(problem, groups, met), remaining, seed, None, all_required,
                initial=best, favoured=favoured), groups)
        except ProblemError:
            return best
        if (len(polished.unplaced), polished.distance) < (len(best.unplaced), best.distance):
            best = polished
    return best


def _groups(problem: Problem) -> dict[str, list[int]]:
    """The indices of the tasks done together, by their key."""
    groups: dict[str, list[int]] = {}
    for i, task in enumerate(problem.tasks):
        if task.together:
            groups.setdefault(task.together, []).append(i)
    return groups


def _pinned(problem: Problem, groups: dict[str, list[int]], pins: dict[str, int]) -> Problem:
    """``problem`` with each pinned group's tasks to start exactly at its moment."""
    tasks = list(problem.tasks)
    for g, moment in pins.items():
        for i in groups[g]:
            tasks[i] = replace(tasks[i], earliest=moment, latest=moment)
    return replace(problem, tasks=tuple(tasks))


def _starts(plan: Plan) -> dict[str, tuple[str, int]]:
    return {v.task: (r.worker, v.start) for r in plan.routes for v in r.visits}


def _met(plan: Plan, problem: Problem, members: list[int]) -> bool:
    at = _starts(plan)
    placed = [at.get(problem.tasks[i].key) for i in members]
    return None not in placed and len({w for w, _ in placed}) == len(placed) \
        and len({s for _, s in placed}) == 1


def _moment(problem: Problem, members: list[int], at: dict, tried: set[int]) -> int | None:
    """Where to pin a group whose halves did not meet, among the moments not tried yet: the
    later of their starts, the end of their common window, its middle, its beginning, the
    earlier start."""
    tasks = [problem.tasks[i] for i in members]
    earliest, latest = max(t.earliest for t in tasks), min(t.latest for t in tasks)
    starts = sorted((at[t.key][1] for t in tasks if t.key in at), reverse=True)
    candidates = [*starts[:1], latest, (earliest + latest) // 2, earliest, *starts[1:]]
    return next((c for c in candidates if earliest <= c <= latest and c not in tried), None)


def _free_moment(problem: Problem, plan: Plan, members: list[int],
                 tried: set[int]) -> int | None:
    """The moment of the group's common window, every 5 minutes, where two different qualified
    workers have room in their routes as they are (the drive from the visit before and to the
    visit after included), at the least detour; None when there is none."""
    tasks = [problem.tasks[i] for i in members]
    keys = {t.key for t in tasks}
    lo, hi = max(t.earliest for t in tasks), min(t.latest for t in tasks)
    d = problem.distance
    by_shift = {r.shift: [v for v in r.visits if v.task not in keys] for r in plan.routes}
    place_of = {t.key: t.place for t in problem.tasks}
    best = None
    for moment in sorted({*range(lo, hi + 1, 5), hi} - tried):
        options = []  # per half: [(detour, worker key)]
        for task in tasks:
            fits = []
            for s, worker in enumerate(problem.workers):
                if not task.skills <= worker.skills:
                    continue
                visits = by_shift.get(s, [])
                before = [v for v in visits if v.start < moment]
                after = [v for v in visits if v.start >= moment]
                here = place_of[before[-1].task] if before else worker.start_place
                free = before[-1].end if before else worker.shift_start
                there = place_of[after[0].task] if after else worker.end_place
                until = after[0].start if after else worker.shift_end
                if free + worker.travel(problem, here, task.place) <= moment and \
                        moment + task.duration + worker.travel(problem, task.place, there) \
                        <= until:
                    fits.append((d[here][task.place] + d[task.place][there] - d[here][there],
                                 worker.key))
            options.append(sorted(fits))
        if len(options) != 2 or not all(options):
            continue
        pairs = [(a + b, moment) for a, ka in options[0][:3] for b, kb in options[1][:3]
                 if ka != kb]
        if pairs and (best is None or min(pairs) < best):
            best = min(pairs)
    return None if best is None else best[1]


def _keep_together(problem: Problem, plan: Plan, groups: dict[str, list[int]]) -> Plan:
    """Leave out whole every group whose halves are not together; reasons from the original
    problem (its windows, not the pinned ones)."""
    task_of = {t.key: t for t in problem.tasks}
    dropped: dict[str, str] = {}
    for members in groups.values():
        if not _met(plan, problem, members):
            tasks = [problem.tasks[i] for i in members]
            reason = _pair_reason(problem, tasks)
            dropped.update({t.key: reason for t in tasks})
    routes = []
    for route in plan.routes:
        visits = [v for v in route.visits if v.task not in dropped]
        if len(visits) != len(route.visits):
            worker = problem.workers[route.shift]
            places = [worker.start_place, *(task_of[v.task].place for v in visits),
                      worker.end_place]
            route = replace(route, visits=visits, distance=sum(
                problem.distance[a][b] for a, b in zip(places, places[1:], strict=False))
                if visits else 0)
        routes.append(route)
    placed = {v.task for r in routes for v in r.visits}
    unplaced = {t.key: dropped.get(t.key) or _reason(problem, t)
                for t in problem.tasks if t.key not in placed}
    return Plan(routes=routes, unplaced=unplaced)


def _solve(problem: Problem, seconds: float, seed: int, iterations: int | None,
           all_required: bool, initial: Plan | None = None,
           favoured: frozenset[str] = frozenset()) -> Plan:
    """One PyVRP run; ``initial``: a plan to start from (what still fits of it); the
    ``favoured`` tasks' prize is higher by the longest edge: with as many tasks placed, the
    search keeps them rather than others, unless leaving them out saves more than that."""
    model = Model()
    places = len(problem.distance)
    # Depots: one per place where a worker starts or ends.
    depot_places = sorted({w.start_place for w in problem.workers}
                          | {w.end_place for w in problem.workers})
    depot_location, depots = {}, {}
    for place in depot_places:
        depot_location[place] = model.add_location(0, 0, name=f"place-{place}")
        depots[place] = model.add_depot(depot_location[place], name=f"place-{place}")
    biggest = (max(max(row) for row in problem.distance) if places else 0) + problem.change_cost
    prize = _prize(biggest, len(problem.tasks))
    task_location, clients = [], []
    for task in problem.tasks:
        location = model.add_location(0, 0, name=task.key)
        task_location.append(location)
        clients.append(model.add_client(
            location, delivery=[task.demand] if _has_load(problem) else [],
            service_duration=task.duration, tw_early=task.earliest, tw_late=task.latest,
            required=all_required, name=task.key,
            prize=0 if all_required else prize + (biggest + 1) * (task.key in favoured)))
    # Routing profiles: one per distinct set of skills, or one per worker when a change of
    # carer costs something (continuity); none when neither matters.
    personal = problem.change_cost > 0 and any(t.preferred for t in problem.tasks)
    needs_skills = any(t.skills for t in problem.tasks)
    slow = any(w.slowness != 1 for w in problem.workers)

    def profile_of(w: Worker) -> str:
        if personal:
            return w.key
        return ("+".join(sorted(w.skills)) or "-") + (f"@{w.slowness}" if slow else "")

    specs = {profile_of(w): (w.skills if needs_skills or personal else None,
                             w.key if personal else None, w.slowness)
             for w in problem.workers} if personal or needs_skills or slow else {}
    profiles = {name: model.add_profile(name=name) for name in specs}
    nodes = [(depot_location[p], p, None) for p in depot_places] + \
        [(task_location[i], t.place, t) for i, t in enumerate(problem.tasks)]
    for name, (skills, worker_key, slowness) in specs.items() or [(None, (None, None, 1))]:
        profile = profiles.get(name)
        for frm, frm_place, _ in nodes:
            for to, to_place, task in nodes:
                if frm is to:
                    continue
                distance = problem.distance[frm_place][to_place]
                duration = problem.duration[frm_place][to_place]
                if slowness != 1:
                    duration = round(duration * slowness)
                if task is not None and skills is not None and not task.skills <= skills:
                    distance = duration = FORBIDDEN
                elif task is not None and worker_key is not None and task.preferred \
                        and worker_key not in task.preferred:
                    distance += problem.change_cost
                model.add_edge(frm, to, distance=distance, duration=duration, profile=profile)
    for worker in problem.workers:
        model.add_vehicle_type(
            num_available=worker.count,
            capacity=[worker.capacity] if _has_load(problem) else [],
            start_depot=depots[worker.start_place], end_depot=depots[worker.end_place],
            tw_early=worker.shift_start, tw_late=worker.shift_end,
            shift_duration=worker.max_working if worker.max_working is not None
            else worker.shift_end - worker.shift_start,
            profile=profiles[profile_of(worker)] if specs else None, name=worker.key)
    stop = MaxRuntime(seconds) if iterations is None else MultipleCriteria(
        [MaxRuntime(seconds), MaxIterations(iterations)])
    start = _warm_start(problem, model, initial) if initial is not None else None
    if not all_required and (start is None or not start.is_feasible()):
        # Every task optional: the empty plan is feasible, so the search always holds one.
        start = Solution(model.data(), [])
    result = model.solve(stop, seed=seed, display=False, collect_stats=False,
                         initial_solution=start, params=_params(prize if not all_required
                                                                else 0))
    return _plan(problem, result.best)


def _prize(biggest: int, tasks: int) -> int:
    # A prize above any plan's cost and the favoured tasks' bonuses: the solver places every
    # task it can (a plan has at most 2n edges; n bonuses of one edge).
    return (biggest + 1) * (3 * tasks + 2) + 1


def _params(prize: int) -> SolveParams:
    """PyVRP's parameters, with prizes: the penalty of a minute of time warp starts at a
    twentieth of a prize and may rise to a whole one, updated every 50 plans searched.

    PyVRP's own bound (100,000 a minute, starting half-way) is far below the app's prizes: a
    plan with one more task and an hour late then weighs less than a feasible one, the search
    stays among such plans and the best feasible one it finds leaves most tasks out (on the
    demo's busiest day with one carer absent, 30 to 50 of 72 visits). A penalty rising to a
    prize brings it back to feasible plans; starting lower, and updated more often than
    PyVRP's 500, it still crosses infeasible plans at first (starting half-way to a prize left
    a few more visits out on that day; updated every 500, a short search never rose)."""
    if prize <= PenaltyParams.max_penalty:
        return SolveParams()
    return SolveParams(penalty=_Penalties(max_penalty=float(prize),
                                          solutions_between_updates=50,
                                          initial=prize / 20))


@dataclass
class _Penalties(PenaltyParams):
    """PyVRP's penalty parameters with the starting penalty given (not half-way to the
    bound)."""

    initial: float = 0.0

    def midpoint_penalties(self, data) -> tuple[list[float], float, float]:
        return [self.initial] * data.num_load_dimensions, self.initial, self.initial


def _warm_start(problem: Problem, model: Model, plan: Plan) -> Solution:
    """``plan`` as a PyVRP solution of ``problem``, without the visits whose start no longer
    fits their window (a pair pinned elsewhere): leaving visits out keeps a route feasible."""
    data = model.data()
    index = {t.key: i for i, t in enumerate(problem.tasks)}
    routes = []
    for route in plan.routes:
        kept = [index[v.task] for v in route.visits
                if problem.tasks[index[v.task]].earliest <= v.start
                <= problem.tasks[index[v.task]].latest]
        if kept:
            routes.append(SolutionRoute(data, kept, route.shift))
    return Solution(data, routes)


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
        done = [a for a in route.schedule() if a.is_client()]
        visits = [Visit(problem.tasks[a.idx].key, a.start_time, a.end_time) for a in done]
        # The distance travelled, from the matrix: PyVRP's includes the continuity costs.
        places = [worker.start_place, *(problem.tasks[a.idx].place for a in done),
                  worker.end_place]
        distance = sum(problem.distance[a][b] for a, b in zip(places, places[1:], strict=False))
        routes.append(Route(worker=worker.key, visits=visits, distance=distance,
                            duration=route.duration(), start=route.start_time(),
                            end=route.end_time(), shift=route.vehicle_type()))
    placed = {v.task for r in routes for v in r.visits}
    unplaced = {t.key: _reason(problem, t) for t in problem.tasks if t.key not in placed}
    return Plan(routes=routes, unplaced=unplaced)


def _working_limit(worker: Worker) -> int:
    return worker.max_working if worker.max_working is not None \
        else worker.shift_end - worker.shift_start


def _route(problem: Problem, shift: int, visits: list[Visit]) -> Route:
    """A route of ``visits`` (at their times) for the worker ``problem.workers[shift]``,
    leaving just in time for the first and coming straight back after the last."""
    worker = problem.workers[shift]
    place_of = {t.key: t.place for t in problem.tasks}
    places = [worker.start_place, *(place_of[v.task] for v in visits), worker.end_place]
    distance = sum(problem.distance[a][b] for a, b in zip(places, places[1:], strict=False))
    if not visits:
        return Route(worker=worker.key, visits=[], distance=0, duration=0,
                     start=worker.shift_start, end=worker.shift_start, shift=shift)
    start = visits[0].start - worker.travel(problem, places[0], places[1])
    end = visits[-1].end + worker.travel(problem, places[-2], places[-1])
    return Route(worker=worker.key, visits=list(visits), distance=distance,
                 duration=end - start, start=start, end=end, shift=shift)


def _feasible_part(problem: Problem, plan: Plan) -> Plan:
    """What of ``plan`` (routes by worker key, visits at their times) the problem allows as it
    stands: each visit with a worker of that key who has the skills and whose shift holds its
    time, at that time or as soon as she is there from the visit before, within its window;
    the last ones dropped while the worker would come back too late or work too long. The rest
    is left out, with its reason."""
    task_of = {t.key: t for t in problem.tasks}
    by_shift: dict[int, list[Visit]] = {}
    for route in plan.routes:
        shifts = [s for s, w in enumerate(problem.workers) if w.key == route.worker]
        for visit in route.visits:
            if visit.task not in task_of:
                continue
            shift = next((s for s in shifts if problem.workers[s].shift_start <= visit.start
                          <= problem.workers[s].shift_end), None)
            if shift is not None:
                by_shift.setdefault(shift, []).append(visit)
    routes = []
    for shift, visits in sorted(by_shift.items()):
        worker = problem.workers[shift]
        here, free, kept = worker.start_place, worker.shift_start, []
        for visit in sorted(visits, key=lambda v: v.start):
            task = task_of[visit.task]
            # At its time, else as soon as she is there, if its window allows.
            start = max(visit.start, task.earliest,
                        free + worker.travel(problem, here, task.place))
            if not task.skills <= worker.skills or start > task.latest:
                continue
            kept.append(Visit(task.key, start, start + task.duration))
            here, free = task.place, start + task.duration
        while kept:
            route = _route(problem, shift, kept)
            if route.end <= worker.shift_end and route.duration <= _working_limit(worker):
                routes.append(route)
                break
            kept.pop()
    placed = {v.task for r in routes for v in r.visits}
    return Plan(routes=routes, unplaced={t.key: _reason(problem, t) for t in problem.tasks
                                         if t.key not in placed})


def _retimed(problem: Problem, plan: Plan) -> Plan:
    """Each route's visits, in the same order, as near their planned times as the route
    allows (PyVRP starts each as early as it can: a visit would move for nothing). A visit
    done by two keeps its time (its partner's route holds it too); a route that would then
    work too long keeps PyVRP's times."""
    task_of = {t.key: t for t in problem.tasks}
    routes = []
    for route in plan.routes:
        worker = problem.workers[route.shift]
        if not route.visits or worker.key != route.worker:
            routes.append(route)
            continue
        tasks = [task_of[v.task] for v in route.visits]
        fixed = [bool(t.together) for t in tasks]
        # The latest each may start with the rest of the route still on time.
        latest = [0] * len(tasks)
        until, there = worker.shift_end, worker.end_place
        for i in range(len(tasks) - 1, -1, -1):
            task = tasks[i]
            bound = min(task.latest, until - worker.travel(problem, task.place, there)
                        - task.duration)
            latest[i] = route.visits[i].start if fixed[i] else max(bound,
                                                                   route.visits[i].start)
            until, there = latest[i], task.place
        visits, here, free, feasible = [], worker.start_place, worker.shift_start, True
        for i, (visit, task) in enumerate(zip(route.visits, tasks, strict=True)):
            earliest = max(task.earliest, free + worker.travel(problem, here, task.place))
            wanted = task.planned if task.planned is not None and not fixed[i] else visit.start
            start = visit.start if fixed[i] else min(max(wanted, earliest), latest[i])
            feasible = feasible and earliest <= start <= task.latest
            visits.append(Visit(task.key, start, start + task.duration))
            here, free = task.place, start + task.duration
        moved = _route(problem, route.shift, visits)
        feasible = feasible and moved.end <= worker.shift_end \
            and moved.duration <= _working_limit(worker)
        routes.append(moved if feasible else route)
    return Plan(routes=routes, unplaced=dict(plan.unplaced))
