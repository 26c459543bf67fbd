"""Demo data of admissions: the file active (every demo beneficiary enrolled), referrals
received and a waiting list of 10 at various next steps. The admission steps, contracts,
suspensions and exits come with the admission-procedure work."""

from datetime import date, timedelta

from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Commune, Organization, Professional

from . import services
from .models import PrioritySituation, Referral

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
REASONS = [
    "Retour à domicile après une hospitalisation pour fracture du col du fémur ; vit seule.",
    "Chutes répétées la nuit, aidante principale épuisée, logement à étage sans adaptation.",
    "Troubles cognitifs évolutifs, fils à 300 km, refus d'entrer en EHPAD.",
    "Insuffisance cardiaque décompensée à répétition, isolement en zone rurale.",
]


def load(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = date.today()
    for key, crt in ctx.crts.items():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        team = [m.user for m in Membership.objects.filter(
            crt=crt, roles__role__in=[Role.NURSE, Role.COORDINATOR, Role.DOCTOR])
            .select_related("user")]
        for b in Beneficiary.objects.filter(crt=crt).order_by("pk"):
            admitted = b.current_gir_on or today - timedelta(days=60)
            services.enrolment_open(
                actor=coordinator, beneficiary=b, admitted_on=admitted, referent=coordinator,
                gir_at_entry=b.current_gir or 3,
            )
        communes = list(Commune.objects.filter(crt=crt).order_by("name"))
        orgs = list(Organization.objects.filter(crt=crt).order_by("name"))
        gps = list(Professional.objects.filter(crt=crt, profession="gp"))
        count = (14 if key == "anjou_bleu" else 5) * ctx.scale
        for index in range(count):
            last, first = PEOPLE[index % len(PEOPLE)]
            org = rng.choice(orgs)
            gp = rng.choice(gps)
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
                reason=rng.choice(REASONS),
                priority_situations=rng.sample(PrioritySituation.values, k=rng.randint(0, 3)),
                known_gir=rng.choice([None, 2, 3, 3, 4, 4, 5]),
                urgency=rng.choice(["normal", "normal", "urgent"]),
                hospital_discharge=rng.random() < 0.2, person_agrees=rng.random() < 0.9,
            )
            # Spread the requests over the last three months.
            Referral.objects.filter(pk=referral.pk).update(
                received_at=timezone.now() - timedelta(days=rng.randint(1, 90)))
            referral.refresh_from_db()
            if index < 10:  # the waiting list, at various steps
                services.referral_decide(
                    actor=coordinator, referral=referral, version=referral.version,
                    decision="accept", next_step=NEXT_STEPS[index % len(NEXT_STEPS)],
                    next_step_owner=rng.choice(team),
                    override="Situation prioritaire validée en réunion d'équipe.",
                )
            elif index == 10:
                services.referral_decide(
                    actor=coordinator, referral=referral, version=referral.version,
                    decision="decline", reason="GIR 5 : relève d'un service d'aide à domicile.")
