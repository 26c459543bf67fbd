"""« Optimiser les tournées »: ask for a proposal for a day, follow its computation, compare it
with the current plan, apply it. For the coordination (``rounds.plan``)."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.core.access import require
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.plurals import count_label
from maillage.core.tenancy import get_for_crt
from maillage.territory.tiles import render_with_tiles
from maillage.visits import timeline
from maillage.visits.models import Visit

from . import selectors, services
from .day import LATE_TOLERANCE_MINUTES, moment, summary_of, verdict
from .forms import CarerHoursForm, ProposalForm
from .models import Proposal
from .rest import Rest


@require("rounds.plan")
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None, crt=request.crt,
                        initial={"day": timezone.localdate() + timedelta(days=1)})

    def save(data):
        return services.proposal_request(actor=request.user, crt=request.crt, day=data["day"],
                                         excluded=[int(pk) for pk in data["excluded"]],
                                         locked=data["locked"], night=data["night"],
                                         absent_until=data["absent_until"])

    recent = selectors.recent_proposals(crt=request.crt)
    return run_form(request, form, save, template="rounds/start.html",
                    on_success=lambda p: redirect("rounds:proposal", public_id=p.public_id),
                    context={"recent": recent})


def _hhmm(minutes: int) -> str:
    """Minutes from the day's midnight on the clock (a night's 25:30 is 01:30)."""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _comparison(request, proposal: Proposal) -> dict:
    """The routes with the people, carers and times to show."""
    result = proposal.result
    visits, carers = selectors.proposal_people(proposal=proposal, user=request.user,
                                               roles=request.roles)
    # Resting after the night before (computed before it was kept: none).
    rests = {int(key): Rest(int(key), datetime.fromisoformat(r["from"]), r["after"])
             for key, r in result.get("rests", {}).items()}
    routes = []
    for route in result["routes"]:
        rows = []
        for item in route["visits"]:
            visit = visits.get(item["visit"])
            if visit is None:
                continue
            planned = timezone.localtime(visit.starts_at)
            new = moment(proposal.day, item["start"])
            rows.append({"visit": visit, "start": _hhmm(item["start"]),
                         "locked": visit.pk in proposal.locked,
                         "end": _hhmm(item["end"]), "was": f"{planned:%H:%M}",
                         "moved": abs((new - visit.starts_at).total_seconds()) >= 60,
                         "new_carer": visit.staff_id != route["worker"]})
        routes.append({"carer": carers.get(route["worker"]), "km": route["km"], "rows": rows,
                       "span": _span(route),
                       "rest": rests[route["worker"]].label(proposal.day)
                       if route["worker"] in rests else ""})
    unplaced = [{"visit": visits[int(k)], "reason": reason}
                for k, reason in result["unplaced"].items() if int(k) in visits]
    kept = result.get("kept")
    said = None
    if kept is not None:  # computed before the comparison was said: the figures only
        alternative = result.get("alternative")
        said = verdict(summary_of(result["current"]), summary_of(result["proposed"]),
                       summary_of(alternative or result["proposed"]) if kept else None)
    return {"routes": routes, "unplaced": unplaced, "current": result["current"],
            "proposed": result["proposed"], "kept": bool(kept), "verdict": said,
            "rests": [{"carer": carers[pk], "label": rest.label(proposal.day),
                       "why": rest.why(proposal.day)}
                      for pk, rest in sorted(rests.items(), key=lambda i: i[1].ends_at)
                      if pk in carers],
            "late_tolerance": LATE_TOLERANCE_MINUTES,
            "hours": range(24),
            "map_data": _map_data(proposal, visits, carers),
            "tl": timeline.team_days(_as_proposed(proposal, visits, carers),
                                     start=proposal.day, days=2 if proposal.night else 1,
                                     rule=timeline.Rule())}


def _map_data(proposal: Proposal, visits: dict, carers: dict) -> dict:
    """The routes as lines through the communes of their visits (in the proposed order) and
    the communes with their numbers of visits; communes without a position are left out."""
    routes, communes = [], {}
    for colour, route in enumerate(proposal.result["routes"]):
        points = []
        for item in route["visits"]:
            visit = visits.get(item["visit"])
            if visit is None or not visit.beneficiary.commune.has_position:
                continue
            c = visit.beneficiary.commune
            point = [float(c.latitude), float(c.longitude)]
            if not points or points[-1] != point:
                points.append(point)
            entry = communes.setdefault(c.pk, {"name": c.name, "latitude": point[0],
                                               "longitude": point[1], "visits": 0})
            entry["visits"] += 1
        carer = carers.get(route["worker"])
        routes.append({"carer": (carer.get_full_name() or carer.username) if carer else "—",
                       "km": route["km"], "colour": colour % 8, "points": points,
                       "span": _span(route)})
    return {"routes": routes, "communes": list(communes.values())}


def _span(route: dict) -> str:
    """« 07:00–11:30 »: a carer's morning and evening tours told apart (the name alone was
    repeated, with two distances)."""
    items = route["visits"]
    return f"{_hhmm(items[0]['start'])}–{_hhmm(items[-1]['end'])}" if items else ""


def _as_proposed(proposal: Proposal, visits: dict, carers: dict) -> list[Visit]:
    """The proposal's visits as it would make them (unsaved copies): its carer, its times; for
    the team's timeline, drawn as the team's day is."""
    moved = []
    for route in proposal.result["routes"]:
        carer = carers.get(route["worker"])
        for item in route["visits"]:
            visit = visits.get(item["visit"])
            if visit is None or carer is None:
                continue
            moved.append(Visit(
                pk=visit.pk, public_id=visit.public_id, crt_id=visit.crt_id,
                version=visit.version, status=visit.status, place=visit.place,
                beneficiary=visit.beneficiary, service=visit.service, staff=carer,
                two_person=visit.two_person, starts_at=moment(proposal.day, item["start"]),
                ends_at=moment(proposal.day, item["end"])))
    return moved


@require("rounds.plan")
@require_GET
def proposal(request: HttpRequest, public_id) -> HttpResponse:
    p = get_for_crt(Proposal.objects.select_related("created_by", "applied_by"), request.crt,
                    public_id)
    context = {"p": p, "waiting": p.status in {Proposal.Status.PENDING,
                                                Proposal.Status.RUNNING}}
    if p.result:
        context.update(_comparison(request, p))
    if request.headers.get("HX-Request"):
        if not context["waiting"]:
            # Computed (or failed) while the page waited: the whole page, with its tables.
            response = HttpResponse(status=200)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "rounds/_status.html", context)
    return render_with_tiles(request, "rounds/proposal.html", context)


@require("rounds.plan")
@require_POST
def apply(request: HttpRequest, public_id) -> HttpResponse:
    p = get_for_crt(Proposal, request.crt, public_id)
    try:
        changed = services.proposal_apply(actor=request.user, proposal=p)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("rounds:proposal", kwargs={"public_id": p.public_id}))
    messages.success(request, f"Tournées du {p.day:%d/%m/%Y} appliquées : "
                              f"{count_label(changed, 'passage modifié,passages modifiés')}.")
    return redirect(reverse("visits:team_day") + f"?jour={p.day:%Y-%m-%d}")


@require("rounds.plan")
@require_GET
def hours(request: HttpRequest) -> HttpResponse:
    """The carers and their week, for the rounds."""
    by_carer = selectors.hours_by_carer(crt=request.crt)
    rows = [{"carer": c, "hours": by_carer.get(c.pk, [])}
            for c in selectors.carers(crt=request.crt)]
    return render(request, "rounds/hours.html", {"rows": rows})


@require("rounds.plan")
@require_http_methods(["GET", "POST"])
def hours_edit(request: HttpRequest, public_id) -> HttpResponse:
    carer = selectors.carer(crt=request.crt, public_id=public_id)
    current = selectors.carer_hours(crt=request.crt, user=carer)
    form = CarerHoursForm(request.POST or None, crt=request.crt,
                          initial=CarerHoursForm.initial_for(current,
                                                             services.hours_stamp(current)))

    def save(data):
        return services.carer_hours_save(
            actor=request.user, crt=request.crt, user=carer, week=form.week(),
            stamp=data["stamp"], start_from=data["start_from"],
            home_commune=data["home_commune"], vehicle=data["vehicle"],
            max_working_minutes=data["max_working_minutes"])

    def done(days):
        worked = count_label(days, "jour travaillé,jours travaillés")
        messages.success(request, f"Horaires de {carer.get_full_name() or carer.username} "
                                  f"enregistrés : {worked}.")
        return redirect("rounds:hours")

    return run_form(request, form, save, template="rounds/hours_edit.html", on_success=done,
                    context={"carer": carer})
