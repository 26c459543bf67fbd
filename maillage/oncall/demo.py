"""Demo data of the on-call service: the organisation (CRT Anjou Bleu: care aides by day,
nights with the night nurse shared between partner EHPADs; CRT Baugeois: internal, its nights
held by the same night nurse, who works for it too), the
escalation chain, a rota over the next 30 days with one deliberate gap (a Saturday night with
nobody to travel), six months of calls — most at night — with call-outs, advice, a few
escalations, two hospitalisations, and the DLUs."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.core.demo import HISTORY_DAYS, DemoContext, agreed
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Organization

from . import services
from .models import Arrangement, Call, Escalation, EscalationContact

CONTACTS = [
    (EscalationContact.Level.NURSE, "Infirmière d'astreinte (relais)", "06 39 98 20 01"),
    (EscalationContact.Level.DOCTOR, "Médecin coordonnateur du CRT (avis, 8 h – 20 h)",
     "06 39 98 20 02"),
    (EscalationContact.Level.SAMU, "SAMU – centre 15", "15"),
    (EscalationContact.Level.FIREFIGHTERS, "Pompiers", "18"),
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
#: A call is written (and closed) this long after it is over.
WRITTEN_AFTER = timedelta(minutes=5)


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _responders(crt) -> list:
    return [m.user for m in Membership.objects.filter(
        crt=crt, roles__role__in=[Role.NURSE, Role.CARE_AIDE]).select_related("user")
        .order_by("user__username")]


def _night_responder(crt, night_nurse, responders: list):
    """Who answers at night: the night nurse if she works for the CRT."""
    if night_nurse is not None and night_nurse.memberships.filter(crt=crt).exists():
        return night_nurse
    return responders[0]


def _busy_until(answered, left):
    """When a call's responder is free again: once it is written, after the call-out if any."""
    return (left or answered) + WRITTEN_AFTER + timedelta(minutes=1)


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
    for key, crt in ctx.crts.items():
        responder = _night_responder(crt, night_nurse, _responders(crt))
        for _scenario, received, answered, *_, left in _last_night(today, LAST_NIGHT[key]):
            busy[responder.pk].append((received, _busy_until(answered, left)))
    for key, crt in ctx.crts.items():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        for level, label, phone in CONTACTS:
            services.contact_add(actor=coordinator, crt=crt, level=level, label=label,
                                 phone=phone)
        night_nurse = _user("night_nurse")
        ehpad = Organization.objects.filter(crt=crt, kind="ehpad").first()
        if key == "anjou_bleu" and ehpad is not None:
            arrangement = services.arrangement_save(
                actor=coordinator, crt=crt, model=Arrangement.Model.SHARED_NIGHT_NURSE,
                partner=ehpad, start_date=today - timedelta(days=365), end_date=None,
                agreement_signed_on=today - timedelta(days=380), carrier_written_consent=True,
                yearly_contribution="18000.00",
                scope="Levée de doute de nuit pour les bénéficiaires du volet 2 des communes "
                      "couvertes par le dispositif IDE de nuit.",
                notes="Jour : une aide-soignante du CRT répond et se déplace, l'infirmière du "
                      "CRT en recours. Nuit (20 h – 8 h) : l'IDE de nuit mutualisé répond et "
                      "se déplace.")
        else:
            arrangement = services.arrangement_save(
                actor=coordinator, crt=crt, model=Arrangement.Model.INTERNAL,
                partner=None, start_date=today - timedelta(days=365), end_date=None,
                agreement_signed_on=None, carrier_written_consent=False,
                yearly_contribution=None, scope="",
                notes="Jour : AS/ASG et IDE du CRT. Nuit (20 h – 8 h) : l'IDE de nuit du CRT "
                      "répond et se déplace.")
        _rota(crt, coordinator, arrangement, night_nurse, today, gap=key == "anjou_bleu")
        _calls(ctx, crt, night_nurse, today, times=LAST_NIGHT[key], busy=busy)
    from . import demo_dlu

    demo_dlu.load(ctx)


def _rota(crt, coordinator, arrangement, night_nurse, today, *, gap: bool) -> None:
    aides = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.CARE_AIDE)
             .select_related("user").order_by("user__username")]
    nurses = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.NURSE)
              .select_related("user").order_by("user__username")
              if m.user.username != "night_nurse"]
    start = today - timedelta(days=1)
    # The deliberate gap: the second Saturday night from now, nobody to travel.
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    # The night nurse holds the nights of each CRT she works for (she answers their night
    # calls): the care aides, who have their rounds by day, never rest after a night
    # (``rounds.rest``) in the middle of them.
    nights = night_nurse if night_nurse is not None and night_nurse.memberships.filter(
        crt=crt).exists() else None
    for offset in range(32):
        day = start + timedelta(days=offset)
        aide = aides[offset % len(aides)]
        services.shifts_add(actor=coordinator, crt=crt, preset="day", first_day=day,
                            staff=aide, duty="answer_travel", phone="06 39 98 20 10")
        if nurses:
            services.shifts_add(actor=coordinator, crt=crt, preset="day", first_day=day,
                                staff=nurses[offset % len(nurses)], duty="nurse",
                                phone="06 39 98 20 01")
        night_duty = "answer" if gap and day == saturday else "answer_travel"
        if nights is not None:
            shared = arrangement.model == "shared_night_nurse"
            services.shifts_add(actor=coordinator, crt=crt, preset="night", first_day=day,
                                staff=nights, duty=night_duty,
                                arrangement=arrangement if shared else None,
                                phone="06 39 98 20 20")
        else:
            services.shifts_add(actor=coordinator, crt=crt, preset="night", first_day=day,
                                staff=aides[(offset + 1) % len(aides)], duty=night_duty,
                                phone="06 39 98 20 10")


def _calls(ctx, crt, night_nurse, today, *, times: list[tuple[int, int]],
           busy: dict[int, list[tuple]]) -> None:
    """About 6 months of calls, two thirds at night; written directly with the services, then
    closed. The two most recent hospitalisations are kept (« two hospitalisations »). A call
    that would come while its responder is on another (``busy``, in either CRT) came the day
    before. Then last night's two calls, at ``times``."""
    rng = ctx.rng
    stays = list(Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
                 .select_related("beneficiary").order_by("pk"))
    if not stays:
        return
    responders = _responders(crt)
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
        responder = night_nurse if at_night and night_nurse is not None and \
            night_nurse.memberships.filter(crt=crt).exists() else responders[
                index % len(responders)]
        departed = answered + timedelta(minutes=rng.randint(3, 8)) if call_out else None
        arrived = departed + timedelta(minutes=rng.randint(12, 35)) if call_out else None
        left = arrived + timedelta(minutes=rng.randint(20, 50)) if call_out else None
        while any(start < _busy_until(answered, left) and received < end
                  for start, end in busy[responder.pk]):
            received, answered, departed, arrived, left = (
                t - timedelta(days=1) if t is not None else None
                for t in (received, answered, departed, arrived, left))
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
    responder = _night_responder(crt, night_nurse, responders)
    b = stays[0].beneficiary
    for scenario, received, answered, departed, arrived, left in _last_night(today, times):
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
