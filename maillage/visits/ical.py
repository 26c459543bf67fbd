"""The iCalendar feed of one professional's visits (RFC 5545, through the icalendar library).

A calendar application keeps this feed on a phone or a computer outside the CRT: it carries as
little as possible — the person's title and initial, the commune, the service — and a link back
to Maillage for the rest (address, key-box code, notes stay behind the login)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from maillage.beneficiaries.access import planning_visible_beneficiaries
from maillage.core.models import MembershipRole

from .models import Visit
from .selectors import by_keys, mine_ids

PAST_DAYS, FUTURE_DAYS = 30, 60


def _short_name(b) -> str:
    title = "Mme" if b.sex == "F" else "M."
    name = (b.used_name or b.birth_name).strip()
    return f"{title} {name[:1].upper()}."


def feed(*, crt, user, base_url: str) -> bytes:
    roles = frozenset(MembershipRole.objects.filter(
        membership__crt=crt, membership__user=user, membership__is_active=True)
        .values_list("role", flat=True))
    now = timezone.now()
    # The user's visits of the window first (two index scans), then those of them the user
    # may see: the feed reads the user's visits, not every visit of the CRT in 90 days.
    ids = mine_ids(crt=crt, user=user, start=now - timedelta(days=PAST_DAYS),
                   end=now + timedelta(days=FUTURE_DAYS))
    seen = planning_visible_beneficiaries(crt=crt, user=user, roles=roles)
    visits = by_keys(Visit.objects.filter(crt=crt, beneficiary__in=seen)
                     .exclude(status=Visit.Status.CANCELLED)
                     .select_related("beneficiary__commune", "service"), ids)
    cal = Calendar()
    cal.add("prodid", "-//Maillage//Passages//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Mes passages — {crt.name}")
    cal.add("x-wr-timezone", "Europe/Paris")
    for v in visits:
        event = Event()
        event.add("uid", f"{v.public_id}@maillage")
        event.add("dtstamp", v.updated_at)
        event.add("dtstart", v.starts_at)
        event.add("dtend", v.ends_at)
        event.add("summary", f"{v.label} — {_short_name(v.beneficiary)}")
        event.add("location", v.get_place_display() if v.place != "home"
                  else f"Domicile, {v.beneficiary.commune.name}")
        event.add("status", "CONFIRMED" if v.status != Visit.Status.NOT_DONE else "CANCELLED")
        event.add("url", base_url.rstrip("/") + reverse("visits:detail",
                                                        kwargs={"visit_id": v.public_id}))
        cal.add_component(event)
    return cal.to_ical()
