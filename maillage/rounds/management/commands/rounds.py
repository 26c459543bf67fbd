"""``maillage rounds``: the rounds solver on the field's benchmarks.

- ``maillage rounds solve PATH --format solomon --seconds S [--seed N] [--out SOLUTION.json]``:
  solves one instance and writes ``{"routes": [[5, 3, 7, …], …], "distance": …, "vehicles": …}``
  with the file's customer numbers (Solomon's convention: distances truncated to one decimal,
  objective the distance).
- ``maillage rounds bench --solomon DIR --seconds 5 [--jobs N] [--only C1,R2]``: every instance
  of DIR that has its best known solution (``NAME.sol``) beside it; prints for each the distance,
  the best known, the gap, the vehicles and the verdict of the independent checker, then the
  mean gap.
- ``maillage rounds solve PATH --format hhcrsp --seconds S [--seed N] [--out SOLUTION.json]``:
  a home health care instance (iolab-uniud's hhcrsp format); writes the benchmark's solution
  JSON (one route per caregiver, the services' start and end times).
- ``maillage rounds bench --hhcrsp DIR --seconds 10 [--jobs N] [--only InstanzCPLEX_HCSRP_10]``:
  every ``NAME.json`` of DIR that has its best known solution ``best-NAME.json`` beside it (the
  best cost is that solution's, recomputed by our checker); prints for each the size, our
  objective, the best, the gap and the checker's verdict, then the mean gap (and by size).
"""

import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maillage.core.plurals import count_label
from maillage.rounds import hhcrsp, solomon
from maillage.rounds.checker import check
from maillage.rounds.solver import ProblemError


def _read(path: Path) -> solomon.Instance:
    try:
        return solomon.read_instance(path)
    except FileNotFoundError as exc:
        raise CommandError(f"Fichier introuvable : « {path} ».") from exc
    except (solomon.SolomonFormatError, UnicodeDecodeError) as exc:
        raise CommandError(f"« {path.name} » n'est pas une instance Solomon : {exc}") from exc


def _read_hhcrsp(path: Path) -> hhcrsp.Instance:
    try:
        return hhcrsp.read_instance(path)
    except FileNotFoundError as exc:
        raise CommandError(f"Fichier introuvable : « {path} ».") from exc
    except OSError as exc:
        raise CommandError(f"Impossible de lire « {path} » : {exc.strerror or exc}.") from exc
    except hhcrsp.HhcrspFormatError as exc:
        raise CommandError(f"« {path.name} » n'est pas une instance hhcrsp : {exc}") from exc


def _best_hhcrsp(instance: hhcrsp.Instance, path: Path) -> float:
    try:
        solution = json.loads(path.read_text(encoding="utf-8"))
        return hhcrsp.check(instance, solution)[1]["total_cost"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CommandError(f"« {path.name} » n'est pas une solution hhcrsp lisible : "
                           f"{hhcrsp.why(exc)}.") from exc


def _bench_hhcrsp_one(args: tuple[str, float, int]) -> dict:
    path, seconds, seed = args
    instance = hhcrsp.read_instance(path)
    best = _best_hhcrsp(instance, Path(path).with_name(f"best-{Path(path).name}"))
    from maillage.rounds.hhcrsp_solve import NoSolutionError, solve  # numba: only when needed

    started = time.perf_counter()
    try:
        solution = solve(instance, seconds=seconds, seed=seed)
    except NoSolutionError as exc:
        return {"instance": instance.name, "size": len(instance.patients), "error": str(exc)}
    elapsed = time.perf_counter() - started
    faults, costs = hhcrsp.check(instance, solution)
    cost = costs["total_cost"]
    return {"instance": instance.name, "size": len(instance.patients), "cost": cost,
            "best": best, "gap": (cost - best) / best * 100 if best else 0.0,
            "faults": faults, "seconds": elapsed}


def _bench_one(args: tuple[str, float, int]) -> dict:
    path, seconds, seed = args
    instance = solomon.read_instance(path)
    _, best = solomon.read_solution(Path(path).with_suffix(".sol"))
    started = time.perf_counter()
    try:
        result = solomon.solve(instance, seconds=seconds, seed=seed)
    except ProblemError as exc:
        return {"instance": instance.name, "error": str(exc)}
    elapsed = time.perf_counter() - started
    faults, distance = check(instance, result["routes"])
    return {"instance": instance.name, "distance": distance, "best": best,
            "gap": (distance - best) / best * 100, "vehicles": result["vehicles"],
            "faults": faults, "seconds": elapsed}


def _number(value: float) -> str:
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


def _percent(value: float) -> str:
    return f"{value:.2f} %".replace(".", ",")


class Command(BaseCommand):
    help = "Tournées : résoudre une instance de référence, ou mesurer le solveur sur un jeu."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        solve = sub.add_parser("solve", help="Résout une instance et écrit la solution (JSON).")
        solve.add_argument("path", metavar="INSTANCE")
        solve.add_argument("--format", choices=["solomon", "hhcrsp"], default="solomon",
                           help="Format de l'instance (solomon : VRPTW de Solomon ; hhcrsp : "
                                "soins à domicile, services synchronisés).")
        solve.add_argument("--seconds", type=float, default=5.0,
                           help="Temps de calcul accordé (secondes).")
        solve.add_argument("--seed", type=int, default=1)
        solve.add_argument("--out", metavar="SOLUTION.json",
                           help="Fichier de la solution (sinon : la sortie standard).")
        bench = sub.add_parser("bench", help="Mesure l'écart aux meilleures solutions connues.")
        which = bench.add_mutually_exclusive_group(required=True)
        which.add_argument("--solomon", metavar="DOSSIER",
                           help="Dossier des instances NAME.txt et de leurs solutions NAME.sol.")
        which.add_argument("--hhcrsp", metavar="DOSSIER",
                           help="Dossier des instances NAME.json et de leurs meilleures "
                                "solutions best-NAME.json.")
        bench.add_argument("--seconds", type=float, default=5.0)
        bench.add_argument("--seed", type=int, default=1)
        bench.add_argument("--jobs", type=int, default=1,
                           help="Instances résolues en même temps (une par cœur au plus).")
        bench.add_argument("--only", default="",
                           help="Préfixes de noms à garder, séparés par des virgules (C1,R2).")

    def handle(self, *args, action, **options):
        if options["seconds"] <= 0:
            raise CommandError("--seconds doit être positif.")
        if action == "solve" and options["format"] == "hhcrsp":
            self._solve_hhcrsp(Path(options["path"]), options)
        elif action == "solve":
            self._solve(Path(options["path"]), options)
        elif options.get("hhcrsp"):
            self._bench_hhcrsp(Path(options["hhcrsp"]), options)
        else:
            self._bench(Path(options["solomon"]), options)

    def _write(self, text: str, out: str) -> None:
        try:
            Path(out).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Impossible d'écrire « {out} » : {exc}.") from exc

    def _solve_hhcrsp(self, path: Path, options) -> None:
        from maillage.rounds.hhcrsp_solve import NoSolutionError, solve  # numba: only here

        instance = _read_hhcrsp(path)
        try:
            solution = solve(instance, seconds=options["seconds"], seed=options["seed"])
        except NoSolutionError as exc:
            raise CommandError(f"« {path.name} » : {exc}") from exc
        text = json.dumps(solution, indent=1)
        if not options["out"]:
            self.stdout.write(text)
            return
        self._write(text, options["out"])
        faults, costs = hhcrsp.check(instance, solution)
        verdict = "réalisable" if not faults else "; ".join(faults[:2])
        self.stdout.write(
            f"{instance.name} : objectif {_number(costs['total_cost'])} (trajets "
            f"{_number(costs['distance_traveled'])}, retard total "
            f"{_number(costs['total_tardiness'])}, retard maximal "
            f"{_number(costs['max_tardiness'])}), {verdict} → {options['out']}")

    def _bench_hhcrsp(self, folder: Path, options) -> None:
        if not folder.is_dir():
            raise CommandError(f"Dossier introuvable : « {folder} ».")
        prefixes = tuple(p.strip() for p in options["only"].split(",") if p.strip())
        paths = sorted((p for p in folder.glob("*.json") if not p.name.startswith("best-")
                        and p.with_name(f"best-{p.name}").exists()
                        and (not prefixes or p.stem.startswith(prefixes))),
                       key=lambda p: (len(_read_hhcrsp(p).patients), p.stem))
        if not paths:
            raise CommandError(f"Aucune instance avec sa solution (NAME.json et "
                               f"best-NAME.json) dans « {folder} ».")
        for path in paths:  # a malformed file is reported before any time is spent
            _best_hhcrsp(_read_hhcrsp(path), path.with_name(f"best-{path.name}"))
        jobs = [(str(p), options["seconds"], options["seed"]) for p in paths]
        seconds = f"{options['seconds']:g}".replace(".", ",")
        self.stdout.write(f"{len(paths)} instances, {seconds} s chacune, "
                          f"graine {options['seed']}, {options['jobs']} à la fois")
        self.stdout.write(f"{'instance':<30}{'patients':>9}{'objectif':>10}{'meilleur':>10}"
                          f"{'écart':>9}  vérification")
        gaps: dict[int, list[float]] = {}
        infeasible = 0
        # one job at a time runs here, without a process of its own
        pool = ProcessPoolExecutor(max_workers=options["jobs"]) if options["jobs"] > 1 else None
        try:
            for row in (pool.map if pool else map)(_bench_hhcrsp_one, jobs):
                if "error" in row:
                    infeasible += 1
                    self.stdout.write(f"{row['instance']:<30}{row['size']:>9}  {row['error']}")
                    continue
                gaps.setdefault(row["size"], []).append(row["gap"])
                infeasible += bool(row["faults"])
                verdict = "réalisable" if not row["faults"] else "; ".join(row["faults"][:2])
                self.stdout.write(
                    f"{row['instance']:<30}{row['size']:>9}{_number(row['cost']):>10}"
                    f"{_number(row['best']):>10}{_percent(row['gap']):>9}  {verdict}")
        finally:
            if pool:
                pool.shutdown()
        every = [g for size in gaps.values() for g in size]
        mean = sum(every) / len(every) if every else float("nan")
        by_size = ", ".join(f"{size} : {_percent(sum(g) / len(g))}"
                            for size, g in sorted(gaps.items()))
        self.stdout.write(f"Écart moyen par taille : {by_size}.")
        self.stdout.write(f"Écart moyen : {_percent(mean)} sur {len(every)} instances ; "
                          f"{count_label(infeasible, 'non réalisable,non réalisables')}.")

    def _solve(self, path: Path, options) -> None:
        instance = _read(path)
        try:
            result = solomon.solve(instance, seconds=options["seconds"], seed=options["seed"])
        except ProblemError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(result, indent=1)
        if options["out"]:
            try:
                Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Impossible d'écrire « {options['out']} » : {exc}.") from exc
            self.stdout.write(f"{instance.name} : distance {_number(result['distance'])}, "
                              f"{result['vehicles']} véhicules → {options['out']}")
        else:
            self.stdout.write(text)

    def _bench(self, folder: Path, options) -> None:
        if not folder.is_dir():
            raise CommandError(f"Dossier introuvable : « {folder} ».")
        prefixes = tuple(p.strip().upper() for p in options["only"].split(",") if p.strip())
        paths = sorted(p for p in folder.glob("*.txt") if p.with_suffix(".sol").exists()
                       and (not prefixes or p.stem.upper().startswith(prefixes)))
        if not paths:
            raise CommandError(f"Aucune instance avec sa solution (NAME.txt et NAME.sol) dans "
                               f"« {folder} ».")
        for path in paths:
            _read(path)  # a malformed file is reported before any time is spent
        jobs = [(str(p), options["seconds"], options["seed"]) for p in paths]
        seconds = f"{options['seconds']:g}".replace(".", ",")
        self.stdout.write(f"{len(paths)} instances, {seconds} s chacune, "
                          f"graine {options['seed']}, {options['jobs']} à la fois")
        self.stdout.write(f"{'instance':<10}{'distance':>10}{'meilleure':>11}{'écart':>9}"
                          f"{'véhicules':>11}  vérification")
        gaps, infeasible = [], 0
        with ProcessPoolExecutor(max_workers=max(1, options["jobs"])) as pool:
            for row in pool.map(_bench_one, jobs):
                if "error" in row:
                    infeasible += 1
                    self.stdout.write(f"{row['instance']:<10}  {row['error']}")
                    continue
                gaps.append(row["gap"])
                infeasible += bool(row["faults"])
                verdict = "réalisable" if not row["faults"] else "; ".join(row["faults"][:2])
                self.stdout.write(
                    f"{row['instance']:<10}{_number(row['distance']):>10}"
                    f"{_number(row['best']):>11}{_percent(row['gap']):>9}{row['vehicles']:>11}  "
                    f"{verdict}")
        mean = sum(gaps) / len(gaps) if gaps else float("nan")
        self.stdout.write(f"Écart moyen : {_percent(mean)} sur {len(gaps)} instances ; "
                          f"{count_label(infeasible, 'non réalisable,non réalisables')}.")
