"""Demo data of coordination: the domains, a catalogue, baskets and personalised plans
(validated, some revised into a second version, a few drafts), transmissions and alerts,
conversations (one health professionals' thread) and telehealth acts."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from random import Random

from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.core.demo import DemoContext, agreed, insert_rows
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Organization, Professional

from . import services
from .models import (
    BasketItem,
    CarePlan,
    CarePlanVersion,
    Domain,
    Goal,
    PlannedAction,
    Problem,
    Service,
)
from .services.plans import VERSION_TEXT_FIELDS, add_months

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
    load_prescriptions(ctx)


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
        batch = _PlanBatch(coordinator, crt)
        for index, stay in enumerate(stays):
            b = stay.beneficiary
            ctx.clock(stay.admitted_on)
            for svc in rng.sample(socle, k=3) + rng.sample(catalogue, k=1):
                batch.basket_add(b, svc, start_date=stay.admitted_on)
            if index % 10 == 9:
                continue  # no plan yet: the coordinator's to-do
            # Written in the weeks after the admission (own rng: the rest stays as it was).
            written = min(stay.admitted_on + timedelta(days=dates.randint(7, 30)), today)
            ctx.clock(written)
            draft = batch.new_version(b)
            batch.update(draft, situation_summary=f"{b.display_name}, {b.age} ans, GIR "
                                                  f"{b.current_gir}. Vit à domicile avec des "
                                                  "aides ; risque de chute la nuit.",
                         wishes="Rester à la maison le plus longtemps possible.",
                         life_project="Continuer à voir ses amies du club le jeudi.",
                         referent=coordinator,
                         next_review_on=today + timedelta(days=rng.randint(-10, 170)))
            for text in ("Chutes nocturnes", "Isolement en semaine"):
                batch.add_problem(draft, text)
            # Due three months after the plan: the older plans' goals are due this year and
            # most reached, so that V2-14a has goals to count.
            target = written + timedelta(days=90)
            batch.add_goal(draft, "Aucune chute grave dans les 3 mois", target_date=target,
                           status=Goal.Status.IN_PROGRESS if target >= today
                           else Goal.Status.ACHIEVED if index % 4 else
                           Goal.Status.PARTIALLY_ACHIEVED)
            batch.add_action(draft, domain=domains["suivi"], description="Toilette et lever",
                             staff=rng.choice(aides) if aides else None,
                             frequency="Tous les jours à 8 h", start_date=stay.admitted_on)
            batch.add_action(draft, domain=domains["securite"],
                             description="Passage de coucher et vérification de la "
                                         "téléassistance",
                             staff=rng.choice(aides) if aides else None,
                             frequency="Tous les jours à 19 h", start_date=stay.admitted_on)
            if nurses:
                batch.add_action(draft, domain=domains["suivi"],
                                 description="Préparation du pilulier",
                                 professional=rng.choice(nurses), frequency="Le lundi",
                                 start_date=stay.admitted_on)
            if index % 10 == 8:
                continue  # a draft waiting for validation
            batch.validate(draft)
            if index % 3 == 0:  # revised once: a second version
                ctx.clock(written + (today - written) * dates.randint(40, 90) // 100)
                second = batch.new_version(b, previous=draft)
                batch.add_goal(second, "Un week-end de répit par mois pour l'aidante",
                               status="planned")
                batch.update(second,
                             situation_summary=second.situation_summary + " L'aidante s'épuise.",
                             wishes=second.wishes, life_project=second.life_project,
                             referent=coordinator, next_review_on=second.next_review_on)
                batch.validate(second)
        batch.flush()


class _PlanBatch:
    """What ``basket_add`` and the ``careplan_*`` services write for the demo's plans (rows,
    audit events, timeline entries, at the demo clock's dates), inserted in bulk for a CRT.
    Their checks hold by construction: new files (no basket, no plan yet), services and
    domains of the CRT, the coordinator as referent, staff taken from the CRT's members,
    every plan validated with a summary, a goal and actions."""

    def __init__(self, actor, crt):
        from maillage.beneficiaries.models import TimelineEvent

        self.actor, self.crt = actor, crt
        self.open_basket = set(BasketItem.objects.filter(
            crt=crt, end_date__isnull=True).values_list("beneficiary_id", "service_id"))
        self.plans: dict[int, CarePlan] = {}
        self.versions: list[CarePlanVersion] = []
        self.items: dict[type, list] = {BasketItem: [], Problem: [], Goal: [],
                                        PlannedAction: []}
        self.children: dict[int, dict[str, list]] = {}  # id(version) -> kind -> rows
        self.events: list = []
        self.timeline: list[TimelineEvent] = []
        self._timeline_model = TimelineEvent

    def _audit(self, action: str, obj, b, details=None) -> None:
        from maillage.core.audit import safe_details
        from maillage.core.demo import audit_event

        event = audit_event(actor=self.actor, action=action, at=timezone.now(), obj=obj,
                            beneficiary=b, details=safe_details(obj, details))
        event.ip_address, event.user_agent = None, ""  # as audit_log outside a request
        self.events.append(event)

    def _timeline(self, b, kind: str, title: str) -> None:
        now = timezone.now()
        self.timeline.append(self._timeline_model(
            crt=b.crt, beneficiary=b, occurred_at=now, kind=kind, title=title[:250],
            is_health_data=False, created_by=self.actor, updated_by=self.actor,
            created_at=now, updated_at=now))

    def basket_add(self, b, service, *, start_date) -> None:
        if (b.pk, service.pk) in self.open_basket:
            return
        self.open_basket.add((b.pk, service.pk))
        now = timezone.now()
        item = BasketItem(crt=b.crt, beneficiary=b, service=service, start_date=start_date,
                          notes="", created_by=self.actor, updated_by=self.actor,
                          created_at=now, updated_at=now)
        self.items[BasketItem].append(item)
        self._audit("basket.added", item, b)
        self._timeline(b, "basket.added", f"Prestation ajoutée : {service.name}")

    def new_version(self, b, previous: CarePlanVersion | None = None) -> CarePlanVersion:
        now = timezone.now()
        plan = self.plans.get(b.pk)
        if plan is None:
            plan = self.plans[b.pk] = CarePlan(
                crt=b.crt, beneficiary=b, created_by=self.actor, updated_by=self.actor,
                created_at=now, updated_at=now)
        now = timezone.now()
        version = CarePlanVersion(
            crt=b.crt, plan=plan, number=previous.number + 1 if previous else 1,
            based_on=previous, created_by=self.actor, updated_by=self.actor, created_at=now,
            updated_at=now,
            **({f: getattr(previous, f) for f in VERSION_TEXT_FIELDS if f != "next_review_on"}
               if previous else {}))
        version._beneficiary = b
        self.versions.append(version)
        rows = self.children[id(version)] = {"problems": [], "goals": [], "actions": []}
        if previous is not None:
            old = self.children[id(previous)]
            for p in old["problems"]:
                self.add_problem(version, p.description)
            for g in old["goals"]:
                self.add_goal(version, g.description, target_date=g.target_date,
                              status=g.status)
            for a in old["actions"]:
                self.add_action(version, domain=a.domain, service=a.service,
                                description=a.description, staff=a.staff,
                                professional=a.professional, frequency=a.frequency,
                                start_date=a.start_date, end_date=a.end_date)
        assert rows is self.children[id(version)]
        self._audit("care_plan.version_started", version, b, {"version": version.number})
        return version

    def update(self, version: CarePlanVersion, **fields) -> None:
        for field, value in fields.items():
            setattr(version, field, value)
        self._bump(version)
        self._audit("care_plan.updated", version, version._beneficiary)

    def _bump(self, version: CarePlanVersion) -> None:
        version.version += 1
        version.updated_by, version.updated_at = self.actor, timezone.now()

    def _child(self, model, version, kind: str, **fields):
        now = timezone.now()
        rows = self.children[id(version)][kind]
        obj = model(crt=version.crt, version=version, position=len(rows), created_at=now,
                    updated_at=now, **fields)
        rows.append(obj)
        self.items[model].append(obj)
        return obj

    def add_problem(self, version, description: str) -> None:
        self._child(Problem, version, "problems", description=description)

    def add_goal(self, version, description: str, *, target_date=None,
                 status: str = Goal.Status.PLANNED) -> None:
        self._child(Goal, version, "goals", description=description, target_date=target_date,
                    status=status)

    def add_action(self, version, *, domain, description: str, service=None, staff=None,
                   professional=None, frequency: str = "", start_date=None,
                   end_date=None) -> None:
        self._child(PlannedAction, version, "actions", domain=domain, service=service,
                    description=description, staff=staff, professional=professional,
                    frequency=frequency, start_date=start_date, end_date=end_date)

    def validate(self, version: CarePlanVersion) -> None:
        version.status = CarePlanVersion.Status.VALIDATED
        version.validated_at, version.validated_by = timezone.now(), self.actor
        default_review = add_months(timezone.localdate(version.validated_at),
                                    self.crt.plan_review_months)
        if version.next_review_on is None or version.next_review_on > default_review:
            version.next_review_on = default_review
        self._bump(version)
        b = version._beneficiary
        self._audit("care_plan.validated", version, b,
                    {"version": version.number,
                     "prochaine révision": f"{version.next_review_on:%d/%m/%Y}"})
        self._timeline(b, "care_plan.validated",
                       f"Plan personnalisé validé (version {version.number}), prochaine "
                       f"révision le {version.next_review_on:%d/%m/%Y}")

    def flush(self) -> None:
        from maillage.core.demo import keep_dates
        from maillage.core.models import AuditEvent

        models = [BasketItem, CarePlan, CarePlanVersion, Problem, Goal, PlannedAction,
                  self._timeline_model]
        with keep_dates(*models):
            BasketItem.objects.bulk_create(self.items[BasketItem], batch_size=500)
            # Each insert returns the primary keys the next rows point at (bulk_create takes
            # them from the related objects); a second version points at the first.
            CarePlan.objects.bulk_create(list(self.plans.values()), batch_size=500)
            CarePlanVersion.objects.bulk_create(
                [v for v in self.versions if v.based_on is None], batch_size=500)
            CarePlanVersion.objects.bulk_create(
                [v for v in self.versions if v.based_on is not None], batch_size=500)
            for model in (Problem, Goal, PlannedAction):
                model.objects.bulk_create(self.items[model], batch_size=500)
            insert_rows(self._timeline_model, self.timeline)
        insert_rows(AuditEvent, self.events)


#: (category, visibility, text said of the person: ``agreed``)
NOTES = [
    ("general", "team", "Bonne matinée, a pris son petit-déjeuner seul{e}."),
    ("meals", "team", "A peu mangé ce midi ; repas du soir complet."),
    ("mood", "caregiver", "Content{e} de la visite de sa fille, a parlé du jardin."),
    ("care", "health", "Rougeur au talon droit, protection posée, à surveiller."),
    ("medication", "health", "Pilulier vérifié, traitement du soir pris."),
    ("fall", "team", "Retrouvé{e} assis{e} au sol près du lit, sans douleur, relevé{e} à deux."),
]
#: When each kind of note is written (from, until: hours of the day), as its text tells: the
#: morning visit's toilet and breakfast, the evening's meal and pills, the daughter's visit.
NOTE_HOURS = {"general": (9, 11), "meals": (19, 21), "mood": (17, 19), "care": (8, 10),
              "medication": (19, 21), "fall": (7, 9)}


def note_time(category: str, rng: Random) -> tuple[int, int]:
    """An hour and a minute at which a note of ``category`` is written (``NOTE_HOURS``)."""
    start, end = NOTE_HOURS[category]
    return rng.randrange(start, end), rng.randrange(60)


ALERTS = [
    ("fall", "high", "Deuxième chute en une semaine, la nuit."),
    ("weight_loss", "medium", "Perte de 3 kg en deux mois."),
    ("caregiver_exhaustion", "high", "La fille dit ne plus pouvoir assurer les week-ends."),
    ("equipment", "medium", "Médaillon de téléassistance hors service."),
]


def load_notes_and_alerts(ctx: DemoContext) -> None:
    """Transmissions and alerts of the last three days on the active files, written by the
    care-team members (their history: ``demo_history``), each at its hour."""
    from maillage.beneficiaries.models import CareTeamMember

    ctx.clock(None)
    rng = ctx.rng
    for crt in ctx.crts.values():
        # The times have their own rng: the other draws stay as they were.
        times = Random(f"{crt.name}-recent-notes")
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        stays = Enrolment.objects.filter(crt=crt, ended_on__isnull=True).select_related(
            "beneficiary").order_by("pk")
        roles_of: dict[int, frozenset] = {}  # one query per author, not per note
        notes = _NoteBatch()
        for index, stay in enumerate(stays):
            b = stay.beneficiary
            writers = [m.user for m in CareTeamMember.objects.active().filter(
                beneficiary=b, user__isnull=False).select_related("user")
                if m.user != coordinator]
            for days, (category, visibility, text) in zip((2, 1, 0), rng.sample(NOTES, k=3),
                                                          strict=True):
                author = rng.choice(writers) if writers else coordinator
                roles = roles_of.get(author.pk)
                if roles is None:
                    roles = roles_of[author.pk] = frozenset(
                        Membership.objects.get(user=author, crt=crt).roles.values_list(
                            "role", flat=True))
                notes.add(author=author, roles=roles, beneficiary=b, category=category,
                          visibility=visibility, text=text,
                          at=ctx.past(days, *note_time(category, times)))
            if index % 6 == 0:
                # Raised yesterday or the day before; every other one dealt with since.
                raised = ctx.past(1 + index // 6 % 2, times.randrange(8, 17), times.randrange(60))
                kind, severity, text = ALERTS[(index // 6) % len(ALERTS)]
                ctx.clock(raised)
                alert = services.alert_raise(actor=rng.choice(writers) if writers
                                             else coordinator, beneficiary=b, kind=kind,
                                             severity=severity, description=text)
                if index % 12 == 0:
                    ctx.clock(raised + timedelta(hours=times.randint(2, 6)))
                    services.alert_resolve(actor=coordinator, alert=alert,
                                           version=alert.version,
                                           outcome="Point avec l'équipe et l'aidante, "
                                                   "plan ajusté.")
                ctx.clock(None)
        notes.flush()


class _NoteBatch:
    """What ``note_add`` writes (the note, its author's read mark, the audit event), inserted
    in bulk. Its checks hold by construction: the authors are members of the care team (or
    the coordinator), the files are active with their consents, the texts are set."""

    def __init__(self):
        self.notes: list = []
        self.events: list = []

    def add(self, *, author, roles, beneficiary, category: str, visibility: str,
            text: str, at) -> None:
        """The note, written at ``at``."""
        from maillage.core.audit import safe_details
        from maillage.core.demo import audit_event

        from .models import LiaisonNote
        from .services.liaison import author_role

        note = LiaisonNote(
            crt=beneficiary.crt, beneficiary=beneficiary, author=author, category=category,
            visibility=visibility, text=agreed(text, beneficiary.sex).strip(),
            author_role=author_role(roles), created_by=author, updated_by=author, created_at=at,
            updated_at=at)
        self.notes.append(note)
        event = audit_event(actor=author, action="note.added", at=at, obj=note,
                            beneficiary=beneficiary, details=safe_details(
                                note, {"catégorie": note.get_category_display()}))
        event.ip_address, event.user_agent = None, ""  # as audit_log outside a request
        self.events.append(event)

    def flush(self) -> None:
        from maillage.core.demo import keep_dates
        from maillage.core.models import AuditEvent

        from .models import LiaisonNote, LiaisonNoteRead

        with keep_dates(LiaisonNote):
            LiaisonNote.objects.bulk_create(self.notes, batch_size=500)
        with keep_dates(LiaisonNoteRead):  # read by their authors as they wrote them
            LiaisonNoteRead.objects.bulk_create(
                [LiaisonNoteRead(note=n, user=n.author, read_at=n.created_at)
                 for n in self.notes], batch_size=500)
        insert_rows(AuditEvent, self.events)
        self.notes, self.events = [], []


# Who writes (a role of the care team), what (said of the person: ``agreed``), whom they
# mention (a role, or None), and when (hour, minute: the day of the thread).
TEAM_THREAD = [
    (Role.CARE_AIDE, "Bonjour, {Mme} a refusé son petit-déjeuner ce matin : {il} dit ne pas "
                     "avoir faim.", None, (8, 40)),
    (Role.NURSE, "Merci. Je passe ce midi pour {la} peser. @{coordinator}, peux-tu prévenir sa "
                 "fille ?", Role.COORDINATOR, (9, 15)),
    (Role.COORDINATOR, "Fille prévenue, elle passe ce soir et apportera des compotes.", None,
     (10, 30)),
    (Role.CARE_AIDE, "Repas du soir pris en entier, bonne humeur.", None, (19, 45)),
]
#: A message that mentions someone, as written when no one of that role is in the care team
#: (the mention left out: the thread read « @, peux-tu prévenir sa fille ? »).
UNMENTIONED = {
    TEAM_THREAD[1][1]: "Merci. Je passe ce midi pour {la} peser, et je préviens sa fille.",
}
#: The doctor's thread, the day before the team's: the results came in the afternoon.
HEALTH_THREAD = [
    (Role.DOCTOR, "Bilan biologique reçu : albumine basse. Je propose un complément nutritionnel "
                  "oral matin et soir.", Role.NURSE, (14, 10)),
    (Role.NURSE, "Noté : mise en place demain, pesée chaque lundi.", None, (14, 40)),
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
    """A team conversation with a mention on a few files of CRT Anjou Bleu (four per unit of
    scale: the benchmark's messaging page lists ten times as many threads at ×10), and the
    health professionals' thread on the first one."""
    from maillage.beneficiaries.access import FileAccess

    from .models import Conversation
    from .selectors import mention_candidates

    access = FileAccess(identity=True, planning=True, liaison=True, health=True)
    crt, files = _anjou_bleu_files(ctx, 4 * ctx.scale)
    for index, b in enumerate(files):
        team = _team_by_role(crt, b)
        # The n-th file's thread n days ago (its last message an hour old at least).
        day = timezone.localdate(ctx.past(1 + index, *TEAM_THREAD[-1][3]))
        threads = [(Conversation.Kind.TEAM, TEAM_THREAD[: 4 - index % 2], day)]
        if index == 0 and Role.DOCTOR in team:
            doctor, roles = team[Role.DOCTOR]
            with ctx.at(ctx.day_at(day - timedelta(days=1), *HEALTH_THREAD[0][3])):
                services.conversation_open_health(actor=doctor, roles=roles, beneficiary=b,
                                                  access=access)
            threads.insert(0, (Conversation.Kind.HEALTH, HEALTH_THREAD,
                               day - timedelta(days=1)))
        for kind, script, on in threads:
            candidates = mention_candidates(beneficiary=b, kind=kind)
            for role, text, mention, (hour, minute) in script:
                if role not in team:
                    continue
                author, roles = team[role]
                mentioned = [team[mention][0]] if mention in team else []
                if mention is not None and not mentioned:
                    text = UNMENTIONED[text]
                with ctx.at(ctx.day_at(on, hour, minute)):
                    services.message_post(
                        actor=author, roles=roles, beneficiary=b, access=access, kind=kind,
                        text=agreed(text, b.sex,
                                    coordinator=mentioned[0].username if mentioned else ""),
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


#: Who asked for each act and whom the staff who accompanied it works for, in turn (V1-03).
TELEHEALTH_REQUESTERS = ["attending_doctor", "crt_team", "attending_doctor", "health_facility",
                         "person"]
TELEHEALTH_EMPLOYERS = ["carrier", "carrier", "partner_ehpad", "carrier", "other"]


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
            professional_name="" if professional else remote,
            requester=TELEHEALTH_REQUESTERS[index % len(TELEHEALTH_REQUESTERS)],
            performer_employer=TELEHEALTH_EMPLOYERS[index % len(TELEHEALTH_EMPLOYERS)])


#: (days ago, kind, details, context, answered after days or None, reminders)
PRESCRIPTIONS = [
    (21, "nursing_care", "Renouvellement des soins infirmiers à domicile (toilette, surveillance "
     "cutanée, pilulier) pour 3 mois.", "Perte d'autonomie stable, GIR 2.", 2, 0),
    (9, "equipment", "Lit médicalisé électrique avec barrières et matelas à air.",
     "Deux chutes nocturnes en un mois ; escarre de talon débutante.", None, 1),
    (2, "biology", "NFS, ionogramme, créatinine, albumine.",
     "Fatigue et baisse des apports depuis 15 jours ; poids -2 kg.", None, 0),
]


def load_prescriptions(ctx: DemoContext) -> None:
    """Three prescription requests to the GP on the demo nurse's first files (CRT Anjou Bleu):
    one answered (the GP's prescription attached), one reminded once, one just sent. Written
    directly, as they would stand after the MSSanté exchanges (the demo sends no message)."""
    from django.core.files.base import ContentFile

    from maillage.beneficiaries.demo import _pdf
    from maillage.beneficiaries.models import Document
    from maillage.core.models import OutboxMessage

    from .models import PrescriptionRequest
    from .services.prescriptions import current_gp

    crt, files = _anjou_bleu_files(ctx, 3)
    now = timezone.now()
    for b, (days, kind, details, context, answered, reminders) in zip(files, PRESCRIPTIONS,
                                                                     strict=False):
        member = current_gp(b)
        if member is None or not member.professional.mssante_email:
            continue
        team = _team_by_role(crt, b)
        nurse = (team.get(Role.NURSE) or team.get(Role.DOCTOR) or (None,))[0]
        sent_at = now - timedelta(days=days)
        gp = member.professional
        message = OutboxMessage.objects.create(
            crt=crt, kind=OutboxMessage.Kind.MSSANTE, to=gp.mssante_email,
            subject="Demande de prescription", body="(démonstration)",
            state=OutboxMessage.State.SENT, attempts=1, created_at=sent_at, sent_at=sent_at)
        req = PrescriptionRequest.objects.create(
            crt=crt, beneficiary=b, kind=kind, details=details, context=context, gp=gp,
            gp_address=gp.mssante_email, message=message, created_by=nurse, updated_by=nurse,
            reminders=reminders,
            last_sent_at=sent_at + timedelta(days=7 * reminders))
        PrescriptionRequest.objects.filter(pk=req.pk).update(created_at=sent_at)
        if answered is not None:
            received = sent_at + timedelta(days=answered)
            content = _pdf(f"Ordonnance — {req.reference}")
            doc = Document(crt=crt, beneficiary=b, category=Document.Category.MEDICAL,
                           title=f"Réponse du médecin traitant — {req.get_kind_display()} "
                                 f"({req.reference})",
                           document_date=received.date(), original_name="ordonnance.pdf",
                           content_type="application/pdf", size=len(content))
            doc.file.save(f"{doc.public_id}.pdf", ContentFile(content), save=False)
            doc.save()
            PrescriptionRequest.objects.filter(pk=req.pk).update(
                status=PrescriptionRequest.Status.ANSWERED, answered_at=received,
                answer_document=doc)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    from .models import Alert, CarePlanVersion, LiaisonNote

    crts = ctx.crts.values()
    return (f"Coordination… {CarePlanVersion.objects.filter(crt__in=crts).count()} versions de "
            f"plan, {LiaisonNote.objects.filter(crt__in=crts).count()} transmissions, "
            f"{Alert.objects.filter(crt__in=crts).count()} alertes")
