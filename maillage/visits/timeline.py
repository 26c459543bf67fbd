"""The timeline of visits: one row per professional (the team's day) or per day (a
professional's week), hours 0–24 in quarter-hour slots, visits as blocks with their flags.

Built once from visits already loaded (no query of its own) into plain data: the page's template
renders it, the JSON range endpoint returns it and the page's script renders the JSON the same way
(one rendering of a day, never two). Blocks are placed by CSS classes (``tl-s-<slot>`` start,
``tl-d-<slots>`` span, ``tl-l-<lane>`` lane), not by inline styles (CSP ``style-src 'self'``).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from maillage.core.models import MembershipRole
from maillage.core.reversing import public_id_url
from maillage.core.roles import Role
from maillage.territory.models import Professional

from . import services
from .elsewhere import BLOCK_LABEL, Slot, works_elsewhere
from .models import Place, Visit

SLOTS = 96  # quarter-hours in a day
SLOT_MINUTES = 15
MAX_LANES = 8  # rows of blocks inside one timeline row; more overlaps share the last one
DAY_START, DAY_END = 7, 21  # the day hours, emphasised
STAFF_PROFESSION = "Équipe du CRT"

#: The professions the team's timeline filters by (``range_actors``' ``category``): a member
#: of staff's role in this CRT and a partner's profession fall into the same one, whatever
#: title each wears (« Aide-soignante », « Aide-soignant », « AES » are all care aides).
ROLE_CATEGORIES = {
    Role.NURSE: "Infirmier·ère", Role.CARE_AIDE: "Aide-soignant·e",
    Role.PSYCHOLOGIST: "Psychologue", Role.OCCUPATIONAL_THERAPIST: "Ergothérapeute",
    Role.ACTIVITY_LEADER: "Animateur·rice", Role.DOCTOR: "Médecin",
    Role.COORDINATOR: "Coordination",
}
_P = Professional.Profession
PROFESSION_CATEGORIES = {
    _P.GP: "Médecin", _P.SPECIALIST: "Médecin", _P.GERIATRICIAN: "Médecin",
    _P.NURSE: "Infirmier·ère", _P.CARE_AIDE: "Aide-soignant·e",
    _P.PSYCHOLOGIST: "Psychologue", _P.OCCUPATIONAL_THERAPIST: "Ergothérapeute",
    _P.COORDINATOR: "Coordination",
}


def category_role(crt_id: int) -> Subquery:
    """A member of staff's role in the CRT that gives their profession in the filter (an
    annotation of users): the first of ``ROLE_CATEGORIES`` they hold (a nurse who also
    coordinates is a nurse), else None (the team's)."""
    order = Case(*(When(role=role, then=Value(i)) for i, role in enumerate(ROLE_CATEGORIES)))
    return Subquery(MembershipRole.objects.filter(
        membership__user=OuterRef("pk"), membership__crt_id=crt_id,
        role__in=list(ROLE_CATEGORIES)).order_by(order).values("role")[:1])


STATE_LABELS = {s.value: s.label.lower() for s in Visit.Status}
#: The state of a block that is no visit of this CRT: the professional is busy in another CRT
#: they work for (``elsewhere``: its hours only).
ELSEWHERE = "elsewhere"


@dataclass(frozen=True)
class Rule:
    """Between two consecutive visits of one professional in different places, at least the
    difference of the two places' travel times from the CRT (a lower bound of the travel time
    between them: the communes have no coordinates yet), and never less than ``min_gap``
    minutes."""

    min_gap: int = 5

    def needed(self, before: int, after: int) -> int:
        return max(self.min_gap, abs(before - after))

    def describe(self) -> str:
        return ("Trajet trop court : entre deux passages consécutifs d'un même professionnel "
                "dans deux communes différentes, moins de temps que l'écart de leurs temps "
                f"d'accès depuis le CRT (et moins de {self.min_gap} min au minimum) — une "
                "estimation basse du trajet, faute de coordonnées des communes.")


#: The columns the timeline reads (``QuerySet.only``): a day of 1,000 visits loads fast.
FIELDS = (
    "public_id", "crt_id", "series_id", "status", "version", "starts_at", "ends_at", "place",
    "actual_start", "actual_end", "traced_offline", "beneficiary__used_name",
    "beneficiary__birth_name", "beneficiary__used_first_name",
    "beneficiary__first_name", "beneficiary__commune__name",
    "beneficiary__commune__travel_minutes", "service__name",
    "staff__public_id", "staff__first_name", "staff__last_name", "staff__username",
    "staff__profession", "professional__public_id", "professional__first_name",
    "professional__last_name", "professional__profession", "professional__organization__name",
)


def blocks_html(blocks: list[dict]) -> SafeString:
    """The blocks of one row (visits/_timeline.html; timeline.js builds the same markup).
    Written here rather than in a template loop: a day of 1,000 visits renders in milliseconds."""
    parts = []
    for b in blocks:
        if b["state"] == ELSEWHERE:  # the other CRT's hours: nothing to open, nothing to move
            parts.append(f'<span class="tl-b tl-s-{b["slot"]} tl-d-{b["span"]} tl-l-{b["lane"]} '
                         f'tl-{ELSEWHERE}">{escape(b["label"])}</span>')
            continue
        flags = (" tl-ov" if b["overlap"] else "") + (" tl-tr" if b["travel"] else "")
        move = f' draggable="true" data-v="{b["version"]}"' if b["state"] == "planned" else ""
        parts.append(f'<a class="tl-b tl-s-{b["slot"]} tl-d-{b["span"]} tl-l-{b["lane"]} '
                     f'tl-{b["state"]}{flags}" href="{escape(b["url"])}"{move}>'
                     f'{escape(b["label"])}</a>')
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


def _detail_url_builder():
    detail = public_id_url("visits:detail", "visit_id")
    return lambda v: detail(v.public_id)


def profession_of(v: Visit) -> str:
    if v.staff_id:
        return v.staff.profession or STAFF_PROFESSION
    if v.professional_id:
        return v.professional.get_profession_display()
    return STAFF_PROFESSION


def actor_param(v: Visit) -> str:
    """The professional-week page's « qui » parameter for this visit's professional."""
    return f"s-{v.staff.public_id}" if v.staff_id else f"p-{v.professional.public_id}"


#: The columns of a page's visits when their professionals are already loaded
#: (``range_actors``): the visit, the person, the commune, the service; no join per visit to the
#: team member or professional who makes it.
PAGE_FIELDS = tuple(f for f in FIELDS if not f.startswith(("staff__", "professional__"))) + (
    "staff_id", "professional_id")


def range_actors(visits: QuerySet[Visit], *, crt_id: int | None = None) -> list[dict]:
    """Who visits in these visits, with their numbers of visits, sorted by name: each
    professional's key, name, profession (their title), ``category`` (the profession the
    filter groups them by: ``category_role`` in ``crt_id``, a partner's
    ``PROFESSION_CATEGORIES``), the loaded team member or professional (``obj``),
    ``loaded`` (their visits), ``count`` (cancelled ones aside) and ``untraced`` (finished, not
    traced); with ``crt_id`` (this CRT), ``elsewhere``: their account when it also works for
    another CRT (``elsewhere.works_elsewhere``), else None.

    One grouped query over the visits, without joins (one row per professional, bounded by the
    size of the team), then the names of those few people: two small queries."""
    now = timezone.now()
    rows = list(visits.order_by().values("staff_id", "professional_id").annotate(
        loaded=Count("pk"), count=Count("pk", filter=~Q(status=Visit.Status.CANCELLED)),
        untraced=Count("pk", filter=Q(status=Visit.Status.PLANNED, ends_at__lt=now))))
    staff_ids = [r["staff_id"] for r in rows if r["staff_id"]]
    pro_ids = [r["professional_id"] for r in rows if not r["staff_id"] and r["professional_id"]]
    users = get_user_model().objects.filter(pk__in=staff_ids).only(
        "public_id", "first_name", "last_name", "username", "profession")
    professionals = Professional.objects.filter(pk__in=pro_ids).select_related(
        "organization").only("public_id", "first_name", "last_name", "profession", "user_id",
                             "organization__name")
    if crt_id is not None:
        users = users.annotate(works_elsewhere=works_elsewhere(crt_id=crt_id, account="pk"),
                               category_role=category_role(crt_id))
        professionals = professionals.annotate(
            works_elsewhere=works_elsewhere(crt_id=crt_id, account="user_id"))
    staff = {u.pk: u for u in users} if staff_ids else {}
    pros = {p.pk: p for p in professionals} if pro_ids else {}
    actors = []
    for r in rows:
        counts = {"count": r["count"], "untraced": r["untraced"], "loaded": r["loaded"]}
        if r["staff_id"]:
            u = staff[r["staff_id"]]
            actors.append({"staff": u.pk, "obj": u, "who": u.get_full_name() or u.username,
                           "profession": u.profession or STAFF_PROFESSION,
                           "category": ROLE_CATEGORIES.get(getattr(u, "category_role", None),
                                                           STAFF_PROFESSION),
                           "elsewhere": u.pk if getattr(u, "works_elsewhere", False) else None,
                           **counts})
        elif r["professional_id"]:
            p = pros[r["professional_id"]]
            who = f"{p.first_name} {p.last_name}".strip()
            if p.organization_id:
                who += f" ({p.organization.name})"
            actors.append({"professional": p.pk, "obj": p, "who": who,
                           "profession": str(p.get_profession_display() or STAFF_PROFESSION),
                           "category": PROFESSION_CATEGORIES.get(
                               p.profession, str(p.get_profession_display() or "Autre")),
                           "elsewhere": p.user_id if getattr(p, "works_elsewhere", False)
                           else None, **counts})
    return sorted(actors, key=lambda a: (a["who"].casefold(), a.get("staff", 0),
                                         a.get("professional", 0)))


def actor_pages(actors: list[dict], *, per_page: int, visits_per_page: int) -> list[list[dict]]:
    """The professionals cut into pages, in their order: a page holds at most ``per_page``
    professionals and, unless one professional alone has more, at most ``visits_per_page``
    visits. A page's cost is bounded by both, however full each professional's day is."""
    pages: list[list[dict]] = []
    page: list[dict] = []
    visits = 0
    for actor in actors:
        if page and (len(page) == per_page or visits + actor["loaded"] > visits_per_page):
            pages.append(page)
            page, visits = [], 0
        page.append(actor)
        visits += actor["loaded"]
    if page:
        pages.append(page)
    return pages


def actors_q(actors: list[dict]) -> Q:
    """The visits of these professionals."""
    staff = [a["staff"] for a in actors if "staff" in a]
    pros = [a["professional"] for a in actors if "professional" in a]
    return Q(staff_id__in=staff) | Q(professional_id__in=pros)


def with_actors(visits: list[Visit], actors: list[dict]) -> list[Visit]:
    """Attach to each visit (loaded with ``PAGE_FIELDS``) its professional from ``actors``."""
    staff = {a["staff"]: a["obj"] for a in actors if "staff" in a}
    pros = {a["professional"]: a["obj"] for a in actors if "professional" in a}
    for v in visits:
        if v.staff_id:
            v.staff = staff[v.staff_id]
        elif v.professional_id:
            v.professional = pros[v.professional_id]
    return visits


def range_counts(actors: list[dict]) -> dict:
    """The number of visits (cancelled ones aside) and of finished untraced ones of these
    professionals (counted by the database in ``range_actors``)."""
    return {"count": sum(a["count"] for a in actors),
            "untraced": sum(a["untraced"] for a in actors)}


def _place_key(v: Visit):
    return "crt" if v.place == Place.CRT else v.beneficiary.commune_id


def _place_name(v: Visit) -> str:
    if v.place == Place.CRT:
        return "le CRT"
    commune = v.beneficiary.commune
    return commune.name if commune is not None else "commune inconnue"


def _travel_minutes(v: Visit) -> int:
    """How far the visit's place is from the CRT, in minutes (0 at the CRT or when unknown)."""
    if v.place == Place.CRT or v.beneficiary.commune is None:
        return 0
    return v.beneficiary.commune.travel_minutes or 0


def short_travel(visits: list[Visit], rule: Rule) -> dict[int, tuple[int, str]]:
    """Visits that start sooner after the end of the previous visit of the same professional in
    another place than ``rule.needed`` allows: {visit pk: (gap in minutes, from where)}.
    Overlaps (negative gaps) are double bookings, flagged apart."""
    flagged: dict[int, tuple[int, str]] = {}
    by_actor: dict[str, list[Visit]] = {}
    for v in visits:
        if v.status != Visit.Status.CANCELLED:
            by_actor.setdefault(v.actor_key, []).append(v)
    for group in by_actor.values():
        group.sort(key=lambda v: (v.starts_at, v.pk))
        for before, after in zip(group, group[1:], strict=False):
            gap = (after.starts_at - before.ends_at).total_seconds() / 60
            if (0 <= gap and _place_key(before) != _place_key(after)
                    and gap < rule.needed(_travel_minutes(before), _travel_minutes(after))):
                flagged[after.pk] = (int(gap), _place_name(before))
    return flagged


def _minutes(moment: datetime, day: date) -> int:
    local = timezone.localtime(moment)
    return (local.date() - day).days * 24 * 60 + local.hour * 60 + local.minute


def _lanes(blocks: list[dict]) -> int:
    """Place overlapping blocks of one row on separate lanes (greedy, by start)."""
    ends: list[int] = []
    for b in sorted(blocks, key=lambda b: (b["slot"], -b["span"])):
        free = [i for i, end in enumerate(ends) if end <= b["slot"]]
        if free:
            lane = free[0]
        else:
            lane = len(ends)
            ends.append(0)
        lane = min(lane, MAX_LANES - 1)
        ends[lane] = max(ends[lane], b["slot"] + b["span"])
        b["lane"] = lane
    return min(len(ends), MAX_LANES) or 1


def _placed(starts: datetime, ends: datetime, day: date) -> tuple[int, int]:
    """The first quarter-hour slot and the number of slots of [starts, ends) on ``day``."""
    first = max(0, _minutes(starts, day))
    last = min(SLOTS * SLOT_MINUTES, _minutes(ends, day))
    slot = min(first // SLOT_MINUTES, SLOTS - 1)
    span = max(1, min(SLOTS - slot, -(-(last - slot * SLOT_MINUTES) // SLOT_MINUTES)))
    return slot, span


def _block(v: Visit, day: date, *, url, overlaps, travel) -> dict:
    start, end = timezone.localtime(v.starts_at), timezone.localtime(v.ends_at)
    state = v.status
    # A visit done is drawn where it happened (its real times, from the phone when traced
    # offline); the planned times stay in its label.
    real = state == Visit.Status.DONE and v.actual_start and v.actual_end
    slot, span = _placed(v.actual_start if real else v.starts_at,
                         v.actual_end if real else v.ends_at, day)
    parts = [f"{start:%H:%M}–{end:%H:%M}", v.beneficiary.display_name, v.label,
             STATE_LABELS[state]]
    if real:
        parts[-1] += (f" {timezone.localtime(v.actual_start):%H:%M}–"
                      f"{timezone.localtime(v.actual_end):%H:%M}")
    if v.is_traced and v.traced_offline:
        parts.append("saisi hors ligne")
    overlap = v.pk in overlaps
    if overlap:
        parts.append("chevauchement")
    flag = travel.get(v.pk)
    if flag:
        parts.append(f"trajet trop court ({flag[0]} min depuis {flag[1]})")
    return {"url": url(v), "version": v.version, "slot": slot, "span": span, "lane": 0,
            "state": state,
            "overlap": overlap, "travel": bool(flag), "label": " · ".join(parts)}


def _busy_blocks(slots: list[Slot], day: date) -> list[dict]:
    """The hours the professional is busy in another CRT on ``day``, as neutral blocks: the
    hours and « Indisponible (autre CRT) », no link (``elsewhere``)."""
    begin = services.local_dt(day, "00:00")
    end = services.local_dt(day + timedelta(days=1), "00:00")
    blocks = []
    for starts, ends in slots:
        if starts < end and ends > begin:
            slot, span = _placed(starts, ends, day)
            label = (f"{timezone.localtime(starts):%H:%M}–{timezone.localtime(ends):%H:%M} · "
                     f"{BLOCK_LABEL}")
            blocks.append({"url": "", "version": 0, "slot": slot, "span": span, "lane": 0,
                           "state": ELSEWHERE, "overlap": False, "travel": False,
                           "label": label})
    return blocks


def _clashes(visits: list[Visit], busy: dict[str, list[Slot]]) -> set[int]:
    """The visits overlapping the hours their professional is busy in another CRT."""
    ids = set()
    for v in visits:
        if v.status in (Visit.Status.PLANNED, Visit.Status.DONE) and any(
                starts < v.ends_at and ends > v.starts_at
                for starts, ends in busy.get(v.actor_key, ())):
            ids.add(v.pk)
    return ids


def _day_title(day: date) -> str:
    return date_format(day, "l j F Y")


def team_days(visits: list[Visit], *, start: date, days: int, rule: Rule,
              profession: str = "", busy: dict[str, list[Slot]] | None = None) -> dict:
    """The team's timeline over ``days`` days from ``start``: per day, one row per professional
    with visits that day (filtered by profession). ``busy``: the hours each professional (by
    ``actor_key``) is busy in another CRT (``elsewhere.busy_slots``), shown on their rows."""
    url = _detail_url_builder()
    week_url = reverse("visits:professional_week")
    professions = sorted({profession_of(v) for v in visits})
    if profession:
        visits = [v for v in visits if profession_of(v) == profession]
    busy = busy or {}
    overlaps = services.overlapping_ids(visits) | _clashes(visits, busy)
    travel = short_travel(visits, rule)
    by_day: dict[date, dict[str, dict]] = {start + timedelta(days=i): {} for i in range(days)}
    for v in visits:
        day = timezone.localtime(v.starts_at).date()
        rows = by_day.get(day)
        if rows is None:
            continue
        row = rows.get(v.actor_key)
        if row is None:
            row = rows[v.actor_key] = {
                "who": v.who, "sub": profession_of(v), "blocks": [], "actor": actor_param(v),
                "url": f"{week_url}?qui={actor_param(v)}&semaine={day.isoformat()}"}
        row["blocks"].append(_block(v, day, url=url, overlaps=overlaps, travel=travel))
    sections = []
    for day, rows in by_day.items():
        for key, row in rows.items():
            row["blocks"] += _busy_blocks(busy.get(key, []), day)
        ordered = sorted(rows.values(), key=lambda r: r["who"])
        for row in ordered:
            row["lanes"] = _lanes(row["blocks"])
        sections.append({"date": day.isoformat(), "title": _day_title(day), "rows": ordered})
    live = [v for v in visits if v.status != Visit.Status.CANCELLED]
    return {"start": start.isoformat(), "days": days, "profession": profession,
            "professions": professions, "rule": rule.describe(), "sections": sections,
            "count": len(live), "overlaps": len(overlaps), "travel": len(travel),
            "untraced": sum(1 for v in live if v.status == Visit.Status.PLANNED
                            and v.ends_at < timezone.now())}


def week_rows(visits: list[Visit], *, monday: date, rule: Rule,
              busy: list[Slot] | None = None) -> dict:
    """One professional's week: one row per day. ``busy``: the hours this professional is busy
    in another CRT (``elsewhere.busy_slots``), shown on each day."""
    url = _detail_url_builder()
    busy = busy or []
    overlaps = services.overlapping_ids(visits) | _clashes(
        visits, {v.actor_key: busy for v in visits})
    travel = short_travel(visits, rule)
    rows = [{"who": date_format(monday + timedelta(days=i), "l j F"), "sub": "", "url": "",
             "actor": "", "blocks": []}
            for i in range(7)]
    for v in visits:
        index = (timezone.localtime(v.starts_at).date() - monday).days
        if 0 <= index < 7:
            rows[index]["blocks"].append(_block(v, monday + timedelta(days=index), url=url,
                                                overlaps=overlaps, travel=travel))
    for index, row in enumerate(rows):
        row["blocks"] += _busy_blocks(busy, monday + timedelta(days=index))
        row["lanes"] = _lanes(row["blocks"])
    live = [v for v in visits if v.status != Visit.Status.CANCELLED]
    return {"start": monday.isoformat(), "days": 7, "rule": rule.describe(),
            "sections": [{"date": monday.isoformat(), "title": "", "rows": rows}],
            "count": len(live), "overlaps": len(overlaps), "travel": len(travel),
            "list": _week_list(visits, monday=monday, url=url, overlaps=overlaps,
                               travel=travel, busy=busy)}


def _week_list(visits: list[Visit], *, monday: date, url, overlaps, travel,
               busy: list[Slot]) -> list[dict]:
    """The same week as a list, day by day (a phone's screen, where the timeline's blocks are
    too narrow to read): each visit's times, person, service, state and page, and the hours
    busy in another CRT, in order."""
    days = [{"title": date_format(monday + timedelta(days=i), "l j F"), "items": []}
            for i in range(7)]
    for v in visits:
        index = (timezone.localtime(v.starts_at).date() - monday).days
        if not 0 <= index < 7:
            continue
        start, end = timezone.localtime(v.starts_at), timezone.localtime(v.ends_at)
        state = v.get_status_display()
        if v.status == Visit.Status.DONE and v.actual_start and v.actual_end:
            state += (f" {timezone.localtime(v.actual_start):%H:%M}–"
                      f"{timezone.localtime(v.actual_end):%H:%M}")
        flag = travel.get(v.pk)
        days[index]["items"].append({
            "at": v.starts_at, "time": f"{start:%H:%M}–{end:%H:%M}", "url": url(v),
            "person": v.beneficiary.display_name, "service": v.label, "status": v.status,
            "state": state, "overlap": v.pk in overlaps,
            "travel": f"trajet trop court ({flag[0]} min depuis {flag[1]})" if flag else ""})
    for index, day in enumerate(days):
        begin = services.local_dt(monday + timedelta(days=index), "00:00")
        end = services.local_dt(monday + timedelta(days=index + 1), "00:00")
        for starts, ends in busy:
            if starts < end and ends > begin:
                day["items"].append({
                    "at": starts, "url": "", "person": "", "service": "",
                    "status": ELSEWHERE, "state": BLOCK_LABEL, "overlap": False, "travel": "",
                    "time": f"{timezone.localtime(starts):%H:%M}–"
                            f"{timezone.localtime(ends):%H:%M}"})
        day["items"].sort(key=lambda item: item["at"])
    return days


def css() -> str:
    """The generated placement classes of ``static/maillage/css/timeline.css``
    (``uv run python -c 'from maillage.visits.timeline import css; print(css())'``)."""
    lines = []
    for i in range(SLOTS):
        lines.append(f".tl-s-{i}{{grid-column-start:{i + 1}}}")
    for i in range(1, SLOTS + 1):
        lines.append(f".tl-d-{i}{{grid-column-end:span {i}}}")
    for i in range(MAX_LANES):
        lines.append(f".tl-l-{i}{{grid-row:{i + 1}}}")
    for i in range(1, MAX_LANES + 1):
        lines.append(f".tl-n-{i}{{grid-template-rows:repeat({i},1.5rem)}}")
    return "\n".join(lines) + "\n"
