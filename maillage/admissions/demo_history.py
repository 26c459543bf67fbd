"""The demo's 14 months of admissions history, bulk-created after every app's demo: the referral
behind each admission (received, decided, its steps done before the admission date) and the
referrals that were refused, redirected or cancelled over the months. Dated as they happened
(``received_at``, ``decided_at``, ``done_on``, ``created_at``, audit events)."""

from datetime import timedelta
from random import Random

from django.utils import timezone

from maillage.core.demo import (
    DemoContext,
    agreed,
    audit_event,
    insert_rows,
    keep_dates,
    update_rows,
)
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.territory.models import Commune, Organization, Professional

from . import services
from .demo import MEN, REASONS
from .models import AdmissionStep, Enrolment, PrioritySituation, Referral

REFERRERS = ["gp", "dac", "hospital", "caregiver", "ssiad"]
REFUSED = [
    (Referral.Status.DECLINED, "GIR 5 : relève d'un service d'aide à domicile."),
    (Referral.Status.DECLINED, "Domicile hors du territoire couvert par le volet 2."),
    (Referral.Status.REDIRECTED, "Besoin de soins techniques quotidiens : orientée vers la HAD."),
    (Referral.Status.REDIRECTED, "Situation complexe sans besoin de présence renforcée : DAC."),
    (Referral.Status.CANCELLED, "Entrée en EHPAD avant la visite d'évaluation."),
    (Referral.Status.CANCELLED, "Décès avant la visite d'évaluation."),
]
FIRST_NAMES = ["Odile", "Gilberte", "Armand", "Lucienne", "Roland", "Germaine", "Émile",
               "Yvonne", "Fernande", "Marcel", "Paulette", "Raymond"]
LAST_NAMES = ["Boisseau", "Chaillou", "Dupas", "Foucher", "Godin", "Jarry", "Lhuillier",
              "Mabit", "Pelé", "Rousselot", "Suaudeau", "Viaud"]


def _at(rng: Random, day, hour_from: int = 8, hour_to: int = 18):
    return DemoContext.day_at(day, rng.randint(hour_from, hour_to - 1), rng.randint(0, 59))


def load(ctx: DemoContext) -> None:
    rng = Random(f"admissions-history-{ctx.scale}")
    events: list[AuditEvent] = []
    for crt in ctx.crts.values():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        team = [m.user for m in Membership.objects.filter(
            crt=crt, roles__role__in=[Role.NURSE, Role.DOCTOR]).select_related("user")
            .order_by("user__username")] or [coordinator]
        # The medical evaluation is the coordinating doctor's (SPEC §4.2).
        doctor = next((m.user for m in Membership.objects.filter(
            crt=crt, roles__role=Role.DOCTOR).select_related("user")), None)
        orgs = list(Organization.objects.filter(crt=crt).order_by("name"))
        redirect_to = {k: o for o in orgs for k in [o.kind]}
        communes = list(Commune.objects.filter(crt=crt).order_by("name"))
        gps = list(Professional.objects.filter(crt=crt, profession="gp").order_by("pk"))
        enrolments = list(Enrolment.objects.filter(crt=crt, referral__isnull=True)
                          .select_related("beneficiary__commune").order_by("admitted_on", "pk"))
        referrals, steps, linked = [], [], []
        # The referral behind each admission, and its steps.
        for e in enrolments:
            b = e.beneficiary
            # Not before the opening of the CRT (the first ones waited for it).
            received_on = max(e.admitted_on - timedelta(days=rng.randint(18, 75)),
                              ctx.history_start + timedelta(days=rng.randint(0, 6)))
            received = _at(rng, received_on)
            decided = min(received + timedelta(days=rng.randint(2, 8)),
                          _at(rng, e.admitted_on, 8, 9))
            gp = rng.choice(gps) if gps else None
            referral = Referral(
                crt=crt, source=rng.choice(list(Referral.Source.values)),
                status=Referral.Status.ADMITTED, received_at=received, beneficiary=b,
                person_last_name=b.used_name or b.birth_name, person_first_name=b.first_name,
                person_birth_date=b.birth_date, person_address=b.address,
                person_commune=b.commune, person_phone=b.phone,
                referrer_kind=rng.choice(REFERRERS), referrer_organization=rng.choice(orgs),
                referrer_professional=gp,
                referrer_name=f"{gp.first_name} {gp.last_name}" if gp else "Dr Morin",
                reason=agreed(rng.choice(REASONS), b.sex),
                priority_situations=rng.sample(PrioritySituation.values, k=rng.randint(1, 3)),
                known_gir=e.gir_at_entry, urgency=rng.choice(["normal", "normal", "urgent"]),
                hospital_discharge=rng.random() < 0.25, person_agrees=True,
                decided_at=decided, decided_by=coordinator,
                created_at=received, updated_at=_at(rng, e.admitted_on, 9, 10),
                created_by=coordinator, updated_by=coordinator,
            )
            referrals.append(referral)
            linked.append(e)
        # Referrals that did not lead to an admission, over the months.
        months = ctx.history_start, ctx.today - timedelta(days=95)
        span = (months[1] - months[0]).days
        count = (20 if crt == ctx.crts.get("anjou_bleu") else 8) * ctx.scale
        refused = []
        for index in range(count):
            received = _at(rng, months[0] + timedelta(days=span * index // count
                                                      + rng.randint(0, 9)))
            status, reason = REFUSED[index % len(REFUSED)]
            decided = received + timedelta(days=rng.randint(1, 12))
            # The first name is drawn among the fields, in their order (the same draws as ever);
            # the reason is said of that person.
            refused.append(Referral(
                crt=crt, source=rng.choice(list(Referral.Source.values)), status=status,
                received_at=received,
                person_last_name=rng.choice(LAST_NAMES), person_first_name=(
                    first_name := rng.choice(FIRST_NAMES)),
                person_commune=rng.choice(communes), referrer_kind=rng.choice(REFERRERS),
                referrer_organization=rng.choice(orgs),
                referrer_name=f"Service social, {rng.choice(orgs).name}"[:200],
                reason=agreed(rng.choice(REASONS), "M" if first_name in MEN else "F"),
                known_gir=rng.choice([None, 3, 4, 5]),
                person_agrees=rng.random() < 0.8, decided_at=decided, decided_by=coordinator,
                decision_reason=reason,
                redirected_to=(redirect_to.get("had") if "HAD" in reason
                               else redirect_to.get("dac")) if status == "redirected" else None,
                created_at=received, updated_at=decided, created_by=coordinator,
                updated_by=coordinator,
            ))
        with keep_dates(Referral, AdmissionStep):
            Referral.objects.bulk_create(referrals + refused)
            for referral, e in zip(referrals, linked, strict=True):
                e.referral = referral
                decided_on = timezone.localdate(referral.decided_at)
                days = max((e.admitted_on - decided_on).days, 0)
                for n, kind in enumerate(services.PROCEDURE):
                    done_on = decided_on + timedelta(
                        days=days * (n + 1) // (len(services.PROCEDURE) + 1))
                    actor = rng.choice(team)  # drawn for every step: the same draws
                    if kind == AdmissionStep.Kind.MEDICAL_EVALUATION and doctor is not None:
                        actor = doctor
                    agreement = {"agreed_by": "person", "agreement_method": "written"} \
                        if kind == "agreement" else {}
                    steps.append(AdmissionStep(**agreement,
                        crt=crt, referral=referral, kind=kind, done_on=done_on, done_by=actor,
                        outcome="favourable", gp_associated=kind == "medical_evaluation",
                        created_at=_at(rng, done_on), updated_at=_at(rng, done_on, 18, 19),
                        created_by=actor, updated_by=actor))
                    events.append(audit_event(actor=actor, action="admission_step.recorded",
                                              obj=steps[-1], beneficiary=e.beneficiary,
                                              at=steps[-1].created_at))
            AdmissionStep.objects.bulk_create(steps)
        update_rows(Enrolment, linked, ["referral"])
        for referral in referrals + refused:
            events.append(audit_event(actor=coordinator, action="referral.received",
                                      obj=referral, at=referral.received_at))
            action = {"admitted": "referral.accepted", "declined": "referral.declined",
                      "redirected": "referral.redirected"}.get(referral.status)
            if action:
                events.append(audit_event(actor=coordinator, action=action, obj=referral,
                                          at=referral.decided_at))
    insert_rows(AuditEvent, events)
    ctx.history["orientations"] = Referral.objects.filter(crt__in=ctx.crts.values()).count()
    store_forfait_months(ctx)


def store_forfait_months(ctx: DemoContext) -> None:
    """The stored forfait-months of every enrolment, as of the real today, in bulk per CRT.
    Here, after every app's ``demo``: the services ran under the demo clock (their months are
    as of that past day) and the lodging demo, after the admissions one, starts and ends
    temporary exits; a loader that bulk-creates enrolments or exits is covered too."""
    from django.utils import timezone

    from .forfait import forfait_months_refresh

    today = timezone.localdate(ctx.real_now())
    for crt in ctx.crts.values():
        forfait_months_refresh(crt=crt, today=today)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    return f"Historique 14 mois… {ctx.history.get('orientations', 0)} demandes d'admission"
