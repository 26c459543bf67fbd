"""Demo data of coordination: the domains, a catalogue, baskets and personalised plans
(validated, some revised into a second version, a few drafts), transmissions and alerts,
conversations (one health professionals' thread) and telehealth acts."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from random import Random

from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Organization, Professional

from . import services
from .models import Domain, Service

# (domain code, name, funding, price, unit, funder, provider kind)
CATALOGUE = [
    ("securite", "Téléassistance avec levée de doute de nuit", "forfait", None, "", "", None),
    ("securite", "Visite d'évaluation du logement par l'ergothérapeute", "forfait", None, "", "",
     None),
    ("securite", "Passage de sécurisation en soirée", "forfait", None, "", "", None),
    ("crise_aidants", "Chambre d'urgence temporaire", "forfait", None, "", "", None),
    ("crise_aidants", "Organisation du retour d'hospitalisation", "forfait", None, "", "", None),
    ("suivi", "Passages d'aide-soignante (toilette, lever, coucher)", "forfait", None, "", "",
     None),
    ("suivi", "Surveillance gériatrique par l'infirmière", "forfait", None, "", "", None),
    ("suivi", "Soins infirmiers à domicile (SSIAD)", "common_law", None, "", "health_insurance",
     "ssiad"),
    ("suivi", "Aide à domicile (plan d'aide APA)", "common_law", None, "", "apa", "sad"),
    ("projet_vie", "Accompagnement à une activité collective", "forfait", None, "", "", None),
    ("projet_vie", "Portage de repas", "beneficiary", Decimal("9.50"), "par repas", "", "ccas"),
    ("projet_vie", "Coiffure à domicile", "beneficiary", Decimal("18.00"), "par séance", "",
     None),
]


def load(ctx: DemoContext) -> None:
    load_catalogue_and_plans(ctx)
    load_notes_and_alerts(ctx)
    load_conversations(ctx)
    load_telehealth(ctx)
    # The stored unread-messages counters, once from the rule after the bulk loads.
    for crt in ctx.crts.values():
        services.unread_counters_rebuild(crt=crt)


def load_catalogue_and_plans(ctx: DemoContext) -> None:
    rng, today = ctx.rng, timezone.localdate()
    for crt in ctx.crts.values():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        aides = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.CARE_AIDE)
                 .select_related("user").order_by("user__username")]
        ctx.clock(crt.opened_on - timedelta(days=10))  # the catalogue, before the opening
        services.domains_install_defaults(actor=coordinator, crt=crt)
        domains = {d.code: d for d in Domain.objects.filter(crt=crt)}
        orgs = {o.kind: o for o in Organization.objects.filter(crt=crt)}
        catalogue = [
            services.service_save(
                actor=coordinator, crt=crt, domain=domains[code], name=name, description="",
                funding=funding, price=price, price_unit=unit, funder=funder,
                provider=orgs.get(kind) if kind else None, is_active=True)
            for code, name, funding, price, unit, funder, kind in CATALOGUE
        ]
        socle = [s for s in catalogue if s.funding == Service.Funding.FORFAIT]
        dates = Random(f"{crt.name}-plans")
        nurses = list(Professional.objects.filter(crt=crt, profession="nurse"))
        stays = Enrolment.objects.filter(crt=crt, ended_on__isnull=True).select_related(
            "beneficiary").order_by("pk")
        for index, stay in enumerate(stays):
            b = stay.beneficiary
            ctx.clock(stay.admitted_on)
            for svc in rng.sample(socle, k=3) + rng.sample(catalogue, k=1):
                if not b.basket.filter(service=svc, end_date__isnull=True).exists():
                    services.basket_add(actor=coordinator, beneficiary=b, service=svc,
                                        start_date=stay.admitted_on)
            if index % 10 == 9:
                continue  # no plan yet: the coordinator's to-do
            # Written in the weeks after the admission (own rng: the rest stays as it was).
            written = min(stay.admitted_on + timedelta(days=dates.randint(7, 30)), today)
            ctx.clock(written)
            draft = services.careplan_new_version(actor=coordinator, beneficiary=b)
            services.careplan_update(
                actor=coordinator, version=draft, row_version=draft.version,
                situation_summary=f"{b.display_name}, {b.age} ans, GIR {b.current_gir}. "
                                  "Vit à domicile avec des aides ; risque de chute la nuit.",
                wishes="Rester à la maison le plus longtemps possible.",
                life_project="Continuer à voir ses amies du club le jeudi.",
                referent=coordinator,
                next_review_on=today + timedelta(days=rng.randint(-10, 170)))
            for text in ("Chutes nocturnes", "Isolement en semaine"):
                services.careplan_add_problem(actor=coordinator, version=draft, description=text)
            services.careplan_add_goal(actor=coordinator, version=draft,
                                       description="Aucune chute grave dans les 3 mois",
                                       target_date=today + timedelta(days=90),
                                       status="in_progress")
            services.careplan_add_action(
                actor=coordinator, version=draft, domain=domains["suivi"],
                description="Toilette et lever", staff=rng.choice(aides) if aides else None,
                frequency="Tous les jours à 8 h", start_date=stay.admitted_on)
            services.careplan_add_action(
                actor=coordinator, version=draft, domain=domains["securite"],
                description="Passage de coucher et vérification de la téléassistance",
                staff=rng.choice(aides) if aides else None, frequency="Tous les jours à 19 h",
                start_date=stay.admitted_on)
            if nurses:
                services.careplan_add_action(
                    actor=coordinator, version=draft, domain=domains["suivi"],
                    description="Préparation du pilulier", professional=rng.choice(nurses),
                    frequency="Le lundi", start_date=stay.admitted_on)
            if index % 10 == 8:
                continue  # a draft waiting for validation
            draft.refresh_from_db()
            services.careplan_validate(actor=coordinator, version=draft,
                                       row_version=draft.version)
            if index % 3 == 0:  # revised once: a second version
                ctx.clock(written + (today - written) * dates.randint(40, 90) // 100)
                second = services.careplan_new_version(actor=coordinator, beneficiary=b)
                services.careplan_add_goal(actor=coordinator, version=second,
                                           description="Un week-end de répit par mois pour "
                                                       "l'aidante", status="planned")
                services.careplan_update(
                    actor=coordinator, version=second, row_version=second.version,
                    situation_summary=second.situation_summary + " L'aidante s'épuise.",
                    wishes=second.wishes, life_project=second.life_project,
                    referent=coordinator, next_review_on=second.next_review_on)
                second.refresh_from_db()
                services.careplan_validate(actor=coordinator, version=second,
                                           row_version=second.version)


NOTES = [
    ("general", "team", "Bonne matinée, a pris son petit-déjeuner seule."),
    ("meals", "team", "A peu mangé ce midi ; repas du soir complet."),
    ("mood", "caregiver", "Contente de la visite de sa fille, a parlé du jardin."),
    ("care", "health", "Rougeur au talon droit, protection posée, à surveiller."),
    ("medication", "health", "Pilulier vérifié, traitement du soir pris."),
    ("fall", "team", "Retrouvée assise au sol près du lit, sans douleur, relevée à deux."),
]
ALERTS = [
    ("fall", "high", "Deuxième chute en une semaine, la nuit."),
    ("weight_loss", "medium", "Perte de 3 kg en deux mois."),
    ("caregiver_exhaustion", "high", "La fille dit ne plus pouvoir assurer les week-ends."),
    ("equipment", "medium", "Médaillon de téléassistance hors service."),
]


def load_notes_and_alerts(ctx: DemoContext) -> None:
    """Transmissions and alerts on the active files, written by the care-team members."""
    ctx.clock(None)  # these are recent (their history: ``demo_history``)
    from maillage.beneficiaries.access import FileAccess
    from maillage.beneficiaries.models import CareTeamMember

    rng = ctx.rng
    for crt in ctx.crts.values():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        stays = Enrolment.objects.filter(crt=crt, ended_on__isnull=True).select_related(
            "beneficiary").order_by("pk")
        roles_of: dict[int, frozenset] = {}  # one query per author, not per note
        for index, stay in enumerate(stays):
            b = stay.beneficiary
            writers = [m.user for m in CareTeamMember.objects.active().filter(
                beneficiary=b, user__isnull=False).select_related("user")
                if m.user != coordinator]
            for category, visibility, text in rng.sample(NOTES, k=3):
                author = rng.choice(writers) if writers else coordinator
                roles = roles_of.get(author.pk)
                if roles is None:
                    roles = roles_of[author.pk] = frozenset(
                        Membership.objects.get(user=author, crt=crt).roles.values_list(
                            "role", flat=True))
                access = FileAccess(identity=True, planning=True, liaison=True, health=True)
                services.note_add(actor=author, roles=roles, beneficiary=b, access=access,
                                  category=category, visibility=visibility, text=text)
            if index % 6 == 0:
                kind, severity, text = ALERTS[(index // 6) % len(ALERTS)]
                alert = services.alert_raise(actor=rng.choice(writers) if writers
                                             else coordinator, beneficiary=b, kind=kind,
                                             severity=severity, description=text)
                if index % 12 == 0:
                    services.alert_resolve(actor=coordinator, alert=alert,
                                           version=alert.version,
                                           outcome="Point avec l'équipe et l'aidante, "
                                                   "plan ajusté.")


# Who writes (a role of the care team), what, and whom they mention (a role, or None).
TEAM_THREAD = [
    (Role.CARE_AIDE, "Bonjour, Mme a refusé son petit-déjeuner ce matin : elle dit ne pas avoir "
                     "faim.", None),
    (Role.NURSE, "Merci. Je passe ce midi pour la peser. @{coordinator}, peux-tu prévenir sa "
                 "fille ?", Role.COORDINATOR),
    (Role.COORDINATOR, "Fille prévenue, elle passe ce soir et apportera des compotes.", None),
    (Role.CARE_AIDE, "Repas du soir pris en entier, bonne humeur.", None),
]
HEALTH_THREAD = [
    (Role.DOCTOR, "Bilan biologique reçu : albumine basse. Je propose un complément nutritionnel "
                  "oral matin et soir.", Role.NURSE),
    (Role.NURSE, "Noté : mise en place demain, pesée chaque lundi.", None),
]


def _anjou_bleu_files(ctx: DemoContext, count: int):
    """Active files of CRT Anjou Bleu, those the demo nurse account follows first (so that
    logging in as ``nurse`` shows them)."""
    from django.db.models import Exists, OuterRef

    from maillage.beneficiaries.models import CareTeamMember

    crt = ctx.crts["anjou_bleu"]
    followed = CareTeamMember.objects.active().filter(beneficiary=OuterRef("beneficiary"),
                                                      user__username="nurse")
    stays = (Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
             .annotate(followed=Exists(followed)).select_related("beneficiary")
             .order_by("-followed", "pk")[:count])
    return crt, [stay.beneficiary for stay in stays]


def _team_by_role(crt, beneficiary) -> dict:
    """The care team's CRT members by role (the demo account of the role first, otherwise the
    earliest member), with their roles."""
    from maillage.beneficiaries.models import CareTeamMember

    members = sorted(
        CareTeamMember.objects.active().filter(beneficiary=beneficiary, user__isnull=False)
        .select_related("user"), key=lambda m: (m.user.username not in Role.values, m.pk))
    by_role = {}
    for member in members:
        roles = frozenset(Membership.objects.get(user=member.user, crt=crt).roles.values_list(
            "role", flat=True))
        for role in sorted(roles):
            by_role.setdefault(role, (member.user, roles))
    return by_role


def load_conversations(ctx: DemoContext) -> None:
    """A team conversation with a mention on a few files of CRT Anjou Bleu, and the health
    professionals' thread on the first one."""
    from maillage.beneficiaries.access import FileAccess

    from .models import Conversation
    from .selectors import mention_candidates

    access = FileAccess(identity=True, planning=True, liaison=True, health=True)
    crt, files = _anjou_bleu_files(ctx, 4)
    for index, b in enumerate(files):
        team = _team_by_role(crt, b)
        threads = [(Conversation.Kind.TEAM, TEAM_THREAD[: 4 - index % 2])]
        if index == 0 and Role.DOCTOR in team:
            doctor, roles = team[Role.DOCTOR]
            services.conversation_open_health(actor=doctor, roles=roles, beneficiary=b,
                                              access=access)
            threads.append((Conversation.Kind.HEALTH, HEALTH_THREAD))
        for kind, script in threads:
            candidates = mention_candidates(beneficiary=b, kind=kind)
            for role, text, mention in script:
                if role not in team:
                    continue
                author, roles = team[role]
                mentioned = [team[mention][0]] if mention in team else []
                services.message_post(
                    actor=author, roles=roles, beneficiary=b, access=access, kind=kind,
                    text=text.format(coordinator=mentioned[0].username if mentioned else ""),
                    mentions=mentioned, candidates=candidates)


# (days ago, kind, reason, outcome, remote professional: a profession of the directory or a
# name outside it)
TELEHEALTH = [
    (170, "teleconsultation", "Plaie du talon qui ne cicatrise pas.",
     "Avis de l'équipe plaies et cicatrisation : pansement adapté, revue dans 15 jours.",
     "Dr Leroux, dermatologue, CHU d'Angers"),
    (152, "teleexpertise", "Chutes répétées, question sur le traitement antihypertenseur.",
     "Traitement allégé, surveillance tensionnelle couchée-debout.", "geriatrician"),
    (139, "telecare", "Séance de rééducation de l'équilibre à distance.",
     "Exercices réalisés, à poursuivre deux fois par semaine.",
     "M. Hardy, masseur-kinésithérapeute"),
    (121, "teleconsultation", "Essoufflement à l'effort.",
     "Bilan cardiaque programmé, pas d'urgence.", "Dr Caron, cardiologue, clinique de l'Anjou"),
    (104, "teleconsultation", "Renouvellement d'ordonnance, médecin traitant absent.",
     "Ordonnance renouvelée pour trois mois.", "gp"),
    (88, "teleexpertise", "Troubles du comportement le soir.",
     "Avis de l'équipe mobile : pas de neuroleptique, rituel du coucher.", "geriatrician"),
    (71, "telecare", "Suivi orthophonique des troubles de la déglutition.",
     "Textures adaptées confirmées.", "Mme Gilles, orthophoniste"),
    (57, "teleconsultation", "Douleurs articulaires du genou.",
     "Antalgique adapté, infiltration à discuter.", "Dr Leroux, rhumatologue, CHU d'Angers"),
    (40, "teleconsultation", "Sortie d'hospitalisation, point à J+7.",
     "Évolution favorable, fin des anticoagulants prévue.", "geriatrician"),
    (26, "teleexpertise", "Lésion cutanée suspecte sur le bras.",
     "Photographies transmises : bénigne, simple surveillance.",
     "Dr Leroux, dermatologue, CHU d'Angers"),
    (12, "telecare", "Séance de rééducation de l'équilibre à distance.",
     "Progrès nets, moins de peur de tomber.", "M. Hardy, masseur-kinésithérapeute"),
    (3, "teleconsultation", "Fièvre et toux depuis deux jours.",
     "Pas de signe de gravité, traitement symptomatique, rappel si aggravation.", "gp"),
]


def load_telehealth(ctx: DemoContext) -> None:
    """A dozen telehealth acts over six months on files of CRT Anjou Bleu, accompanied by the
    nurses of the CRT (or the doctor)."""
    from django.utils import timezone

    from maillage.beneficiaries.access import FileAccess

    access = FileAccess(identity=True, planning=True, liaison=True, health=True)
    crt, files = _anjou_bleu_files(ctx, 6)
    if not files:
        return
    directory = {p.profession: p for p in Professional.objects.filter(crt=crt).order_by("pk")}
    today = timezone.localdate()
    for index, (days, kind, reason, outcome, remote) in enumerate(TELEHEALTH):
        b = files[index % len(files)]
        ctx.clock(None)
        team = _team_by_role(crt, b)
        staff = (team.get(Role.NURSE) or team.get(Role.DOCTOR) or team[Role.COORDINATOR])[0]
        professional = directory.get(remote)
        ctx.clock(ctx.day_at(today - timedelta(days=days), 11 + index % 6))
        services.telehealth_record(
            actor=staff, beneficiary=b, access=access, kind=kind,
            performed_at=datetime.combine(today - timedelta(days=days), time(10 + index % 6),
                                          tzinfo=timezone.get_current_timezone()),
            staff=staff, reason=reason, outcome=outcome, professional=professional,
            professional_name="" if professional else remote)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    from .models import Alert, CarePlanVersion, LiaisonNote

    crts = ctx.crts.values()
    return (f"Coordination… {CarePlanVersion.objects.filter(crt__in=crts).count()} versions de "
            f"plan, {LiaisonNote.objects.filter(crt__in=crts).count()} transmissions, "
            f"{Alert.objects.filter(crt__in=crts).count()} alertes")
