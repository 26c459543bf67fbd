"""The demo tells a consistent story: no one is at two homes at once (visits traced, calls
taken)."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.demo import DEMO_PASSWORD

from .helpers import visible_text


@pytest.fixture(scope="module")
def demo(demo_module):
    """The demo, restored once for this module's read-only tests, removed afterwards."""
    return demo_module


def overlapping(spans) -> list[tuple]:
    """The pairs of ``(start, end, label)`` spans of one person that overlap."""
    found, latest = [], None
    for span in sorted(spans, key=lambda s: (s[0], s[1])):
        if latest is not None and span[0] < latest[1]:
            found.append((latest[2], span[2]))
        if latest is None or span[1] > latest[1]:
            latest = span
    return found


def local(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m %H:%M}"


def test_no_one_traced_two_visits_at_once(demo, db):
    """The visits done, at their traced times (what « Réalisé » checks since a trace may no
    longer overlap another done visit of the same professional): never two at once for one
    professional, care aides and directory professionals alike, in either CRT."""
    from maillage.visits.models import Visit

    spans = defaultdict(list)
    done = Visit.objects.filter(status=Visit.Status.DONE).values_list(
        "staff_id", "professional_id", "actual_start", "actual_end", "beneficiary_id")
    for staff, professional, start, end, person in done:
        spans[("staff", staff) if staff else ("professional", professional)].append(
            (start, end, f"{local(start)}–{local(end)} (personne {person})"))
    assert len(spans) > 10 and sum(len(s) for s in spans.values()) > 10_000
    clashes = {who: found[:3] for who, s in spans.items() if (found := overlapping(s))}
    assert clashes == {}


def test_no_one_is_planned_at_two_homes_at_once(demo, db, client):
    """Nor in the plans, over both CRTs (the night nurse works for both), the way to the next
    home included; but for the double booking the demo makes on purpose for the team's
    calendar to show. The team's day says so: no « se chevauchent »."""
    from maillage.visits.models import Visit
    from maillage.visits.services import overlapping_ids

    visits = list(Visit.objects.filter(status__in=[Visit.Status.PLANNED, Visit.Status.DONE])
                  .exclude(instructions="Remplacement demandé par la famille")
                  .only("staff_id", "professional_id", "starts_at", "ends_at", "status"))
    assert overlapping_ids(visits) == set()
    night = Visit.objects.filter(staff__username="night_nurse",
                                 status=Visit.Status.PLANNED)
    assert night.values("crt").distinct().count() == 2
    assert overlapping_ids(list(night)) == set()

    client.post(reverse("core:login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    for days in (1, 8):
        day = timezone.localdate() - timedelta(days=days)
        text = visible_text(client.get(reverse("visits:team_day"), {"jour": day.isoformat()}))
        assert "passage(s)" in text and "se chevauchent" not in text, day


def test_no_one_takes_two_calls_at_once(demo, db):
    """The night nurse answers the nights of both CRTs: one call after the other, from the
    ring to the call written and closed — last night's too, closed last night (not when the
    demo was loaded)."""
    from maillage.oncall.models import Call

    spans = defaultdict(list)
    for call in Call.objects.select_related("answered_by", "crt"):
        assert call.closed_at < call.received_at + timedelta(hours=2), call
        spans[call.answered_by.username].append(
            (call.received_at, call.closed_at, f"{call.crt.name} {local(call.received_at)}"))
    assert len(spans["night_nurse"]) > 20
    clashes = {who: found for who, s in spans.items() if (found := overlapping(s))}
    assert clashes == {}
    yesterday = timezone.localdate() - timedelta(days=1)
    last_night = Call.objects.filter(answered_by__username="night_nurse",
                                     received_at__date__gte=yesterday)
    assert last_night.values("crt").distinct().count() == 2
