"""Rounds: a proposal requested for a day, computed on the task queue, applied through the
visit services (each visit moved or given to another carer is audited there, with its version
checked: a planning changed since the proposal is refused whole)."""

from dataclasses import asdict
from datetime import date, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.versioning import save_versioned, validate
from maillage.portal.services import visit_moved_notice
from maillage.visits.models import Visit
from maillage.visits.selectors import day_bounds
from maillage.visits.services import MOVE_GRACE, visit_update

from . import day as rounds_day
from .models import CarerHours, Proposal
from .solver import ProblemError

#: The days ahead a proposal may be asked for.
HORIZON_DAYS = 62
CHANGED = ("Le planning de ce jour a changé depuis la proposition (un passage déplacé, tracé ou "
           "annulé) : relancez l'optimisation.")


def proposal_request(*, actor, crt, day: date, excluded: list[int],
                     locked: list[int] = (), night: bool = False,
                     absent_until: time | None = None) -> Proposal:
    today = timezone.localdate()
    # The night that began yesterday evening may still be re-planned in the small hours.
    if day < today and not (night and day == today - timedelta(days=1)):
        raise DomainError("Choisissez aujourd'hui ou un jour à venir.", field="day")
    if day > today + timedelta(days=HORIZON_DAYS):
        raise DomainError(f"Au plus {HORIZON_DAYS} jours à l'avance.", field="day")
    locked = sorted(set(locked))
    if locked:
        midnight, next_midnight = day_bounds(day)
        if night:  # the night from this day's evening
            midnight, next_midnight = (midnight + timedelta(hours=18),
                                       midnight + timedelta(hours=36))
        found = Visit.objects.filter(crt=crt, pk__in=locked, status=Visit.Status.PLANNED,
                                     starts_at__gte=midnight, starts_at__lt=next_midnight,
                                     ).count()
        if found != len(locked):
            raise DomainError("Un passage verrouillé n'est pas un passage prévu de ce jour.")
    with transaction.atomic():
        proposal = Proposal.objects.create(crt=crt, day=day, night=night,
                                           absent_until=absent_until if excluded else None,
                                           excluded=sorted(set(excluded)), locked=locked,
                                           created_by=actor, updated_by=actor)
        audit_log(actor=actor, action="rounds.requested", obj=proposal,
                  details={"jour": f"{day:%d/%m/%Y}", "nuit": night,
                           "absent·es": len(proposal.excluded),
                           "jusqu'à": f"{absent_until:%H:%M}" if proposal.absent_until
                           else "toute la journée",
                           "verrouillés": len(locked)})
        from .tasks import rounds_propose

        transaction.on_commit(lambda: rounds_propose(proposal.pk))
    return proposal


def _progress_of(proposal: Proposal):
    """Written as the search goes, from 10 % (the problem built) to 95 % (the comparison
    follows): the page polls it."""
    def told(fraction: float) -> None:
        Proposal.objects.filter(pk=proposal.pk).update(progress=10 + round(85 * fraction))

    return told


def proposal_compute(pk: int) -> str:
    """The task's work: the day's problem, the current plan and the proposal, compared."""
    proposal = Proposal.objects.select_related("crt").filter(
        pk=pk, status=Proposal.Status.PENDING).first()
    if proposal is None:
        return "absente ou déjà traitée"
    proposal.status, proposal.progress = Proposal.Status.RUNNING, 10
    proposal.save(update_fields=["status", "progress", "updated_at"])
    try:
        dp, current, proposed = rounds_day.propose(
            crt=proposal.crt, day=proposal.day, seconds=settings.ROUNDS_SOLVER_SECONDS,
            iterations=settings.ROUNDS_SOLVER_ITERATIONS,
            exclude=frozenset(proposal.excluded), locked=frozenset(proposal.locked),
            night=proposal.night, progress=_progress_of(proposal),
            absent_until=proposal.absent_until.hour * 60 + proposal.absent_until.minute
            if proposal.absent_until else None)
    except ProblemError as error:
        proposal.status, proposal.error = Proposal.Status.FAILED, str(error)[:300]
        proposal.save(update_fields=["status", "error", "updated_at"])
        return proposal.status
    except Exception:
        # Never left "en calcul" for ever: the page says it failed, the queue logs why.
        proposal.status, proposal.error = (Proposal.Status.FAILED,
                                           "Erreur inattendue du calcul : relancez-le.")
        proposal.save(update_fields=["status", "error", "updated_at"])
        raise
    proposal.result = {
        "current": asdict(rounds_day.summary(dp, current)),
        "proposed": asdict(rounds_day.summary(dp, proposed)),
        "routes": [{"worker": int(route.worker),
                    "km": round(route.distance / 1000, 1),
                    "visits": [{"visit": int(v.task), "start": v.start, "end": v.end}
                               for v in route.visits]}
                   for route in proposed.routes if route.visits],
        "unplaced": proposed.unplaced,
        # The current plan kept (no plan found better): the best other one's figures.
        "kept": dp.alternative is not None,
        "alternative": asdict(rounds_day.summary(dp, dp.alternative))
        if dp.alternative is not None else None,
        "reserve": dp.reserve,
        # The carers resting after the night before: when from, after what (``rest.Rest``).
        "rests": {key: {"from": rest.starts_at.isoformat(), "after": rest.after}
                  for key, rest in dp.rests.items()},
        "versions": {key: v.version for key, v in dp.visits.items()},
    }
    proposal.status, proposal.progress = Proposal.Status.DONE, 100
    proposal.save(update_fields=["result", "status", "progress", "updated_at"])
    return proposal.status


@transaction.atomic
def proposal_apply(*, actor, proposal: Proposal) -> int:
    """Every visit of the proposal to its carer and time; returns how many changed. The visits
    left out stay as they were planned."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.DONE:
        raise DomainError("Cette proposition ne peut plus être appliquée "
                          f"(état : {proposal.get_status_display().lower()}).")
    result = proposal.result
    ids = [int(key) for key in result["versions"]]
    visits = {v.pk: v for v in Visit.objects.select_for_update(of=("self",)).filter(
        crt=proposal.crt, pk__in=ids).select_related("beneficiary", "staff")}
    for key, version in result["versions"].items():
        visit = visits.get(int(key))
        if visit is None or visit.version != version or visit.status != Visit.Status.PLANNED:
            raise ConflictError(CHANGED)
    carers = {u.pk: u for u in get_user_model().objects.filter(
        pk__in=[r["worker"] for r in result["routes"]])}
    past = timezone.now() - MOVE_GRACE
    starts = [(rounds_day.moment(proposal.day, item["start"]), visits[item["visit"]])
              for route in result["routes"] for item in route["visits"]]
    if any(start < past and start != visit.starts_at for start, visit in starts):
        # Computed this morning, applied later: a visit would go to a moment gone by.
        raise DomainError("Cette proposition place des passages à des heures déjà passées : "
                          "calculez-en une nouvelle.")
    changed = told = 0
    for route in result["routes"]:
        for item in route["visits"]:
            visit = visits[item["visit"]]
            starts = rounds_day.moment(proposal.day, item["start"])
            if visit.staff_id == route["worker"] and visit.starts_at == starts:
                continue
            # The whole day is rebuilt at once, free of overlaps by construction: the check of
            # each move against the others, not moved yet, would refuse the exchanges.
            before = visit.starts_at
            visit_update(actor=actor, visit=visit, version=visit.version, allow_overlap=True,
                         staff=carers[route["worker"]], starts_at=starts,
                         ends_at=starts + (visit.ends_at - visit.starts_at))
            told += visit_moved_notice(visit=visit, before=before)
            changed += 1
    proposal.status, proposal.applied_at, proposal.applied_by = (
        Proposal.Status.APPLIED, timezone.now(), actor)
    proposal.updated_by = actor
    proposal.save(update_fields=["status", "applied_at", "applied_by", "updated_by",
                                 "updated_at"])
    audit_log(actor=actor, action="rounds.applied", obj=proposal,
              details={"jour": f"{proposal.day:%d/%m/%Y}", "passages modifiés": changed,
                       "comptes du portail prévenus": told})
    return changed


def hours_stamp(hours: dict[int, CarerHours]) -> str:
    """The versions of a carer's week as the form saw it: « 0:3,2:1 » (weekday:version)."""
    return ",".join(f"{day}:{h.version}" for day, h in sorted(hours.items()))


@transaction.atomic
def carer_hours_save(*, actor, crt, user, week: dict[int, dict], stamp: str,
                     start_from: str, home_commune=None, vehicle: str = CarerHours.Vehicle.CAR,
                     max_working_minutes: int | None = None) -> int:
    """A carer's week replaced: the days of ``week`` kept or created with their hours (and the
    same start place, vehicle and most working time), the others removed. Refused whole if the week
    changed since the form was shown (``stamp``). Returns the number of days worked."""
    current = {h.weekday: h for h in CarerHours.objects.select_for_update().filter(
        crt=crt, user=user)}
    if hours_stamp(current) != stamp:
        raise ConflictError("Les horaires de cette personne ont été modifiés par quelqu'un "
                            "d'autre pendant que vous les modifiiez : rechargez la page.")
    if start_from == CarerHours.StartFrom.HOME and home_commune is None:
        raise DomainError("Indiquez la commune de son domicile.", field="home_commune")
    if home_commune is not None and home_commune.crt_id != crt.id:
        raise DomainError("Commune inconnue.", field="home_commune")
    common = {"start_from": start_from,
              "home_commune": home_commune if start_from == CarerHours.StartFrom.HOME else None,
              "vehicle": vehicle, "max_working_minutes": max_working_minutes}
    CarerHours.objects.filter(crt=crt, user=user).exclude(weekday__in=list(week)).delete()
    for day, times in week.items():
        h = current.get(day) or CarerHours(crt=crt, user=user, weekday=day, created_by=actor)
        for name, value in {**times, **common}.items():
            setattr(h, name, value)
        h.updated_by = actor
        validate(h, exclude=["crt", "user", "home_commune", "created_by", "updated_by"])
        if h.pk is None:
            h.save()
        else:
            save_versioned(h, actor=actor, version=h.version,
                           fields=[*times, *common])
    audit_log(actor=actor, action="rounds.carer_hours", crt=crt, obj=user,
              details={"jours travaillés": len(week),
                       "départ": CarerHours.StartFrom(start_from).label})
    return len(week)
