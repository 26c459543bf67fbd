"""The demo tells a consistent story: no one is at two homes at once (visits traced, calls
taken), and what it says of a person agrees with their sex."""

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.demo import DEMO_PASSWORD, MEN_FIRST_NAMES, agreed

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


def said_of_the_other_sex(*templates) -> dict[str, str]:
    """For each text the demo says of a person: its form said of the other sex (when it
    differs) → the sex it is said of."""
    other = {}
    for text in templates:
        woman, man = agreed(text, "F", coordinator="x"), agreed(text, "M", coordinator="x")
        if woman != man:
            other[woman], other[man] = "F", "M"
    return other


def test_what_is_said_of_a_person_agrees_with_their_sex(demo, db, client):
    """« Retrouvée assise au sol » was written of a man: the notes, calls, referrals, stays and
    DLUs of the demo say each person in their sex (the notebook of a man shows « Retrouvé
    assis »)."""
    from maillage.admissions.demo import REASONS
    from maillage.admissions.models import Referral
    from maillage.beneficiaries.models import Beneficiary
    from maillage.care import demo as care
    from maillage.care.models import LiaisonNote, Message
    from maillage.lodging.demo import NOTES as STAY_NOTES
    from maillage.lodging.models import Stay
    from maillage.oncall.demo import SCENARIOS
    from maillage.oncall.demo_dlu import COMMUNICATION
    from maillage.oncall.models import Call, EmergencyFile

    said = said_of_the_other_sex(
        *(text for _, _, text in care.NOTES), *(text for _, text, *_ in care.TEAM_THREAD),
        *(text for s in SCENARIOS for text in (s[1], s[2], s[4])), *REASONS,
        *STAY_NOTES.values(), *COMMUNICATION)
    sex = dict(Beneficiary.objects.values_list("pk", "sex"))
    texts = [
        *LiaisonNote.objects.values_list("beneficiary_id", "text"),
        *Message.objects.values_list("conversation__beneficiary_id", "text"),
        *((b, t) for b, *ts in Call.objects.values_list(
            "beneficiary_id", "assessment", "advice", "actions") for t in ts),
        *Referral.objects.filter(beneficiary__isnull=False).values_list(
            "beneficiary_id", "reason"),
        *Stay.objects.filter(beneficiary__isnull=False).values_list("beneficiary_id", "notes"),
        *EmergencyFile.objects.values_list("beneficiary_id", "communication"),
    ]
    of_a_woman = re.compile(r"\b(Retrouvée|Relevée|recouchée|Rassurée|apaisée|Raccompagnée|"
                            r"Contente|seule|Malentendante|Anxieuse|chez elle|face à elle|"
                            r"Mme a refusé)\b")
    assert [(b, t) for b, t in texts if sex[b] == "M" and of_a_woman.search(t)] == []
    checked = [(b, t) for b, t in texts if t in said]
    assert len(checked) > 500 and {said[t] for _, t in checked} == {"F", "M"}
    wrong = [(b, t) for b, t in checked if said[t] != sex[b]]
    assert wrong == []

    man = (LiaisonNote.objects.filter(beneficiary__sex="M", category="fall",
                                      beneficiary__crt__name="CRT Anjou Bleu")
           .order_by("-created_at").first().beneficiary)
    client.post(reverse("core:login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    page = visible_text(client.get(reverse("care:notes", kwargs={"public_id": man.public_id}),
                                   {"categorie": "fall"}))
    assert "Retrouvé assis au sol" in page and "Retrouvée" not in page


def test_the_staff_are_said_in_their_sex(demo, db):
    """« Didier Brault — Aide-soignante » was shown: the titles of the demo's staff and their
    roles in the care teams agree with their first names."""
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.core.models import Membership

    titles = {("Infirmière", "Infirmier"), ("Aide-soignante", "Aide-soignant"),
              ("Assistante de soins en gérontologie (ASG)",
               "Assistant de soins en gérontologie (ASG)"),
              ("Accompagnante éducative et sociale (AES)",
               "Accompagnant éducatif et social (AES)")}
    said = {form: sex for pair in titles for form, sex in zip(pair, "FM", strict=True)}
    said |= {"Aide-soignante": "F", "Aide-soignant": "M",
             "Infirmière du CRT, référente": "F", "Infirmier du CRT, référent": "M"}
    members = [(m.user.first_name, m.title)
               for m in Membership.objects.select_related("user") if m.title in said]
    members += [(m.user.first_name, m.role.removesuffix(" (passages)"))
                for m in CareTeamMember.objects.filter(user__isnull=False).select_related(
                    "user") if m.role.removesuffix(" (passages)") in said]
    assert {said[title] for _, title in members} == {"F", "M"}
    wrong = [(first, title) for first, title in members
             if said[title] != ("M" if first in MEN_FIRST_NAMES else "F")]
    assert wrong == []
