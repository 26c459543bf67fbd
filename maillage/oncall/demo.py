"""Demo data of the on-call service: the organisation (CRT Anjou Bleu: care aides by day,
nights with the night nurse shared between partner EHPADs; CRT Baugeois: internal, its nights
held by the same night nurse, who works for it too), the
escalation chain, a rota from the CRTs' opening (the 14 months of history, bulk-inserted) over
the next 30 days with one deliberate gap (a Saturday night with nobody to travel), 13 months of
calls, each answered by who was on call then — most at night — with call-outs, advice, a few
escalations, two hospitalisations, and the DLUs."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.core.demo import (
    HISTORY_DAYS,
    DemoContext,
    agreed,
    audit_event,
    insert_rows,
    keep_dates,
)
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.territory.models import Organization
from maillage.visits.models import Visit

from . import services
from .models import Arrangement, Call, Escalation, EscalationContact, Shift
from .rota import NIGHT_END, NIGHT_START, preset_bounds

#: (level, label, phone, reachable hours or None for round the clock)
CONTACTS = [
    (EscalationContact.Level.NURSE, "Infirmière d'astreinte (relais)", "06 39 98 20 01", None),
    (EscalationContact.Level.DOCTOR, "Médecin coordonnateur du CRT (avis)", "06 39 98 20 02",
     (time(8, 0), time(20, 0))),
    (EscalationContact.Level.SAMU, "SAMU – centre 15", "15", None),
    (EscalationContact.Level.FIREFIGHTERS, "Pompiers", "18", None),
]

# (reason, assessment, advice, call-out?, actions, outcome): said of the person (``agreed``)
SCENARIOS = [
    ("fall", "Chute dans la salle de bain, pas de perte de connaissance, ne peut se relever.",
     "", True, "Relevé{e} avec l'aide du voisin, examen : pas de douleur à la hanche, "
     "recouché{e}.",
     "stayed_home"),
    ("anxiety", "Réveil angoissé, ne trouve plus son fils.", "Rassuré{e} au téléphone, "
     "rappel 20 minutes plus tard : apaisé{e}.", False, "", "stayed_home"),
    ("technical", "Déclenchement accidentel du médaillon.", "", False, "", "stayed_home"),
    ("fall", "Chute près du lit, douleur du poignet.", "", True,
     "Relevé{e}, poignet immobilisé, appel du 15 pour avis : consultation le lendemain.",
     "stayed_home"),
    ("wandering", "Sortie de nuit signalée par une voisine.", "", True,
     "Raccompagné{e} chez {lui}, porte sécurisée, fille prévenue.", "stayed_home"),
    ("discomfort", "Malaise, sueurs, glycémie capillaire à 0,55 g/l.", "Resucrage guidé.",
     True, "Resucrage, surveillance une heure, glycémie de contrôle correcte.",
     "stayed_home"),
    ("pain", "Douleurs abdominales depuis la soirée.", "", True,
     "Examen, appel du 15 : transport aux urgences.", "hospitalised"),
]


#: Last night's two calls about the same person, in each CRT (hour, minute): the night nurse
#: answers in both CRTs, one call after the other.
LAST_NIGHT = {"anjou_bleu": [(22, 35), (23, 50)], "baugeois": [(20, 40), (21, 50)]}
#: The on-call telephones: the care aide's by day, the nurse's for advice, the night's.
DAY_PHONE, NURSE_PHONE, NIGHT_PHONE = "06 39 98 20 10", "06 39 98 20 01", "06 39 98 20 20"
#: A call is written (and closed) this long after it is over.
WRITTEN_AFTER = timedelta(minutes=5)


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _busy_until(answered, left):
    """When a call's responder is free again: once it is written, after the call-out if any."""
    return (left or answered) + WRITTEN_AFTER + timedelta(minutes=1)


def _visiting(user, start, end) -> bool:
    """Whether ``user`` was at a home then, on one of her visits (as traced when done)."""
    return Visit.objects.filter(staff=user, status__in=[Visit.Status.PLANNED,
                                                        Visit.Status.DONE]).filter(
        Q(starts_at__lt=end, ends_at__gt=start)
        | Q(actual_start__lt=end, actual_end__gt=start)).exists()


def _last_night(today, times: list[tuple[int, int]]) -> list[tuple]:
    """Last night's two calls (``SCENARIOS[0]`` with a call-out, then ``SCENARIOS[1]``) at
    ``times``: the scenario, received, answered, departed, arrived and left."""
    yesterday = today - timedelta(days=1)
    calls = []
    for (hour, minute), scenario in zip(times, SCENARIOS[:2], strict=True):
        received = timezone.make_aware(datetime.combine(yesterday, time(hour, minute)))
        answered = received + timedelta(seconds=40)
        call_out = scenario[3]
        departed = answered + timedelta(minutes=5) if call_out else None
        arrived = departed + timedelta(minutes=22) if call_out else None
        left = arrived + timedelta(minutes=30) if call_out else None
        calls.append((scenario, received, answered, departed, arrived, left))
    return calls


def load(ctx: DemoContext) -> None:
    today = timezone.localdate()
    # Each responder's calls (received, free again), over both CRTs: no one takes two calls at
    # once. Last night's are set first; the older ones make way.
    busy: dict[int, list[tuple]] = defaultdict(list)
    night_nurse = _user("night_nurse")
    rotas = {key: _Rota(crt, night_nurse, today) for key, crt in ctx.crts.items()}
    for key in ctx.crts:
        for _scenario, received, answered, *_, left in _last_night(today, LAST_NIGHT[key]):
            responder = rotas[key].answering(received)
            busy[responder.pk].append((received, _busy_until(answered, left)))
    for key, crt in ctx.crts.items():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        for level, label, phone, hours in CONTACTS:
            start, end = hours or (None, None)
            services.contact_add(actor=coordinator, crt=crt, level=level, label=label,
                                 phone=phone, available_from=start, available_until=end)
        ehpad = Organization.objects.filter(crt=crt, kind="ehpad").first()
        if key == "anjou_bleu" and ehpad is not None:
            arrangement = services.arrangement_save(
                actor=coordinator, crt=crt, model=Arrangement.Model.SHARED_NIGHT_NURSE,
                partner=ehpad, start_date=crt.opened_on, end_date=None,
                agreement_signed_on=crt.opened_on - timedelta(days=16),
                carrier_written_consent=True,
                yearly_contribution="18000.00",
                scope="Levée de doute de nuit pour les bénéficiaires du volet 2 des communes "
                      "couvertes par le dispositif IDE de nuit.",
                notes="Jour : une aide-soignante du CRT répond et se déplace, l'infirmière du "
                      "CRT en recours. Nuit (20 h – 8 h) : l'IDE de nuit mutualisé répond et "
                      "se déplace.")
        else:
            arrangement = services.arrangement_save(
                actor=coordinator, crt=crt, model=Arrangement.Model.INTERNAL,
                partner=None, start_date=crt.opened_on, end_date=None,
                agreement_signed_on=None, carrier_written_consent=False,
                yearly_contribution=None, scope="",
                notes="Jour : AS/ASG et IDE du CRT. Nuit (20 h – 8 h) : l'IDE de nuit du CRT "
                      "répond et se déplace.")
        _rota(crt, coordinator, arrangement, rotas[key], today, gap=key == "anjou_bleu")
        _calls(ctx, crt, rotas[key], today, times=LAST_NIGHT[key], busy=busy)
    from . import demo_dlu

    demo_dlu.load(ctx)


class _Rota:
    """Who holds which turn of the rota, every day from the CRT's opening to a month from now:
    by day a care aide who answers and travels (one after the other) and a nurse of the CRT
    for advice; the nights (20:00 → 08:00) the night nurse if she works for the CRT (she holds
    the nights of both CRTs: the care aides, who have their rounds by day, never rest after a
    night in the middle of them), else a care aide. The same for the history (``_history``)
    and the coming days, and for the calls (``answering``)."""

    def __init__(self, crt, night_nurse, today):
        self.aides = [m.user for m in Membership.objects.filter(
            crt=crt, roles__role=Role.CARE_AIDE).select_related("user")
            .order_by("user__username")]
        self.nurses = [m.user for m in Membership.objects.filter(
            crt=crt, roles__role=Role.NURSE).select_related("user")
            .order_by("user__username") if m.user.username != "night_nurse"]
        self.nights = night_nurse if night_nurse is not None and night_nurse.memberships.filter(
            crt=crt).exists() else None
        #: The rota's first day in the coming days' reckoning: yesterday.
        self.start = today - timedelta(days=1)

    def _offset(self, day) -> int:
        return (day - self.start).days

    def day_aide(self, day):
        return self.aides[self._offset(day) % len(self.aides)]

    def nurse(self, day):
        return self.nurses[self._offset(day) % len(self.nurses)] if self.nurses else None

    def night(self, day):
        """Who holds the night from ``day``'s evening."""
        if self.nights is not None:
            return self.nights
        return self.aides[(self._offset(day) + 1) % len(self.aides)]

    def answering(self, moment):
        """Who answers a call received at ``moment``: the day's care aide, or the night's
        holder (a night belongs to the day it starts)."""
        local = timezone.localtime(moment)
        if NIGHT_END <= local.time() < NIGHT_START:
            return self.day_aide(local.date())
        day = local.date() if local.time() >= NIGHT_START else local.date() - timedelta(days=1)
        return self.night(day)


def _rota(crt, coordinator, arrangement, rota: _Rota, today, *, gap: bool) -> None:
    """The coming days' rota, written as the coordinator does (``shifts_add``); the history's
    before it (``_history``)."""
    _history(crt, coordinator, arrangement, rota, first=crt.opened_on, last=rota.start)
    # The deliberate gap: the second Saturday night from now, nobody to travel.
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    for offset in range(32):
        day = rota.start + timedelta(days=offset)
        services.shifts_add(actor=coordinator, crt=crt, preset="day", first_day=day,
                            staff=rota.day_aide(day), duty="answer_travel",
                            phone=DAY_PHONE)
        if rota.nurses:
            services.shifts_add(actor=coordinator, crt=crt, preset="day", first_day=day,
                                staff=rota.nurse(day), duty="nurse", phone=NURSE_PHONE)
        night_duty = "answer" if gap and day == saturday else "answer_travel"
        if rota.nights is not None:
            shared = arrangement.model == "shared_night_nurse"
            services.shifts_add(actor=coordinator, crt=crt, preset="night", first_day=day,
                                staff=rota.nights, duty=night_duty,
                                arrangement=arrangement if shared else None,
                                phone=NIGHT_PHONE)
        else:
            services.shifts_add(actor=coordinator, crt=crt, preset="night", first_day=day,
                                staff=rota.night(day), duty=night_duty, phone=DAY_PHONE)


def _history(crt, coordinator, arrangement, rota: _Rota, *, first, last) -> None:
    """The rota of the days from ``first`` (the CRT's opening, from midnight: the night before
    it too) to the day before ``last``, as the coming days' (every day and night, no gap),
    bulk-inserted: each month's entered by the coordinator a fortnight
    before it, one audit event per person and role of the month (what ``shifts_add`` writes
    for a series of turns)."""
    shared = arrangement.model == "shared_night_nurse"
    shifts, events = [], []
    opened, day = first, first - timedelta(days=1)
    while day < last:
        month = max(day, opened).replace(day=1)
        month_end = min((month + timedelta(days=32)).replace(day=1), last)
        entered = timezone.make_aware(datetime.combine(month - timedelta(days=14), time(16, 0)))
        series: dict[tuple, list[Shift]] = defaultdict(list)
        while day < month_end:
            turns = []
            if day >= opened:  # the eve's night: the opening day's first hours
                turns.append(("day", rota.day_aide(day), "answer_travel", None, DAY_PHONE))
                if rota.nurses:
                    turns.append(("day", rota.nurse(day), "nurse", None, NURSE_PHONE))
            if rota.nights is not None:
                turns.append(("night", rota.nights, "answer_travel",
                              arrangement if shared else None, NIGHT_PHONE))
            else:
                turns.append(("night", rota.night(day), "answer_travel", None, DAY_PHONE))
            for preset, staff, duty, within, phone in turns:
                start, end = preset_bounds(day, preset)
                shift = Shift(crt=crt, staff=staff, duty=duty, arrangement=within,
                              starts_at=start, ends_at=end, phone=phone,
                              created_by=coordinator, updated_by=coordinator,
                              created_at=entered, updated_at=entered)
                series[(staff.pk, duty)].append(shift)
                shifts.append(shift)
            day += timedelta(days=1)
        events += [audit_event(
            actor=coordinator, action="oncall_shift.added", crt=crt, at=entered,
            details={"tours": len(group), "qui": group[0].who,
                     "rôle": group[0].get_duty_display(),
                     "du": f"{timezone.localtime(group[0].starts_at):%d/%m/%Y %H:%M}"})
            for group in series.values()]
    with keep_dates(Shift):
        insert_rows(Shift, shifts)
    insert_rows(AuditEvent, events)


def _calls(ctx, crt, rota: _Rota, today, *, times: list[tuple[int, int]],
           busy: dict[int, list[tuple]]) -> None:
    """About 13 months of calls, two thirds at night; written directly with the services, then
    closed. The two most recent hospitalisations are kept (« two hospitalisations »). Each is
    answered by who was on call then (``rota``: the day's care aide, the night's nurse). A call
    that would come while its responder is on another (``busy``, in either CRT) or at a home
    for a visit came the day before. Then last night's two calls, at ``times``."""
    rng = ctx.rng
    stays = list(Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
                 .select_related("beneficiary").order_by("pk"))
    if not stays:
        return
    count = 56 if len(stays) > 20 else 16
    hospitalised = 0
    for index in range(count):
        day = today - timedelta(days=rng.randint(1, HISTORY_DAYS - 30))
        at_night = index % 3 != 0
        hour = rng.choice([21, 22, 23, 0, 1, 2, 3, 4, 5, 6]) if at_night else rng.randint(9, 19)
        received = timezone.make_aware(datetime.combine(day, time(hour, rng.randint(0, 59))))
        reason, assessment, advice, call_out, actions, outcome = SCENARIOS[
            index % len(SCENARIOS)]
        if outcome == "hospitalised":
            hospitalised += 1
            if hospitalised > 2:
                outcome, actions = "stayed_home", "Examen rassurant, surveillance."
        b = stays[rng.randrange(len(stays))].beneficiary
        assessment, advice, actions = (agreed(text, b.sex) for text in (assessment, advice,
                                                                        actions))
        answered = received + timedelta(seconds=rng.randint(15, 140))
        departed = answered + timedelta(minutes=rng.randint(3, 8)) if call_out else None
        arrived = departed + timedelta(minutes=rng.randint(12, 35)) if call_out else None
        left = arrived + timedelta(minutes=rng.randint(20, 50)) if call_out else None
        responder = rota.answering(received)
        while any(start < _busy_until(answered, left) and received < end
                  for start, end in busy[responder.pk]) or _visiting(
                      responder, received, _busy_until(answered, left)):
            received, answered, departed, arrived, left = (
                t - timedelta(days=1) if t is not None else None
                for t in (received, answered, departed, arrived, left))
            responder = rota.answering(received)
        busy[responder.pk].append((received, _busy_until(answered, left)))
        ctx.clock((left or answered) + WRITTEN_AFTER)  # written when it was over
        call = services.call_create(
            actor=responder, crt=crt, source=Call.Source.TELEASSISTANCE if index % 5
            else Call.Source.CAREGIVER, beneficiary=b, reason=reason, received_at=received,
            answered_at=answered, assessment=assessment, advice=advice, call_out=call_out,
            departed_at=departed, arrived_at=arrived, left_at=left, actions=actions,
            outcome=outcome, hospital="CHU d'Angers, urgences" if outcome == "hospitalised"
            else "", follow_up="Prévenir le médecin traitant ; revoir l'aménagement de la "
                               "salle de bain." if reason == "fall" else "")
        if "15" in actions:
            Escalation.objects.create(crt=crt, call=call, to=Escalation.To.SAMU,
                                      at=(arrived or answered) + timedelta(minutes=10),
                                      notes="Avis du médecin régulateur")
        services.call_close(actor=responder, call=call, version=call.version)
    # Last night, for the coordinator's morning: two calls about the same person (the second
    # call's screen lists the first one, and that person's earlier calls of the month).
    b = stays[0].beneficiary
    for scenario, received, answered, departed, arrived, left in _last_night(today, times):
        responder = rota.answering(received)
        reason, assessment, advice, call_out, actions, outcome = scenario
        assessment, advice, actions = (agreed(text, b.sex) for text in (assessment, advice,
                                                                        actions))
        ctx.clock((left or answered) + WRITTEN_AFTER)  # written when it was over
        call = services.call_create(
            actor=responder, crt=crt, source=Call.Source.TELEASSISTANCE,
            beneficiary=b, reason=reason,
            received_at=received, answered_at=answered, assessment=assessment, advice=advice,
            call_out=call_out, departed_at=departed, arrived_at=arrived, left_at=left,
            actions=actions, outcome=outcome,
            follow_up="Prévenir le médecin traitant ; revoir l'aménagement de la salle de "
                      "bain." if reason == "fall" else "")
        services.call_close(actor=responder, call=call, version=call.version)
    ctx.clock(None)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    from .models import EmergencyFile, Shift

    crts = ctx.crts.values()
    return (f"Astreinte… {Call.objects.filter(crt__in=crts).count()} appels, "
            f"{Shift.objects.filter(crt__in=crts).count()} gardes, "
            f"{EmergencyFile.objects.filter(crt__in=crts).count()} DLU")
