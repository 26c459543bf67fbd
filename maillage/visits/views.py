"""Visits: planning, calendars (a person, a professional's week, the team's day), tracing from
a phone, the iCalendar feed."""

from datetime import date, datetime, timedelta
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import MultipleChoiceField
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import file_access, file_for_request
from maillage.care import selectors as care_selectors
from maillage.care.models import PlannedAction
from maillage.core.access import public, require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.folding import fold
from maillage.core.forms_util import posted_version, run_form
from maillage.core.permissions import has_permission
from maillage.core.roles import CRT_TEAM
from maillage.core.tenancy import get_for_crt

from . import booking_day as day_panel
from . import cards, elsewhere, ical, selectors, services, timeline
from .forms import ONCE, DoneForm, NotDoneForm, SeriesEditForm, VisitEditForm, VisitPlanForm
from .models import Visit

#: How far from today a day in the address may be (beyond, a typed or forged date such as
#: 0001-01-01 would overflow the day's bounds).
DAY_PARAM_YEARS = 10


def _parse_day(raw: str) -> date:
    """A day of the query string (AAAA-MM-JJ) within ``DAY_PARAM_YEARS`` of today; else
    ``ValueError``."""
    day = date.fromisoformat(raw)
    if abs(day - timezone.localdate()) > timedelta(days=366 * DAY_PARAM_YEARS):
        raise ValueError("out of range")
    return day


def _day_param(request, name: str) -> date:
    try:
        return _parse_day(request.GET.get(name, ""))
    except ValueError:
        return timezone.localdate()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


EVENT_COLOURS = {Visit.Status.PLANNED: "#1d4e89", Visit.Status.DONE: "#146c43",
                 Visit.Status.NOT_DONE: "#842029", Visit.Status.CANCELLED: "#495057"}


def _events(visits, overlaps: set[int], *, title) -> list[dict]:
    """FullCalendar events. Times are Paris wall-clock times, shown as such (calendar in UTC)."""
    events = []
    for v in visits:
        start, end = timezone.localtime(v.starts_at), timezone.localtime(v.ends_at)
        classes = [f"visit-{v.status}"]
        if v.pk in overlaps:
            classes.append("visit-overlap")
        events.append({
            "title": title(v) + (" — chevauchement" if v.pk in overlaps else "")
                     + ("" if v.status == Visit.Status.PLANNED
                        else f" ({v.get_status_display().lower()})"),
            "start": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%S"),
            "url": reverse("visits:detail", kwargs={"visit_id": v.public_id}),
            "className": " ".join(classes),
            # Dark enough for white text (WCAG AA), one colour per state.
            "color": EVENT_COLOURS[v.status], "contrastColor": "#ffffff",
        })
    return events


#: The hours a visit calendar shows at least; a visit outside them (a night visit) widens them
#: to its own hours, one crossing midnight to the whole day.
CALENDAR_HOURS = (6, 23)


def _calendar_hours(events: list[dict]) -> tuple[int, int]:
    first, last = CALENDAR_HOURS
    for e in events:
        start, end = datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"])
        if end.date() != start.date() and (end.hour, end.minute) != (0, 0):
            return 0, 24
        first = min(first, start.hour)
        last = max(last, 24 if end.date() != start.date() else end.hour + bool(end.minute))
    return first, last


def _calendar_context(*, view: str, day: date, events: list[dict]) -> dict:
    first, last = _calendar_hours(events)
    return {"calendar": {"view": view, "date": day.isoformat(), "events": events,
                         "slot_min": f"{first:02d}:00:00", "slot_max": f"{last:02d}:00:00"}}


# --- Calendars -------------------------------------------------------------------------------


@require("visit.view")
@require_GET
def beneficiary_calendar(request: HttpRequest, public_id) -> HttpResponse:
    b, access = file_for_request(request, public_id)
    if not access.planning:
        raise PermissionDenied("Le consentement de la personne ne couvre pas son planning.")
    monday = _monday(_day_param(request, "semaine"))
    week = selectors.in_range(
        selectors.visible_visits(crt=request.crt, user=request.user, roles=request.roles)
        .filter(beneficiary=b), monday, 7)
    series = (b.visit_series.filter(crt=request.crt)
              .select_related("staff", "professional__organization", "service")
              .order_by("-start_date"))
    audit_log(actor=request.user, action="visits.viewed", obj=b, beneficiary=b)
    return render(request, "visits/beneficiary.html", {
        "b": b, "visits": week, "monday": monday,
        "prev": monday - timedelta(days=7), "next": monday + timedelta(days=7),
        "series": [s for s in series if not s.end_date or s.end_date >= timezone.localdate()],
        "can_plan": has_permission(request.roles, "visit.plan"),
        **_calendar_context(view="timeGridWeek", day=monday,
                            events=_events(week, set(), title=lambda v: f"{v.label} · {v.who}")),
    })


def _actor_choice(request):
    """The professional whose week is shown: « s-<uuid> » (team) or « p-<uuid> » (partner)."""
    key = request.GET.get("qui", "")
    team_member = bool(request.roles & CRT_TEAM)
    if not key or not team_member:
        # Partners see only their own week.
        return "staff", request.user, f"s-{request.user.public_id}"
    try:
        kind, who = selectors.actor_by_key(crt=request.crt, key=key)
    except LookupError as error:
        raise Http404("Professionnel inconnu.") from error
    return kind, who, key


def _sees_elsewhere(request, account: int | None = None) -> bool:
    """Who is shown the hours a professional is busy in another CRT (``elsewhere``): the
    planners of this CRT, and a professional on their own week."""
    return has_permission(request.roles, "visit.plan") or account == request.user.pk


def _actor_label(kind: str, who) -> str:
    if kind == "staff":
        return who.get_full_name() or who.username
    name = f"{who.first_name} {who.last_name}".strip()
    return f"{name} ({who.organization.name})" if who.organization_id else name


@require("visit.view")
@require_GET
def professional_week(request: HttpRequest) -> HttpResponse:
    kind, who, key = _actor_choice(request)
    monday = _monday(_day_param(request, "semaine"))
    team_member = bool(request.roles & CRT_TEAM)
    query = request.GET.get("recherche", "").strip()[:60] if team_member else ""
    staff, pros = selectors.actor_search(crt=request.crt, query=query)
    matches = ([(f"s-{u.public_id}", _actor_label("staff", u)) for u in staff]
               + [(f"p-{p.public_id}", _actor_label("professional", p)) for p in pros])
    picker = {"query": query, "matches": matches, "monday": monday}
    if request.headers.get("HX-Request"):
        return render(request, "visits/_actor_matches.html", picker)
    qs = selectors.visible_visits(crt=request.crt, user=request.user, roles=request.roles)
    begin, _ = selectors.day_bounds(monday)
    end, _ = selectors.day_bounds(monday + timedelta(days=7))
    qs = qs.only(*timeline.FIELDS)
    if not team_member:  # a partner: their own visits, as themselves or as a professional
        week = selectors.by_keys(qs, selectors.mine_ids(crt=request.crt, user=request.user,
                                                        start=begin, end=end))
    else:
        week = selectors.in_range(qs.filter(staff=who) if kind == "staff"
                                  else qs.filter(professional=who), monday, 7)
    account = who.pk if kind == "staff" else who.user_id
    busy = []
    if account and _sees_elsewhere(request, account):
        busy = elsewhere.busy_slots(crt_id=request.crt.pk, user_ids=[account], start=begin,
                                    end=end).get(account, [])
    tl = timeline.week_rows(week, monday=monday, rule=timeline.Rule(), busy=busy)
    return render(request, "visits/professional_week.html", {
        "who_name": _actor_label(kind, who), "key": key, "team_member": team_member,
        "tl": tl, "monday": monday, "prev": monday - timedelta(days=7),
        "next": monday + timedelta(days=7), "hours": range(24), **picker,
    })


TEAM_DAYS = (1, 7)


def _team_range(request, *, start_param: str, days_param: str) -> tuple[date, int, str]:
    """The team timeline's range and filter from the query string; bad values raise
    ``DomainError`` (the JSON endpoint answers 400, the page falls back to today)."""
    raw_start, raw_days = request.GET.get(start_param, ""), request.GET.get(days_param, "1")
    try:
        start = _parse_day(raw_start) if raw_start else timezone.localdate()
    except ValueError as error:
        raise DomainError(f"Date invalide : attendu AAAA-MM-JJ, à moins de {DAY_PARAM_YEARS} "
                          "ans d'aujourd'hui.", field=start_param) from error
    if raw_days not in {str(d) for d in TEAM_DAYS}:
        raise DomainError("Nombre de jours invalide : 1 ou 7.", field=days_param)
    days = int(raw_days)
    if days == 7:
        start = _monday(start)
    return start, days, request.GET.get("profession", "")[:120]


#: A page of the team's timeline: at most 15 professionals and about 100 visits a day (a
#: professional whose day alone holds more still gets a page): a page costs the same whatever the
#: size of the team and however full each professional's day is.
TEAM_PAGE_SIZE = 15
TEAM_PAGE_VISITS = 100


def _team_timeline(request, start: date, days: int, profession: str) -> dict:
    """The team's timeline, one page of professionals at a time (``page``): who visits in the
    range, with their numbers of visits, is one grouped query (and their names two small ones);
    only the page's professionals' visits are loaded, without a join per visit to them."""
    ranged = selectors.visible_visits(crt=request.crt, user=request.user,
                                      roles=request.roles)
    begin, _ = selectors.day_bounds(start)
    end, _ = selectors.day_bounds(start + timedelta(days=days))
    ranged = ranged.filter(starts_at__gte=begin, starts_at__lt=end)
    everyone = timeline.range_actors(ranged, crt_id=request.crt.pk)
    # The professions of the range, and the one filtered by even when the range has none of
    # it (the filter in force stays shown, « Toutes » would say otherwise).
    professions = sorted({a["category"] for a in everyone} | ({profession} - {""}), key=fold)
    chosen = [a for a in everyone if not profession or a["category"] == profession]
    pages = timeline.actor_pages(chosen, per_page=TEAM_PAGE_SIZE,
                                 visits_per_page=TEAM_PAGE_VISITS * days) or [[]]
    try:
        number = min(max(1, int(request.GET.get("page", "1"))), len(pages))
    except ValueError:
        number = 1
    shown = pages[number - 1]
    visits = selectors.in_range(
        ranged.filter(timeline.actors_q(shown)).select_related(None)
        .select_related("beneficiary__commune", "service").only(*timeline.PAGE_FIELDS),
        start, days) if shown else []
    timeline.with_actors(visits, shown)
    # The hours the page's professionals who also work for another CRT are busy there (a
    # query only when there are such professionals on the page).
    busy = {}
    accounts = {(f"s{a['staff']}" if "staff" in a else f"p{a['professional']}"): a["elsewhere"]
                for a in shown if a["elsewhere"]}
    if accounts and _sees_elsewhere(request):
        slots = elsewhere.busy_slots(crt_id=request.crt.pk, user_ids=accounts.values(),
                                     start=begin, end=end)
        busy = {key: slots[account] for key, account in accounts.items() if account in slots}
    tl = timeline.team_days(visits, start=start, days=days, rule=timeline.Rule(), busy=busy)
    tl.update(timeline.range_counts(chosen))
    tl["profession"], tl["professions"] = profession, professions
    tl["heading"] = ("Passages de l'équipe — " + (
        timeline.date_format(start, "l j F Y") if days == 1
        else f"semaine du {timeline.date_format(start, 'j F Y')}"))
    tl["nav"] = _team_nav(start, days, profession)
    here = tl["nav"]["week" if days == 7 else "day"]
    first = sum(len(p) for p in pages[:number - 1]) + 1
    tl["pages"] = {
        "number": number, "count": len(pages), "total": len(chosen),
        "first": first if shown else 0, "last": first + len(shown) - 1,
        "prev": f"{here}&page={number - 1}" if number > 1 else "",
        "next": f"{here}&page={number + 1}" if number < len(pages) else "",
    }
    return tl


def _team_nav(start: date, days: int, profession: str) -> dict:
    """The navigation links (plain links: they work without JavaScript)."""
    def link(day: date, n: int) -> str:
        query = f"?jour={day.isoformat()}" + ("&jours=7" if n == 7 else "")
        if profession:
            query += f"&profession={quote(profession)}"
        return query

    step = timedelta(days=days)
    return {"prev": link(start - step, days), "next": link(start + step, days),
            "today": link(timezone.localdate(), days), "day": link(start, 1),
            "week": link(start, 7)}


@require("visit.team")
@require_GET
def team_day(request: HttpRequest) -> HttpResponse:
    try:
        start, days, profession = _team_range(request, start_param="jour", days_param="jours")
    except DomainError:
        start, days, profession = timezone.localdate(), 1, ""
    tl = _team_timeline(request, start, days, profession)
    return render(request, "visits/team_day.html", {
        "day": start, "days": days, "tl": tl, "hours": range(24),
        "can_move": has_permission(request.roles, "visit.plan"),
        "can_optimise": has_permission(request.roles, "rounds.plan"),
    })


@require("visit.team")
@require_GET
def team_range(request: HttpRequest) -> JsonResponse:
    """The team timeline as JSON: ``?start=YYYY-MM-DD&days=1|7&profession=…`` (the page's
    navigation fetches it and renders it without reloading)."""
    try:
        start, days, profession = _team_range(request, start_param="start", days_param="days")
    except DomainError as error:
        return JsonResponse({"error": error.message, "field": error.field}, status=400)
    tl = _team_timeline(request, start, days, profession)
    return JsonResponse(tl)


@require("visit.plan")
@require_POST
def move(request: HttpRequest, visit_id) -> JsonResponse:
    """Drag and drop on the team's timeline: the visit to another time (another day of the week
    view) and/or another professional (``qui``), through the edit service (double booking,
    never into the past, version)."""
    visit = _plannable(request, visit_id)
    try:
        wall = datetime.fromisoformat(request.POST.get("start", ""))
        if wall.tzinfo is not None:
            raise ValueError("a wall-clock time is expected")
        # In UTC: adding the visit's duration counts real minutes (the nights the clocks change).
        starts = services.local_dt(wall.date(), wall.time())
    except ValueError:
        return JsonResponse({"error": "Heure ou version invalide."}, status=400)
    version = posted_version(request)
    if version < 0:
        return JsonResponse({"error": "Heure ou version invalide."}, status=400)
    try:  # before adding the duration to a moment of year 9999
        services.check_schedule(starts)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    staff, professional = visit.staff, visit.professional
    key = request.POST.get("qui", "")
    if key:
        try:
            kind, who = selectors.actor_by_key(crt=request.crt, key=key, active_only=True)
        except LookupError:
            return JsonResponse({"error": "Professionnel inconnu."}, status=400)
        staff, professional = (who, None) if kind == "staff" else (None, who)
    try:
        services.visit_update(
            actor=request.user, visit=visit, version=version, starts_at=starts,
            ends_at=starts + (visit.ends_at - visit.starts_at), staff=staff,
            professional=professional)
    except DomainError as error:
        message = error.message
        if error.field == "allow_overlap":  # the timeline has no such box: the visit's form has
            message = message.replace(
                "ou cochez « Planifier malgré l'avertissement ».",
                "ou ouvrez le passage et « Modifier ce passage » pour le planifier malgré "
                "l'avertissement.")
        return JsonResponse({"error": message}, status=409)
    local = timezone.localtime(visit.starts_at)
    return JsonResponse({"ok": True, "message": f"Passage déplacé : {visit.who}, "
                                                f"{local:%d/%m/%Y à %H:%M}."})


# --- My visits today (phone) -----------------------------------------------------------------


@require("visit.trace")
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    day = _day_param(request, "jour")
    if day == timezone.localdate():  # today's: with the night worked (``selectors.my_today``)
        shown = selectors.my_today(crt=request.crt, user=request.user, roles=request.roles)
    else:
        shown = selectors.Today(day, selectors.my_day(crt=request.crt, user=request.user,
                                                      roles=request.roles, day=day))
    visits = shown.visits
    cards.my_day_cards(visits, day, heading="h3" if shown.parts else "h2")
    return render(request, "visits/my_day.html", {
        "day": day, "visits": visits, "parts": shown.parts, "span": shown.span,
        "today": timezone.localdate(),
        "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
        "left": sum(1 for v in visits if v.status == Visit.Status.PLANNED),
        "can_offline": has_permission(request.roles, "visit.offline"),
        "can_week": has_permission(request.roles, "visit.view"),
        "monday": _monday(day),
    })


# --- One visit -------------------------------------------------------------------------------


def _visit(request, visit_id) -> Visit:
    visit = get_for_crt(
        selectors.visible_visits(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("series", "traced_by", "missed_alert"), request.crt, visit_id)
    # Partners: only when the person's consent covers their planning (404 otherwise).
    _, access = file_for_request(request, visit.beneficiary.public_id)
    if not access.planning:
        raise PermissionDenied("Le consentement de la personne ne couvre pas son planning.")
    return visit


@require("visit.view")
@require_GET
def detail(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _visit(request, visit_id)
    live = visit.status in (Visit.Status.PLANNED, Visit.Status.DONE)
    overlaps = services.find_overlaps([visit]) if live else []
    taken = (elsewhere.find_busy_elsewhere([visit])
             if live and _sees_elsewhere(request, elsewhere.user_of(visit)) else [])
    audit_log(actor=request.user, action="visit.viewed", obj=visit,
              beneficiary=visit.beneficiary)
    can_trace = services.may_trace(user=request.user, roles=request.roles, visit=visit)
    access = file_access(user=request.user, roles=request.roles, beneficiary=visit.beneficiary)
    # As on « Mes passages »: a visit opens for tracing an hour before its start (``services``);
    # before that, its page says when instead of offering a form that would be refused.
    trace_opens = visit.starts_at - services.TRACE_AHEAD
    # The professional of the visit, on the road: where it is, and the way back to their day.
    mine = visit.staff_id == request.user.id or bool(
        visit.professional_id and visit.professional.user_id == request.user.id)
    return render(request, "visits/detail.html", {
        "v": visit, "b": visit.beneficiary, "overlaps": overlaps,
        "elsewhere": elsewhere.describe(taken) if taken else "",
        "tasks": selectors.tasks_done(visit=visit),
        "can_plan": has_permission(request.roles, "visit.plan"),
        "can_trace": can_trace,
        "trace_opens": trace_opens, "traceable": trace_opens <= timezone.now(),
        "mine": mine and access.identity and has_permission(request.roles, "visit.trace"),
        "can_notes": has_permission(request.roles, "notes.view") and access.liaison,
        # Raising an alert from the visit (a fall seen at 3 a.m.), as from the on-call page.
        "can_raise_alert": has_permission(request.roles, "alert.raise") and access.liaison,
        "can_measure": can_trace and _may_measure(request, visit, access),
    })


def _may_measure(request, visit: Visit, access) -> bool:
    """Whether the visit page offers « Enregistrer une mesure »: a visit of today, planned
    (under way) or done, to whoever may record this person's vital signs (the permission and
    the file's health face, as the form itself checks)."""
    return (visit.status in (Visit.Status.PLANNED, Visit.Status.DONE)
            and timezone.localdate(visit.starts_at) == timezone.localdate()
            and has_permission(request.roles, "vital_sign.record")
            and access.health)


def _day_panel(request, data, *, strict: bool = True,
               moved: Visit | None = None) -> tuple[dict, int]:
    """The booking form's « Journée de … » panel for the professional and the date of ``data``
    (the form's ``staff``, ``professional`` and ``start_date``, or ``day`` on a visit's edit
    form): its context and status (400 for a date that is not one). Another CRT's
    professional, or anyone the form does not offer: 404 (``strict``; else no panel: the
    booking form says what is wrong). ``moved``: the visit being edited, its hours free."""
    panel = {"who": "", "day": None, "error": "", "form_id": PLAN_FORM_ID}
    staff, professional = str(data.get("staff") or ""), str(data.get("professional") or "")
    try:
        chosen = day_panel.actor(crt=request.crt, staff=staff, professional=professional)
    except LookupError as error:
        if not strict:
            return {"panel": panel}, 200
        raise Http404("Professionnel inconnu.") from error
    raw = data.get("start_date") or data.get("day") or ""
    if chosen is None:
        return {"panel": panel}, 200
    kind, who = chosen
    panel["who"] = day_panel.actor_name(kind, who)
    if staff and professional:
        panel["error"] = ("Un passage est fait par une seule personne : choisissez un membre "
                          "de l'équipe ou un partenaire.")
        return {"panel": panel}, 400
    if not raw:
        panel["error"] = "Indiquez la date pour voir sa journée."
        return {"panel": panel}, 200
    try:
        day = raw if isinstance(raw, date) else _parse_day(str(raw))
    except ValueError:
        panel["error"] = (f"Date invalide : attendu AAAA-MM-JJ, à moins de {DAY_PARAM_YEARS} "
                          "ans d'aujourd'hui.")
        return {"panel": panel}, 400
    panel["day"] = day
    panel["found"] = day_panel.booking_day(
        crt=request.crt, user=request.user, roles=request.roles, kind=kind, who=who, day=day,
        sees_elsewhere=_sees_elsewhere(request, day_panel.account_of(kind, who)),
        leave_out=moved)
    return {"panel": panel}, 200


@require("visit.plan")
@require_GET
def booking_day(request: HttpRequest) -> HttpResponse:
    """The booking form's « Journée de … » panel (htmx, on a change of the professional or the
    date): ``?staff=<uuid>`` or ``?professional=<uuid>``, ``&start_date=AAAA-MM-JJ`` (or
    ``&day=``); on a visit's edit form, ``&passage=<uuid>``: that visit, which must be one the
    user may move (``_plannable``), leaves its hours free."""
    moved = _plannable(request, request.GET["passage"]) if request.GET.get("passage") else None
    context, status = _day_panel(request, request.GET, moved=moved)
    return render(request, "visits/_booking_day.html", context, status=status)


def _form_with_day(request, form, ctx: dict, *, moved: Visit | None = None) -> HttpResponse:
    """« Voir sa journée » without JavaScript: the unbound ``form`` showing what was typed,
    with the chosen professional's day beside it (``_day_panel``); nothing is saved."""
    form.initial.update({
        name: (request.POST.getlist(name) if isinstance(field, MultipleChoiceField)
               else request.POST.get(name))
        for name, field in form.fields.items() if name in request.POST})
    panel, status = _day_panel(request, form.initial, strict=False, moved=moved)
    return render(request, "visits/plan.html", {**ctx, **panel, "form": form}, status=status)


#: The id of the booking form (the panel's « Voir sa journée » button submits it).
PLAN_FORM_ID = "plan-form"


def _plan_context(b, title):
    return {"title": title, "back_url": reverse("visits:beneficiary",
                                                kwargs={"public_id": b.public_id}),
            "back_label": f"Passages de {b.display_name}", "submit_label": "Planifier",
            "form_id": PLAN_FORM_ID, "panel_url": reverse("visits:booking_day"),
            "panel_date_id": "id_start_date"}


@require("visit.plan")
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, public_id) -> HttpResponse:
    b, access = file_for_request(request, public_id)
    initial = {"start_date": timezone.localdate()}
    action = None
    if request.GET.get("prestation"):  # a line of the person's basket (``care:plan``)
        service = care_selectors.active_service(crt=request.crt,
                                                public_id=request.GET["prestation"])
        if service is not None:
            initial["service"] = service.public_id
    if request.GET.get("action"):
        action = get_for_crt(PlannedAction.objects.filter(version__plan__beneficiary=b)
                             .select_related("staff", "professional", "service"),
                             request.crt, request.GET["action"])
        initial.update({
            "service": action.service.public_id if action.service_id else None,
            "staff": action.staff.public_id if action.staff_id else None,
            "professional": action.professional.public_id if action.professional_id else None,
            "start_date": max(action.start_date or timezone.localdate(), timezone.localdate()),
            "end_date": action.end_date, "instructions": action.description[:300],
            "recurrence": "weekly",
        })
    title = f"Planifier un passage — {b.display_name}"
    ctx = _plan_context(b, title)
    if action is not None:
        ctx["intro"] = f"Action du plan : {action.description} (fréquence prévue : " \
                       f"{action.frequency or 'non précisée'})."
    if request.method == "POST" and "journee" in request.POST:
        return _form_with_day(request, VisitPlanForm(crt=request.crt, initial=initial), ctx)
    form = VisitPlanForm(request.POST or None, crt=request.crt, initial=initial)

    def save(data):
        who = {"staff": data["staff"], "professional": data["professional"],
               "service": data["service"], "place": data["place"],
               "instructions": data["instructions"]}
        if data["recurrence"] == ONCE:
            times = services.parse_times(data["times"]).split(",")
            if len(times) > 1:
                raise DomainError("Une seule heure pour un passage ponctuel ; pour plusieurs "
                                  "heures, choisissez une récurrence.", field="times")
            starts = services.local_dt(data["start_date"], times[0])
            return services.visit_create(
                actor=request.user, beneficiary=b, allow_overlap=data["allow_overlap"],
                starts_at=starts, second_staff=data["second_staff"],
                ends_at=starts + timedelta(minutes=data["duration_minutes"]),
                **services.window_of(starts, data["window_before"], data["window_after"]),
                **who)
        series, _ = services.series_create(
            actor=request.user, beneficiary=b, planned_action=action,
            second_staff=data["second_staff"], window_before=data["window_before"],
            window_after=data["window_after"],
            allow_overlap=data["allow_overlap"], frequency=data["recurrence"],
            interval=data["interval"] or 1, weekdays=",".join(data["weekdays"]),
            times=data["times"], duration_minutes=data["duration_minutes"],
            start_date=data["start_date"], end_date=data["end_date"], **who)
        return series

    def done(result):
        if isinstance(result, Visit):
            messages.success(request, "Visite à deux planifiée (un passage par intervenant·e)."
                             if result.two_person else "Passage planifié.")
        else:
            messages.success(request, ("Séries à deux planifiées" if result.two_person
                                       else "Série planifiée") + f" : {result.describe()}.")
        return redirect(f"{reverse('visits:beneficiary', kwargs={'public_id': b.public_id})}"
                        f"?semaine={form.cleaned_data['start_date'].isoformat()}")

    # Computed only if the page is shown (not before the redirect of a booking made).
    source = request.POST if request.method == "POST" else initial
    panel = SimpleLazyObject(lambda: _day_panel(request, source, strict=False)[0]["panel"])
    return run_form(request, form, save, template="visits/plan.html", on_success=done,
                    context={**ctx, "panel": panel})


def _plannable(request, visit_id) -> Visit:
    visit = _visit(request, visit_id)
    if visit.is_traced:
        raise PermissionDenied("Ce passage est déjà tracé.")
    return visit


def _audit_form_read(request, visit) -> None:
    """A visit's form shows its instructions and report: opening it (GET) is a read."""
    if request.method == "GET":
        audit_log(actor=request.user, action="visit.form_opened", obj=visit,
                  beneficiary=visit.beneficiary)


@require("visit.plan")
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _plannable(request, visit_id)
    _audit_form_read(request, visit)
    start = timezone.localtime(visit.starts_at)
    form = VisitEditForm(request.POST or None, crt=request.crt, initial={
        "day": start.date(), "start_time": start.time(),
        "duration_minutes": int((visit.ends_at - visit.starts_at).total_seconds() // 60),
        "staff": visit.staff.public_id if visit.staff_id else None,
        "professional": visit.professional.public_id if visit.professional_id else None,
        "service": visit.service.public_id if visit.service_id else None,
        "place": visit.place, "instructions": visit.instructions, "version": visit.version,
        **services.window_minutes(visit)})

    def save(data):
        starts = services.local_dt(data["day"], data["start_time"])
        return services.visit_update(
            actor=request.user, visit=visit, version=data["version"],
            allow_overlap=data["allow_overlap"], starts_at=starts,
            ends_at=starts + timedelta(minutes=data["duration_minutes"]),
            staff=data["staff"], professional=data["professional"], service=data["service"],
            place=data["place"], instructions=data["instructions"],
            **services.window_of(starts, data["window_before"], data["window_after"]))

    def done(result):
        messages.success(request, "Passage modifié (ce passage seulement).")
        return redirect("visits:detail", visit_id=visit.public_id)

    ctx = {"title": "Modifier ce passage seulement",
           "intro": "Les autres passages de la série ne changent pas." if visit.series_id else "",
           "back_url": reverse("visits:detail", kwargs={"visit_id": visit.public_id}),
           "back_label": str(visit), "form_id": PLAN_FORM_ID,
           "panel_url": f"{reverse('visits:booking_day')}?passage={visit.public_id}",
           "panel_date_id": "id_day"}
    if request.method == "POST" and "journee" in request.POST:
        return _form_with_day(request, VisitEditForm(crt=request.crt, initial=dict(form.initial)),
                              ctx, moved=visit)
    source = request.POST if request.method == "POST" else form.initial
    panel = SimpleLazyObject(
        lambda: _day_panel(request, source, strict=False, moved=visit)[0]["panel"])
    return run_form(request, form, save, template="visits/plan.html", on_success=done,
                    context={**ctx, "panel": panel})


@require("visit.plan")
@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _visit(request, visit_id)
    if visit.series is None:
        raise Http404("Ce passage ne fait pas partie d'une série.")
    series = visit.series
    _audit_form_read(request, visit)
    form = SeriesEditForm(request.POST or None, crt=request.crt,
                          initial=SeriesEditForm.initial_for(series))

    def save(data):
        return services.series_update(
            actor=request.user, series=series, version=data["version"], scope=data["scope"],
            visit=visit, allow_overlap=data["allow_overlap"], frequency=data["frequency"],
            interval=data["interval"], weekdays=",".join(data["weekdays"]),
            times=data["times"], duration_minutes=data["duration_minutes"],
            staff=data["staff"], professional=data["professional"], service=data["service"],
            place=data["place"], end_date=data["end_date"], instructions=data["instructions"],
            window_before=data["window_before"], window_after=data["window_after"])

    def done(result):
        messages.success(request, f"Série modifiée : {result.describe()}.")
        return redirect("visits:beneficiary", public_id=visit.beneficiary.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Modifier la série",
                             "intro": f"Série actuelle : {series.describe()}. Les passages "
                                      "déjà tracés ne changent jamais.",
                             "back_url": reverse("visits:detail",
                                                 kwargs={"visit_id": visit.public_id}),
                             "back_label": str(visit)})


@require("visit.plan")
@require_POST
def cancel(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _plannable(request, visit_id)
    scope = request.POST.get("scope", "one")
    try:
        version = posted_version(request)
        if scope == "following" and visit.series is not None:
            day = services.local_day(visit.original_start or visit.starts_at)
            services.series_end(actor=request.user, series=visit.series,
                                version=posted_version(request, "series_version"),
                                last_day=day - timedelta(days=1))
            messages.success(request, "Ce passage et les suivants sont annulés.")
        else:
            services.visit_cancel(actor=request.user, visit=visit, version=version)
            messages.success(request, "Passage annulé.")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("visits:detail", visit_id=visit.public_id)
    return redirect("visits:beneficiary", public_id=visit.beneficiary.public_id)


# --- Tracing ---------------------------------------------------------------------------------


def _traceable(request, visit_id) -> tuple[Visit, object]:
    visit = _visit(request, visit_id)
    if not services.may_trace(user=request.user, roles=request.roles, visit=visit):
        raise PermissionDenied("Seul l'intervenant du passage (ou la coordination) le trace.")
    _, access = file_for_request(request, visit.beneficiary.public_id)
    return visit, access


def _trace_context(visit, title):
    start = timezone.localtime(visit.starts_at)
    return {"title": title, "intro": f"{visit.beneficiary.display_name} — {visit.label}, "
                                     f"prévu le {start:%d/%m/%Y} à {start:%H:%M}.",
            "back_url": f"{reverse('visits:my_day')}?jour={start.date().isoformat()}",
            "back_label": "Mes passages"}


@require("visit.trace")
@require_http_methods(["GET", "POST"])
def trace_done(request: HttpRequest, visit_id) -> HttpResponse:
    visit, access = _traceable(request, visit_id)
    _audit_form_read(request, visit)
    start, end = timezone.localtime(visit.starts_at), timezone.localtime(visit.ends_at)
    if visit.actual_start:
        start, end = timezone.localtime(visit.actual_start), timezone.localtime(visit.actual_end)
    form = DoneForm(request.POST or None, initial={
        "actual_start": start.time(), "actual_end": end.time(), "report": visit.report,
        "version": visit.version})
    if not access.health:
        form.fields["note_visibility"].choices = [
            c for c in form.fields["note_visibility"].choices if c[0] != "health"]
    if not has_permission(request.roles, "notes.write"):
        for name in ("note_text", "note_category", "note_visibility"):
            del form.fields[name]
    day = timezone.localtime(visit.starts_at).date()

    def save(data):
        actual_start, actual_end = services.traced_moments(visit, data["actual_start"],
                                                           data["actual_end"])
        return services.visit_mark_done(
            actor=request.user, roles=request.roles, visit=visit, version=data["version"],
            actual_start=actual_start, actual_end=actual_end,
            report=data["report"], note_text=data.get("note_text", ""),
            note_category=data.get("note_category") or "general",
            note_visibility=data.get("note_visibility") or "team", access=access)

    def done(result):
        messages.success(request, f"Passage chez {visit.beneficiary.display_name} tracé : "
                                  "réalisé.")
        return redirect(f"{reverse('visits:my_day')}?jour={day.isoformat()}")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={**_trace_context(visit, "Passage réalisé"),
                             "submit_label": "Enregistrer : réalisé"})


@require("visit.trace")
@require_http_methods(["GET", "POST"])
def trace_not_done(request: HttpRequest, visit_id) -> HttpResponse:
    visit, _ = _traceable(request, visit_id)
    form = NotDoneForm(request.POST or None, initial={"version": visit.version})
    day = timezone.localtime(visit.starts_at).date()

    def save(data):
        return services.visit_mark_not_done(actor=request.user, visit=visit,
                                            version=data["version"], reason=data["reason"],
                                            comment=data["comment"])

    def done(result):
        text = "Passage tracé : non réalisé."
        if result.missed_alert_id:
            text += " La coordination est alertée."
        messages.success(request, text)
        return redirect(f"{reverse('visits:my_day')}?jour={day.isoformat()}")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={**_trace_context(visit, "Passage non réalisé"),
                             "submit_label": "Enregistrer : non réalisé"})


# --- iCalendar -------------------------------------------------------------------------------


@require("visit.trace")
@require_http_methods(["GET", "POST"])
def calendar_feed(request: HttpRequest) -> HttpResponse:
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if services.calendar_token_revoke(actor=request.user, crt=request.crt):
                messages.success(request, "L'adresse de votre agenda ne fonctionne plus.")
            return redirect("visits:calendar_feed")
        token = services.calendar_token_create(actor=request.user, crt=request.crt)
    existing = selectors.calendar_token(crt=request.crt, user=request.user)
    return render(request, "visits/calendar_feed.html", {
        "existing": existing,
        "feed_url": request.build_absolute_uri(
            reverse("visits:ical", kwargs={"token": token})) if token else None,
    })


@public
@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    found = services.calendar_token_use(token=token)
    if found is None:
        raise Http404("Agenda inconnu.")
    body = ical.feed(crt=found.crt, user=found.user,
                     base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
