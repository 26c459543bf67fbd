"""Demo data of the temporary rooms: CRT Anjou Bleu has its emergency room, an HT place at the
partner EHPAD and an HTSH place at the local hospital; CRT Baugeois Vallée its emergency room.
Six months of stays (beneficiaries, each with its temporary exit of the file active, and people
whose caregiver was hospitalised), one stay going on today, one planned next week. Everything
goes through the services; dates are drawn from the seeded ``rng``."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from maillage.admissions.models import Enrolment, Suspension
from maillage.core.demo import HISTORY_DAYS, DemoContext, agreed
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Organization

from . import services
from .models import Room, Stay

# People whose caregiver was hospitalised (not beneficiaries): name, first name, birth date,
# what happened.
GUESTS = {
    "anjou_bleu": [
        ("Leblanc", "Marcelle", date(1936, 4, 2),
         "Son mari, son aidant, hospitalisé en urgence (AVC). Orientée par le SSIAD."),
        ("Piveteau", "André", date(1941, 9, 17),
         "Sa fille, qui vit avec lui, opérée en urgence ; troubles cognitifs, ne peut rester "
         "seul."),
    ],
    "baugeois": [
        ("Cordier", "Yvonne", date(1939, 1, 23),
         "Son fils aidant hospitalisé après une chute ; appel du médecin traitant."),
    ],
}
NOTES = {  # said of the person (``agreed``)
    Stay.Reason.CRISIS: "Épuisement de l'aidante, relais le temps d'organiser le retour.",
    Stay.Reason.HOSPITAL_RETURN: "Sortie du service de médecine, pas encore autonome pour "
                                 "rentrer seul{e}.",
    Stay.Reason.HEALTH_DECLINE: "Décision du médecin coordonnateur avec le médecin traitant, "
                                "pour éviter une hospitalisation.",
    Stay.Reason.CAREGIVER_HOSPITALISED: "Aidant principal hospitalisé.",
}


def _room(coordinator, crt, **fields) -> Room:
    defaults = {"organization": None, "max_stay_days": None, "daily_charge": None,
                "is_active": True, "notes": ""}
    return services.room_create(actor=coordinator, crt=crt, **{**defaults, **fields})


def _busy(enrolments: list[Enrolment], start: date, end: date) -> tuple[set[int], set[int]]:
    """The enrolments away (temporary exit) and the people in a stay over [start, end]: two
    queries for the whole CRT instead of two per person."""
    crt_ids = {e.crt_id for e in enrolments}
    away = set(Suspension.objects.filter(enrolment__crt_id__in=crt_ids, start_date__lte=end)
               .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
               .values_list("enrolment_id", flat=True))
    staying = set(Stay.objects.filter(crt_id__in=crt_ids, beneficiary__isnull=False,
                                      planned_start__lte=end)
                  .filter(Q(planned_end__gte=start) | Q(actual_end__gte=start))
                  .exclude(status=Stay.Status.CANCELLED)
                  .values_list("beneficiary_id", flat=True))
    return away, staying


def _seen_today(crt) -> set[int]:
    from maillage.visits.models import Visit

    return set(Visit.objects.filter(
        crt=crt, starts_at__date=timezone.localdate(),
        staff__memberships__crt=crt, staff__memberships__roles__role__in=[
            Role.DOCTOR, Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST, Role.ACTIVITY_LEADER],
    ).values_list("beneficiary_id", flat=True))


def _beneficiary(enrolments: list[Enrolment], start: date, end: date, rng):
    if not enrolments:
        return None
    # Free: admitted by then, no temporary exit nor stay touching [start, end].
    away, staying = _busy(enrolments, start, end)
    candidates = [e for e in enrolments if e.admitted_on <= start and e.pk not in away
                  and e.beneficiary_id not in staying]
    return rng.choice(candidates).beneficiary if candidates else None


def _past_stays(ctx, coordinator, crt, room, enrolments, *, first: date, last: date,
                reasons, guests: list) -> None:
    """Stays one after the other in ``room`` from ``first`` until ``last`` (all over)."""
    rng, today = ctx.rng, ctx.today
    cursor, index = first, 0
    while True:
        index += 1
        length = rng.randint(4, min(room.max_stay_days, 18))
        start, end = cursor, cursor + timedelta(days=length)
        actual_end = min(end + timedelta(days=rng.choice([-1, 0, 0, 1])), today)
        if actual_end > last:
            ctx.clock(None)
            return
        reason = rng.choice(reasons)
        fields = {}
        if guests and index in (2, 4):  # the people whose caregiver was hospitalised
            last_name, first_name, born, notes = guests.pop(0)
            reason = Stay.Reason.CAREGIVER_HOSPITALISED
            fields = {"guest_last_name": last_name, "guest_first_name": first_name,
                      "guest_birth_date": born, "guest_phone": f"02 61 91 {rng.randint(10, 99)} "
                                                               f"{rng.randint(10, 99)}",
                      "notes": notes}
        else:
            b = _beneficiary(enrolments, start, actual_end, rng)
            if b is not None:
                fields = {"beneficiary": b, "notes": agreed(NOTES[reason], b.sex)}
        if fields:
            ctx.clock(ctx.day_at(max(actual_end, start), 17))  # recorded after the fact
            services.stay_create(actor=coordinator, crt=crt, room=room, reason=reason,
                                 planned_start=start, planned_end=end, actual_start=start,
                                 actual_end=max(actual_end, start), **fields)
        cursor = end + timedelta(days=rng.randint(6, 24))


def load(ctx: DemoContext) -> None:
    rng, today = ctx.rng, timezone.localdate()
    for key, crt in ctx.crts.items():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        enrolments = list(Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
                          .select_related("beneficiary").order_by("pk"))
        emergency = _room(coordinator, crt, name="Chambre d'urgence",
                          kind=Room.Kind.CRT_EMERGENCY,
                          notes="Rez-de-chaussée de la structure porteuse, lit médicalisé, "
                                "appel malade relié à l'équipe de nuit.")
        guests = list(GUESTS[key])
        _past_stays(ctx, coordinator, crt, emergency, enrolments,
                    first=today - timedelta(days=HISTORY_DAYS - 30 - rng.randint(0, 10)),
                    last=today - timedelta(days=12),
                    reasons=[Stay.Reason.CRISIS, Stay.Reason.HOSPITAL_RETURN], guests=guests)
        # One stay going on today, one planned next week; not for a person the doctor,
        # psychologist, occupational therapist or activity leader visits today (their demo
        # accounts show a real day).
        start, end = today - timedelta(days=rng.randint(2, 5)), today + timedelta(days=6)
        seen = _seen_today(crt)
        b = _beneficiary([e for e in enrolments if e.beneficiary_id not in seen], start, end,
                         rng)
        if b is not None:
            services.stay_create(actor=coordinator, crt=crt, room=emergency, beneficiary=b,
                                 reason=Stay.Reason.CRISIS,
                                 notes=agreed(NOTES[Stay.Reason.CRISIS], b.sex),
                                 planned_start=start, planned_end=end, actual_start=start)
        start = today + timedelta(days=7)  # next week, once today's stay is over
        b = _beneficiary(enrolments, start, start + timedelta(days=10), rng)
        if b is not None:
            services.stay_create(actor=coordinator, crt=crt, room=emergency, beneficiary=b,
                                 reason=Stay.Reason.CAREGIVER_HOSPITALISED,
                                 notes="Répit : l'aidante est opérée (intervention programmée).",
                                 planned_start=start, planned_end=start + timedelta(days=10))
        if key != "anjou_bleu":
            continue
        ehpad = Organization.objects.filter(crt=crt, kind=Organization.Kind.EHPAD).order_by(
            "name").first()
        hospital = Organization.objects.filter(crt=crt, kind=Organization.Kind.HOSPITAL
                                               ).order_by("name").first()
        ht = _room(coordinator, crt, name="Place d'hébergement temporaire",
                   kind=Room.Kind.PARTNER_HT, organization=ehpad,
                   daily_charge=Decimal("68.40"),
                   notes="Convention avec l'EHPAD : réservation par la coordination du CRT.")
        htsh = _room(coordinator, crt, name="Place HTSH", kind=Room.Kind.PARTNER_HTSH,
                     organization=hospital,
                     notes="Unité de soins de longue durée ; admission sur décision du médecin "
                           "coordonnateur du CRT.")
        for room, reasons in ((ht, [Stay.Reason.CAREGIVER_HOSPITALISED, Stay.Reason.CRISIS]),
                              (htsh, [Stay.Reason.HOSPITAL_RETURN,
                                      Stay.Reason.HEALTH_DECLINE])):
            _past_stays(ctx, coordinator, crt, room, enrolments,
                        # The partner places since the agreement, about six months ago.
                        first=today - timedelta(days=170 - rng.randint(0, 20)),
                        last=today - timedelta(days=3), reasons=reasons, guests=[])
        services.lodging_settings_update(actor=coordinator, crt=crt, version=1,
                                         place_kept_days=45)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    stays = Stay.objects.filter(crt__in=ctx.crts.values())
    return (f"Chambres temporaires… {Room.objects.filter(crt__in=ctx.crts.values()).count()} "
            f"places, {stays.count()} séjours")
