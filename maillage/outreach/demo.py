"""Demo data of volet 1: a year of actions for CRT Anjou Bleu in the five fields — an anti-fall
workshop with its cycle of sessions, a monthly « café », training for professionals (one on
end of life), the caregivers' café, the carrier EHPAD's rooms and meals —, with sessions
recorded after they took place, realistic attendance (older people of the territory, some of
them volet 2 beneficiaries, caregivers, professionals of partner structures), some transport,
and the next sessions with their registrations. Everything goes through the services, each
session dated by the demo clock; draws from the seeded ``rng``. With ``ctx.scale``, the pools of
people and the number of sessions grow (a larger territory holds more sessions), never the size
of a session (a workshop of 12 stays a workshop of 12).

What the indicators read is filled too: the training institutes invited to the
professional-practices actions (V1-04), the GIR of some older people with whether it was
evaluated or declared (V1-07), the rule behind each transport (V1-08), and a few caregivers
recorded on volet 2 files who come to the caregivers' café (V1-02)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.beneficiaries.models import Caregiver
from maillage.core.demo import FIRST_NAMES, LAST_NAMES, DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.surveys.demo import demo_responses_add
from maillage.territory.models import Commune, Organization, Professional

from . import satisfaction, services
from .models import AgeBand, Attendee, Participation, Session, SupportAction

OLD_FIRST_NAMES = ["Marcelle", "Odette", "Raymonde", "Germaine", "Simone", "Yvette", "Paulette",
                   "Jeannine", "Marcel", "René", "Roger", "André", "Lucien", "Gilbert",
                   "Henriette", "Colette", "Bernard", "Yvonne", "Lucienne", "Maurice"]
K = Organization.Kind
E = Attendee.EmployerType
EMPLOYER = {K.SAD: E.HOME_CARE, K.SSIAD: E.SSIAD, K.EHPAD: E.OTHER_EHPAD,
            K.HOSPITAL: E.HOSPITAL, K.HAD: E.HOSPITAL, K.GP_PRACTICE: E.LIBERAL,
            K.MSP: E.LIBERAL}

# title, field, flags, audiences (older, caregivers, professionals), number of past sessions,
# hour, capacity, description.
ACTIONS = [
    ("Atelier équilibre et prévention des chutes", "care_prevention",
     {"anti_fall": True}, (True, False, False), 10, 14, 12,
     "Cycle de 10 séances avec une kinésithérapeute : équilibre, relevé du sol, "
     "aménagement du domicile."),
    ("Dépistage de l'audition et de la vue", "care_prevention", {}, (True, False, False), 3, 10,
     20, "Matinée de repérage avec l'opticien mutualiste et le centre d'audition."),
    ("Café rencontre : rompre l'isolement", "isolation", {}, (True, True, False), 11, 15, 25,
     "Un après-midi par mois à la salle des fêtes, transport organisé sur demande."),
    ("Formation : repérer la fragilité (ICOPE)", "practices",
     {"practice_kind": "training", "institute_ifsi": True, "institute_ifas": True},
     (False, False, True), 3, 9, 15, "Formation des aides à domicile et des infirmiers libéraux "
     "au repérage ICOPE."),
    ("Sensibilisation à l'accompagnement de fin de vie", "practices",
     {"end_of_life": True, "practice_kind": "awareness", "institute_medicine": True,
      "institute_ifsi": True}, (False, False, True), 2, 14, 20,
     "Avec l'équipe mobile de soins palliatifs du centre hospitalier."),
    ("Café des aidants", "caregivers", {}, (False, True, False), 10, 10, 15,
     "Groupe de parole animé par la psychologue du CRT."),
    ("Salle de stimulation sensorielle ouverte au territoire", "resources", {},
     (True, True, False), 4, 14, 8, "La salle Snoezelen de l'EHPAD ouverte aux personnes "
     "du domicile et à leurs aidants."),
    ("Repas partagé au restaurant de l'EHPAD", "resources", {}, (True, False, False), 4, 12, 16,
     "Un repas par trimestre avec les résidents, animation musicale."),
]


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _pool(ctx, leader, crt, communes, organizations) -> dict[str, list[Attendee]]:
    rng = ctx.rng
    pool = {"older_person": [], "caregiver": [], "professional": []}
    bands = [AgeBand.FROM_60, AgeBand.FROM_75, AgeBand.FROM_75, AgeBand.FROM_85,
             AgeBand.FROM_85, AgeBand.FROM_95]
    places = [Attendee.LivingPlace.HOME] * 6 + [Attendee.LivingPlace.AUTONOMY_RESIDENCE,
                                                Attendee.LivingPlace.SENIOR_RESIDENCE]
    for _ in range(30 * ctx.scale):
        first = rng.choice(OLD_FIRST_NAMES)
        gir = rng.choice([None, None, None, 4, 5, 6])
        pool["older_person"].append(services.attendee_create(
            actor=leader, crt=crt, duplicates_checked=True,  # demo homonyms are other people
            kind="older_person", last_name=rng.choice(LAST_NAMES),
            first_name=first, commune=rng.choice(communes), age_band=rng.choice(bands),
            sex="M" if first in {"Marcel", "René", "Roger", "André", "Lucien", "Gilbert",
                                 "Bernard", "Maurice"} else "F",
            lives_alone=rng.random() < 0.45, living_place=rng.choice(places),
            gir=gir, gir_source="" if gir is None else rng.choice(
                [Attendee.GirSource.DECLARED, Attendee.GirSource.DECLARED,
                 Attendee.GirSource.EVALUATED]),
            phone=f"02 61 91 {rng.randint(10, 99)} {rng.randint(10, 99)}"))
    for _ in range(10 * ctx.scale):
        pool["caregiver"].append(services.attendee_create(
            actor=leader, crt=crt, duplicates_checked=True,  # demo homonyms are other people
            kind="caregiver", last_name=rng.choice(LAST_NAMES),
            first_name=rng.choice(FIRST_NAMES), commune=rng.choice(communes),
            helps_volet2_beneficiary=rng.random() < 0.3,
            phone=f"06 39 98 {rng.randint(10, 99)} {rng.randint(10, 99)}"))
    # Caregivers recorded on volet 2 files who also come (their light record linked to them).
    for caregiver in Caregiver.objects.filter(crt=crt).order_by("pk")[:3 * ctx.scale]:
        pool["caregiver"].append(services.attendee_for_caregiver(actor=leader, crt=crt,
                                                                 caregiver=caregiver))
    for i in range(16 * ctx.scale):
        org = organizations[i % len(organizations)] if i % 4 else None
        pool["professional"].append(services.attendee_create(
            actor=leader, crt=crt, duplicates_checked=True,  # demo homonyms are other people
            kind="professional", last_name=rng.choice(LAST_NAMES),
            first_name=rng.choice(FIRST_NAMES), organization=org,
            organization_name="" if org else rng.choice(
                ["Cabinet infirmier des Lys", "IFAS de Segré", "Aide à domicile (emploi direct)"]),
            employer_type=EMPLOYER.get(org.kind, E.OTHER) if org else rng.choice(
                [E.LIBERAL, E.STUDENT, E.OTHER])))
    return pool


def _register(ctx, leader, s: Session, people: list, *, held: bool) -> None:
    rng = ctx.rng
    statuses = {}
    # Demo homonyms are other people.
    for p in services.participations_register(actor=leader, session=s, people=people,
                                              duplicates_checked=True):
        if held:
            draw = rng.random()
            statuses[p] = ("present" if draw < 0.82 else "absent" if draw < 0.94
                           else "cancelled")
        elif rng.random() < 0.05:
            statuses[p] = "cancelled"
    if statuses:
        s.refresh_from_db()
        services.attendance_record(actor=leader, session=s, version=s.version,
                                   statuses=statuses,
                                   anonymous_count=rng.choice([0, 0, 0, 1, 2]) if held else 0)
    if held:  # transport for some older people who came
        for p in (Participation.objects.filter(session=s, kind="older_person",
                                               status="present")
                  .select_related("attendee").order_by("pk")):
            if rng.random() < 0.15:
                mode = rng.choice(list(Participation.TransportMode.values)[:4])
                services.participation_transport_set(
                    actor=leader, participation=p, version=p.version, transport_mode=mode,
                    transport_provider={"crt_vehicle": "Thomas Guérin (véhicule du CRT)",
                                        "provider": "Ambulances et transports du Segréen",
                                        "taxi": "Taxi Martin",
                                        "solidarity": "Transport solidaire Familles Rurales"
                                        }[mode],
                    transport_cost=Decimal({"crt_vehicle": "6.20", "provider": "24.00",
                                            "taxi": "18.40", "solidarity": "4.00"}[mode]),
                    transport_from=p.attendee.commune if p.attendee_id else None,
                    **_transport_reason(rng))


TRANSPORT_REASONS = [Participation.TransportReason.NO_VEHICLE,
                     Participation.TransportReason.NO_VEHICLE,
                     Participation.TransportReason.NO_RELATIVE,
                     Participation.TransportReason.NO_PUBLIC_TRANSPORT]


def _transport_reason(rng) -> dict:
    """The rule checked: the person had no other way to come."""
    if rng.random() < 0.1:
        return {"transport_reason": Participation.TransportReason.OTHER,
                "transport_reason_detail": rng.choice([
                    "Sortie d'hospitalisation récente, ne peut pas marcher jusqu'à l'arrêt",
                    "Aidant hospitalisé cette semaine"])}
    return {"transport_reason": rng.choice(TRANSPORT_REASONS)}


def _answers(ctx, leader, s: Session) -> None:
    """Codes for the session's participants and the answers of about half of those who came
    (at most 12 a session, whatever the scale), online or typed from paper."""
    collection = satisfaction.session_satisfaction_open(actor=leader, session=s)
    came = Participation.objects.filter(session=s, status="present").count()
    demo_responses_add(collection=collection, rng=ctx.rng, actor=leader,
                       count=min(12, came // 2 + ctx.rng.randint(0, 2), came))


def load(ctx: DemoContext) -> None:
    crt = ctx.crts["anjou_bleu"]
    rng, today = ctx.rng, ctx.today
    leader = Membership.objects.filter(
        crt=crt, roles__role=Role.ACTIVITY_LEADER).select_related("user").first().user
    communes = list(Commune.objects.filter(crt=crt, covers_volet1=True).order_by("name"))
    organizations = list(Organization.objects.filter(
        crt=crt, kind__in=list(EMPLOYER)).order_by("name"))
    partner = Professional.objects.filter(crt=crt, user__username="partner").first()
    physio = Professional.objects.filter(crt=crt, profession="physiotherapist").order_by(
        "pk").first()
    beneficiaries = [e.beneficiary for e in Enrolment.objects.filter(
        crt=crt, ended_on__isnull=True).select_related("beneficiary").order_by("pk")]
    linked = beneficiaries[:6 * ctx.scale]  # the volet 2 people who also come to volet 1
    start = today - timedelta(days=350)
    ctx.clock(start - timedelta(days=14))
    pool = _pool(ctx, leader, crt, communes, organizations)
    ehpad = next((o for o in organizations if o.kind == K.EHPAD), None)
    for index, (title, field, flags, audiences, count, hour, capacity, description) in \
            enumerate(ACTIONS):
        ctx.clock(start - timedelta(days=10 - index))
        co_funded = index in (0, 3)
        action = services.action_create(
            actor=leader, crt=crt, title=title, field=field, description=description,
            for_older_people=audiences[0], for_caregivers=audiences[1],
            for_professionals=audiences[2], commune=communes[index % len(communes)],
            address="Salle des fêtes" if field == "isolation" else "",
            partners=[ehpad] if field == "resources" and ehpad else [],
            funding="co_funded" if co_funded else "own_budget",
            total_cost=Decimal("4000.00") if co_funded else None,
            co_funder="Conférence des financeurs de la prévention de la perte d'autonomie"
            if co_funded else "", co_funding_amount=Decimal("2400.00") if co_funded else None,
            **flags)
        partners = [p for p in ((physio,) if flags.get("anti_fall") else (partner,)
                                if field == "practices" else ()) if p is not None]
        who = (pool["professional"] if audiences[2] else
               pool["caregiver"] if not audiences[0] else pool["older_person"])
        # Past sessions spread over the year, the last one a few days ago.
        held = count * ctx.scale
        step = max(1, 340 // held)
        last = today - timedelta(days=2 + index)
        for n in range(held):
            day = start + timedelta(days=n * step + rng.randint(0, 4))
            # The last one a few days ago, so that this year has one from its first days on.
            day = last if n == held - 1 else min(day, last)
            ctx.clock(_at(day, hour + 3))
            s = services.session_create(
                actor=leader, action=action, starts_at=_at(day, hour),
                ends_at=_at(day, hour + 2), record_held=True, capacity=capacity,
                facilitators=[leader], partner_facilitators=partners)
            people = rng.sample(who, min(len(who), rng.randint(capacity // 2, capacity)))
            if audiences[0] and audiences[1]:
                people = people[: len(people) * 2 // 3] + rng.sample(
                    pool["caregiver"], min(3, len(pool["caregiver"])))
            if audiences[0] and linked and rng.random() < 0.6:
                people += rng.sample(linked, min(len(linked), rng.randint(1, 3)))
            _register(ctx, leader, s, people[:capacity], held=True)
            if n >= held - 4:  # the satisfaction questionnaire of the last sessions
                _answers(ctx, leader, s)
        # The next session, with its first registrations (by phone, last week).
        ctx.clock(today - timedelta(days=7 - index % 5))
        day = today + timedelta(days=5 + 4 * index)
        s = services.session_create(
            actor=leader, action=action, starts_at=_at(day, hour), ends_at=_at(day, hour + 2),
            capacity=capacity, facilitators=[leader],
            partner_facilitators=partners)
        _register(ctx, leader, s, rng.sample(who, min(len(who), capacity // 3)),
                  held=False)
    ctx.clock(None)


def summary(ctx: DemoContext) -> str:
    crts = list(ctx.crts.values())
    return (f"Volet 1… {SupportAction.objects.filter(crt__in=crts).count()} actions, "
            f"{Session.objects.filter(crt__in=crts).count()} séances, "
            f"{Participation.objects.filter(crt__in=crts).count()} inscriptions")
