"""The cards of « Mes passages », built in Python rather than by a template included once per
visit: for a day of a dozen visits, the include was a quarter of the page's time (a template
node costs tens of microseconds; a card had about forty), and it is the page the professionals
open most. Every value goes through ``format_html``, which escapes it as a template would."""

from datetime import date

from django.utils import dateformat, timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from maillage.core.reversing import public_id_url

from . import services
from .models import Visit

STATUS_BADGES = {Visit.Status.DONE: "text-bg-success", Visit.Status.NOT_DONE: "text-bg-danger"}

CARD = (
    '<section class="card visit-card visit-{status} mb-3" aria-labelledby="visit-{id}">\n'
    '  <div class="card-body">\n'
    '    <{heading} class="h5 card-title mb-1" id="visit-{id}"><a href="{detail}">{hours} · '
    '{name}</a></{heading}>\n'
    '    <p class="mb-1">{two}{label}{where}</p>\n'
    '{instructions}'
    '    <p class="mb-2"><span class="badge {badge}">{state}</span>{state_more}</p>\n'
    '    <div class="d-flex flex-wrap gap-2">\n'
    '{actions}'
    '      <a class="btn btn-outline-secondary flex-fill" href="{notes}">Cahier de liaison'
    '<span class="visually-hidden"> de {name}</span></a>\n'
    '    </div>\n'
    '  </div>\n'
    '</section>\n'
)
TRACE_BUTTONS = (
    '      <a class="btn btn-success flex-fill" href="{done}">Réalisé<span class="visually-hidden">'
    ' : {name} à {at}</span></a>\n'
    '      <a class="btn btn-outline-danger flex-fill" href="{not_done}">Non réalisé'
    '<span class="visually-hidden"> : {name} à {at}</span></a>\n'
)


def my_day_cards(visits: list[Visit], day: date, heading: str) -> None:
    """Sets ``v.card`` on each visit of ``day``'s « Mes passages »: its hours (with the day when
    it is not ``day``'s: a night visit after midnight), the person and where, its state, and
    its links — « Réalisé » and « Non réalisé » once it may be traced (an hour before its
    planned start, ``services.TRACE_AHEAD``), before that the moment it may. ``heading``: the
    card's title element (``h2``, or ``h3`` under the day's parts)."""
    if heading not in ("h2", "h3"):
        raise ValueError(heading)
    now = timezone.now()
    detail = public_id_url("visits:detail", "visit_id")
    done = public_id_url("visits:trace_done", "visit_id")
    not_done = public_id_url("visits:trace_not_done", "visit_id")
    notes = public_id_url("care:notes", "public_id")
    for v in visits:
        b = v.beneficiary
        name = b.display_name
        starts = timezone.localtime(v.starts_at)
        at = f"{starts:%H:%M}"
        hours = f"{at}–{timezone.localtime(v.ends_at):%H:%M}"
        if starts.date() != day:
            hours += f" ({date_format(starts, 'l d/m')})"
        if v.status == Visit.Status.DONE:
            state_more = (f" {timezone.localtime(v.actual_start):%H:%M}–"
                          f"{timezone.localtime(v.actual_end):%H:%M}")
        elif v.status == Visit.Status.NOT_DONE:
            state_more = format_html(" {}", v.get_not_done_reason_display())
        else:
            state_more = ""
        actions = ""
        if v.status == Visit.Status.PLANNED:
            opens = v.starts_at - services.TRACE_AHEAD
            if opens > now:
                actions = format_html(
                    '      <p class="small text-body-secondary mb-0 w-100">Se trace à partir du '
                    '{}.</p>\n', dateformat.format(timezone.localtime(opens), "d/m à H:i"))
            else:
                actions = format_html(TRACE_BUTTONS, done=done(v.public_id),
                                      not_done=not_done(v.public_id), name=name, at=at)
        v.card = format_html(
            CARD, status=v.status, id=v.public_id, heading=mark_safe(heading),  # noqa: S308
            detail=detail(v.public_id), hours=hours, name=name,
            two=mark_safe('<span class="badge text-bg-warning">À deux</span> ')  # noqa: S308
            if v.two_person else "",
            label=v.label,
            where=format_html(" — {}, {}", b.address, b.commune.name if b.commune_id else "")
            if v.place == "home" else " — au CRT",
            instructions=format_html('    <p class="mb-1 small">Consignes : {}</p>\n',
                                     v.instructions) if v.instructions else "",
            badge=STATUS_BADGES.get(v.status, "text-bg-secondary"),
            state=v.get_status_display(), state_more=state_more, actions=actions,
            notes=notes(b.public_id))

