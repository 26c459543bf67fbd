"""Demo data of admissions: a year of history — admissions spread over the year, temporary
exits (hospitalisations, one over 3 months, temporary room stays), definitive exits with each
reason and a re-admission — referrals received and a waiting list of 10 at various steps."""

from datetime import date, timedelta

from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.demo import DemoContext, agreed
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Commune, Organization, Professional

from . import services
from .models import AdmissionStep, Enrolment, PrioritySituation, Referral

NEXT_STEPS = [
    "Visite à domicile d'évaluation", "Visite à domicile conjointe avec le SSIAD",
    "Évaluation médicale par le médecin coordonnateur", "Avis de la commission d'admission",
    "Élaboration du plan d'accompagnement", "Signature du contrat",
]
PEOPLE = [("Bellier", "Armande"), ("Chauveau", "Léon"), ("Davy", "Irène"), ("Fouquet", "Émile"),
          ("Gallard", "Berthe"), ("Joubert", "Alphonse"), ("Leroux", "Ginette"),
          ("Morin", "Hélène"), ("Pichon", "Albert"), ("Renou", "Mauricette"),
          ("Sureau", "Jacqueline"), ("Thibault", "Marcel"), ("Vallée", "Yvette"),
          ("Coutant", "Roland")]
#: The men among the people referred (``PEOPLE``, ``demo_history.FIRST_NAMES``): the reasons
#: are said of them in the masculine (``agreed``).
MEN = frozenset({"Léon", "Émile", "Alphonse", "Albert", "Marcel", "Roland", "Armand",
                 "Raymond"})
REASONS = [
    "Retour à domicile après une hospitalisation pour fracture du col du fémur ; vit seul{e}.",
    "Chutes répétées la nuit, aidante principale épuisée, logement à étage sans adaptation.",
    "Troubles cognitifs évolutifs, fils à 300 km, refus d'entrer en EHPAD.",
    "Insuffisance cardiaque décompensée à répétition, isolement en zone rurale.",
]


def load(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    for key, crt in ctx.crts.items():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        team = [m.user for m in Membership.objects.filter(
            crt=crt, roles__role__in=[Role.NURSE, Role.COORDINATOR, Role.DOCTOR])
            .select_related("user")]
        # The medical evaluation is the coordinating doctor's (SPEC §4.2).
        doctor = next((m.user for m in Membership.objects.filter(
            crt=crt, roles__role=Role.DOCTOR).select_related("user")), None)
        stays = []
        for b in Beneficiary.objects.filter(crt=crt).order_by("pk"):
            admitted = b.current_gir_on or today - timedelta(days=60)
            ctx.clock(admitted)
            stays.append(services.enrolment_open(
                actor=coordinator, beneficiary=b, admitted_on=admitted, referent=coordinator,
                gir_at_entry=b.current_gir or 3,
            ))
        _history(ctx, stays, coordinator, key)
        communes = list(Commune.objects.filter(crt=crt).order_by("name"))
        orgs = list(Organization.objects.filter(crt=crt).order_by("name"))
        gps = list(Professional.objects.filter(crt=crt, profession="gp"))
        count = (14 if key == "anjou_bleu" else 5) * ctx.scale
        waiting = (10 if key == "anjou_bleu" else 5) * ctx.scale
        for index in range(count):
            last, first = PEOPLE[index % len(PEOPLE)]
            org = rng.choice(orgs)
            gp = rng.choice(gps)
            received = ctx.real_now() - timedelta(days=rng.randint(1, 90))
            ctx.clock(received)
            referral = services.referral_create(
                actor=coordinator, crt=crt,
                source=rng.choice([Referral.Source.INTERNAL, Referral.Source.PUBLIC]),
                person_last_name=last, person_first_name=first,
                person_birth_date=date(rng.randint(1928, 1950), rng.randint(1, 12),
                                       rng.randint(1, 28)),
                person_address=f"{rng.randint(1, 30)} rue du Bourg",
                person_commune=rng.choice(communes), person_phone="02 61 91 55 00",
                referrer_kind=rng.choice(["gp", "dac", "hospital", "caregiver", "ssiad"]),
                referrer_organization=org, referrer_professional=gp,
                referrer_name=f"{gp.first_name} {gp.last_name}",
                referrer_email=f"orientation.{index}@demo.mssante.fr",
                reason=agreed(rng.choice(REASONS), "M" if first in MEN else "F"),
                priority_situations=rng.sample(PrioritySituation.values, k=rng.randint(0, 3)),
                known_gir=rng.choice([None, 2, 3, 3, 4, 4, 5]),
                urgency=rng.choice(["normal", "normal", "urgent"]),
                hospital_discharge=rng.random() < 0.2, person_agrees=rng.random() < 0.9,
                # Spread over the last three months.
                received_at=received,
            )
            # Looked at within the week.
            decided = min(received + timedelta(days=index % 6 + 1), ctx.real_now())
            ctx.clock(decided)
            if index < waiting:  # the waiting list, at various steps
                services.referral_decide(
                    actor=coordinator, referral=referral, version=referral.version,
                    decision="accept", next_step=NEXT_STEPS[index % len(NEXT_STEPS)],
                    next_step_owner=rng.choice(team),
                    override="Situation prioritaire validée en réunion d'équipe.",
                )
                for kind in services.PROCEDURE[: index % 5]:
                    if kind == AdmissionStep.Kind.CONTRACT_SIGNED:
                        break
                    referral.refresh_from_db()
                    done_on = max(today - timedelta(days=rng.randint(0, 10)), decided.date())
                    ctx.clock(max(ctx.day_at(done_on), decided))
                    actor = rng.choice(team)
                    if kind == AdmissionStep.Kind.MEDICAL_EVALUATION and doctor is not None:
                        actor = doctor
                    services.step_record(
                        actor=actor, referral=referral, kind=kind,
                        done_on=done_on,
                        outcome="favourable", gp_associated=kind == "medical_evaluation",
                        plan_summary="Passages d'aide-soignante matin et soir, téléassistance, "
                                     "astreinte de nuit, répit de l'aidante deux jours par mois."
                        if kind == "plan_drafted" else "",
                    )
                referral.refresh_from_db()
                due = services.steps_due(referral)
                if (due and due[0] == AdmissionStep.Kind.MEDICAL_EVALUATION
                        and doctor is not None and referral.next_step_owner != doctor):
                    services.referral_set_next_step(
                        actor=coordinator, referral=referral, version=referral.version,
                        next_step=referral.next_step, next_step_owner=doctor)
            elif index == waiting:
                services.referral_decide(
                    actor=coordinator, referral=referral, version=referral.version,
                    decision="decline", reason="GIR 5 : relève d'un service d'aide à domicile.")


def _history(ctx: DemoContext, stays: list[Enrolment], coordinator, key: str) -> None:
    """Temporary and definitive exits over the past year, and one re-admission."""
    rng, today = ctx.rng, ctx.today
    # Hospitalisations and temporary room stays (some over), one long one still going. The
    # people with a portal account stay at home: their coming visits show the portal.
    from maillage.beneficiaries.models import Caregiver

    portal = set(Caregiver.objects.filter(user__isnull=False).values_list("beneficiary",
                                                                          flat=True))
    away = [s for s in stays
            if s.beneficiary_id not in portal and s.beneficiary.portal_user_id is None]
    for index, stay in enumerate(away[: len(stays) // 4]):
        start = stay.admitted_on + timedelta(days=rng.randint(5, 20))
        if start >= today:
            continue
        long_one = index == 0
        kind = "temporary_room" if index % 4 == 3 else "hospitalisation"
        end = None if long_one else min(start + timedelta(days=rng.randint(3, 25)), today)
        if long_one:
            start = min(start, today - timedelta(days=100))
            if start < stay.admitted_on:
                continue
        ctx.clock(start)
        services.suspension_start(
            actor=coordinator, enrolment=stay, kind=kind, start_date=start, end_date=end,
            place="CHU d'Angers" if kind == "hospitalisation" else "Chambre d'urgence du CRT",
            reason="Chute avec fracture" if long_one else rng.choice(
                ["Décompensation cardiaque", "Pneumopathie", "Aidante hospitalisée",
                 "Déshydratation"]),
        )
    if key != "anjou_bleu":
        return
    # One definitive exit for each reason (the file active keeps more than 30 people).
    reasons = [r for r in Enrolment.ExitReason.values if r != "long_hospitalisation"]
    for stay, reason in zip(stays[-len(reasons):], reasons, strict=True):
        stay.refresh_from_db()
        ended = min(today, stay.admitted_on + timedelta(days=rng.randint(20, 60)))
        ctx.clock(ended)
        services.enrolment_close(
            actor=coordinator, enrolment=stay, version=stay.version, ended_on=ended,
            exit_reason=reason,
            destination={"institution": "EHPAD du Val d'Erdre", "moved": "Nantes"}.get(reason,
                                                                                         ""),
            health_related=reason == "criteria",
            doctor_opinion="GIR 5 à la réévaluation, autonomie retrouvée."
            if reason == "criteria" else "",
        )
    # A hospitalisation of more than 3 months that ended the accompaniment.
    stay = stays[-len(reasons) - 1]
    start = stay.admitted_on + timedelta(days=2)
    if start + timedelta(days=100) <= today:
        ctx.clock(start)
        services.suspension_start(actor=coordinator, enrolment=stay, kind="hospitalisation",
                                  start_date=start, place="CHU d'Angers — SSR",
                                  reason="AVC")
        stay.refresh_from_db()
        ctx.clock(start + timedelta(days=100))
        services.enrolment_close(
            actor=coordinator, enrolment=stay, version=stay.version,
            ended_on=start + timedelta(days=100), exit_reason="long_hospitalisation")
    # The person who wished to leave came back: a new enrolment.
    left = Enrolment.objects.filter(crt=stays[0].crt, exit_reason="wishes_to_leave").first()
    if left and left.ended_on < today:
        ctx.clock(None)
        services.enrolment_open(actor=coordinator, beneficiary=left.beneficiary,
                                admitted_on=today, referent=coordinator,
                                gir_at_entry=left.beneficiary.current_gir or 3)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    crts = ctx.crts.values()
    enrolments = Enrolment.objects.filter(crt__in=crts)
    return (f"Admissions… {enrolments.count()} admissions, "
            f"{enrolments.filter(ended_on__isnull=False).count()} sorties, "
            f"{Referral.objects.filter(crt__in=crts, status='waiting').count()} personnes en "
            "liste d'attente")
