"""The demo's 14 months of coordination history, bulk-created after every app's demo: the
liaison notes written during each accompaniment (about one every four days), the alerts raised
and resolved over the months, with their timeline entries and audit events, at their dates;
and, once volet 1's light records exist, a few telehealth acts for older people of the
territory (through the service, at their dates)."""

from datetime import timedelta
from random import Random

from django.db.models import Exists, OuterRef

from maillage.admissions.models import Enrolment
from maillage.beneficiaries.models import CareTeamMember, TimelineEvent
from maillage.core.demo import DemoContext, agreed, audit_event, insert_rows, keep_dates
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role

from .demo import ALERTS, NOTE_HOURS, NOTES
from .models import Alert, LiaisonNote, LiaisonNoteRead
from .services.liaison import author_role

OUTCOMES = [
    "Point avec l'équipe et l'aidante, plan ajusté.",
    "Médecin traitant prévenu, consultation dans la semaine.",
    "Matériel remplacé par le prestataire.",
    "Passage supplémentaire ajouté pendant deux semaines.",
]


def load(ctx: DemoContext) -> None:
    load_notes_and_alerts(ctx)
    load_territory_telehealth(ctx)


# (days ago, kind, requester, requester detail, employer, reason, outcome, remote professional)
TERRITORY_TELEHEALTH = [
    (320, "teleconsultation", "attending_doctor", "", "carrier",
     "Plaie de jambe qui traîne, médecin traitant en congé.",
     "Avis de l'infirmière de plaies : pansement hydrocellulaire, revue à 15 jours.",
     "Dr Leroux, dermatologue, CHU d'Angers"),
    (265, "telecare", "person", "", "partner_ehpad",
     "Séance d'orthophonie à distance (troubles de la déglutition).",
     "Textures adaptées, exercices à poursuivre.", "Mme Gilles, orthophoniste"),
    (210, "teleexpertise", "crt_team", "", "carrier",
     "Chutes à domicile, question sur le traitement du sommeil.",
     "Somnifère arrêté progressivement, avis transmis au médecin traitant.",
     "Dr Caron, gériatre, CHU d'Angers"),
    (160, "teleconsultation", "health_facility", "", "partner_ehpad",
     "Point à J+10 après une hospitalisation pour décompensation cardiaque.",
     "Poids stable, traitement diurétique inchangé.",
     "Dr Caron, cardiologue, clinique de l'Anjou"),
    (95, "teleconsultation", "other", "pharmacien d'officine", "other",
     "Douleurs du genou, question sur les antalgiques.",
     "Antalgique adapté, consultation de rhumatologie à prévoir.",
     "Dr Leroux, rhumatologue, CHU d'Angers"),
    (48, "telecare", "person", "", "carrier",
     "Rééducation de l'équilibre à distance après l'atelier prévention des chutes.",
     "Exercices réalisés, à poursuivre deux fois par semaine.",
     "M. Hardy, masseur-kinésithérapeute"),
    (20, "teleexpertise", "attending_doctor", "", "partner_ehpad",
     "Lésion cutanée suspecte sur la joue.",
     "Photographies transmises : surveillance, consultation si elle grossit.",
     "Dr Leroux, dermatologue, CHU d'Angers"),
    (6, "teleconsultation", "crt_team", "", "carrier",
     "Essoufflement inhabituel signalé à l'atelier.",
     "Pas de signe de gravité, bilan sanguin prescrit.", "Dr Caron, gériatre, CHU d'Angers"),
]


def load_territory_telehealth(ctx: DemoContext) -> None:
    """Eight acts over the year for older people of CRT Anjou Bleu who come to volet 1 (light
    records), accompanied by the demo nurse or doctor."""
    from django.contrib.auth import get_user_model

    from maillage.outreach.models import Attendee

    from .services import telehealth_record_for_attendee

    crt = ctx.crts["anjou_bleu"]
    people = list(Attendee.objects.filter(crt=crt, kind=Attendee.Kind.OLDER_PERSON)
                  .order_by("pk")[:5])
    staff = [u for u in get_user_model().objects.filter(
        username__in=["nurse", "doctor"]).order_by("username")
        if Membership.objects.filter(crt=crt, user=u, is_active=True).exists()]
    if not people or not staff:
        return
    for index, (days, kind, requester, detail, employer, reason, outcome, remote) in \
            enumerate(TERRITORY_TELEHEALTH):
        user = staff[index % len(staff)]
        roles = frozenset(Membership.objects.get(crt=crt, user=user).roles.values_list(
            "role", flat=True))
        at = DemoContext.day_at(ctx.today - timedelta(days=days), 10 + index % 6)
        ctx.clock(at + timedelta(hours=1))
        telehealth_record_for_attendee(
            actor=user, roles=roles, attendee=people[index % len(people)], kind=kind,
            performed_at=at, staff=user, reason=reason, outcome=outcome,
            professional_name=remote, requester=requester, requester_detail=detail,
            performer_employer=employer)
    ctx.clock(None)


def _team_reads(ctx: DemoContext, rng: Random) -> list[LiaisonNoteRead]:
    """Reads of the history's notes older than three days by the members of the person's care
    team (the author aside: already read), within a day of the note."""
    crts = list(ctx.crts.values())
    members: dict[int, list[int]] = {}
    for beneficiary_id, user_id in CareTeamMember.objects.filter(
            crt__in=crts, user__isnull=False).values_list("beneficiary_id", "user_id"):
        members.setdefault(beneficiary_id, []).append(user_id)
    cutoff = DemoContext.day_at(ctx.today - timedelta(days=3), 0)
    return [
        LiaisonNoteRead(note_id=pk, user_id=user_id,
                        read_at=at + timedelta(minutes=rng.randint(30, 20 * 60)))
        for pk, beneficiary_id, author_id, at in LiaisonNote.objects.filter(
            crt__in=crts, created_at__lt=cutoff,
            visibility__in=[LiaisonNote.Visibility.TEAM, LiaisonNote.Visibility.CAREGIVER])
        .order_by("pk").values_list("pk", "beneficiary_id", "author_id", "created_at")
        for user_id in sorted(set(members.get(beneficiary_id, ())) - {author_id})]


def load_notes_and_alerts(ctx: DemoContext) -> None:
    rng = Random(f"care-history-{ctx.scale}")
    today = ctx.today
    notes, alerts, timeline, events = [], [], [], []
    for crt in ctx.crts.values():
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        roles = {m.user_id: frozenset(m.roles.values_list("role", flat=True))
                 for m in Membership.objects.filter(crt=crt).prefetch_related("roles")}
        writers: dict[int, list] = {}
        for m in CareTeamMember.objects.filter(crt=crt, user__isnull=False).select_related(
                "user").order_by("pk"):
            if m.user_id != coordinator.pk and m.user_id in roles:
                writers.setdefault(m.beneficiary_id, []).append(m.user)
        for e in Enrolment.objects.filter(crt=crt).select_related("beneficiary").order_by("pk"):
            b = e.beneficiary
            people = writers.get(b.pk) or [coordinator]
            # Until three days ago: the last days are the recent demo's.
            last = min(e.ended_on or today, today - timedelta(days=3))
            day = e.admitted_on + timedelta(days=rng.randint(1, 4))
            while day <= last:
                author = rng.choice(people)
                category, visibility, text = rng.choice(NOTES)
                # At the hours its text tells (``NOTE_HOURS``; drawn as ever).
                slot, minute = rng.choice([8, 9, 12, 18, 19]), rng.randint(0, 59)
                since, until = NOTE_HOURS[category]
                at = DemoContext.day_at(day, since + slot % (until - since), minute)
                note = LiaisonNote(crt=crt, beneficiary=b, author=author,
                                   author_role=author_role(roles.get(author.pk, ())),
                                   category=category, visibility=visibility,
                                   text=agreed(text, b.sex),
                                   created_at=at, updated_at=at, created_by=author,
                                   updated_by=author)
                notes.append(note)
                events.append(audit_event(actor=author, action="note.added", obj=note,
                                          beneficiary=b, at=at))
                if rng.random() < 0.06:  # an alert, dealt with in a few days
                    kind, severity, description = rng.choice(ALERTS)
                    resolved = min(at + timedelta(days=rng.randint(1, 6),
                                                  hours=rng.randint(1, 5)),
                                   ctx.real_now() - timedelta(hours=1))
                    alert = Alert(crt=crt, beneficiary=b, kind=kind, severity=severity,
                                  description=description, raised_by=author,
                                  assignee=coordinator, status=Alert.Status.RESOLVED,
                                  acknowledged_at=at + timedelta(hours=2),
                                  acknowledged_by=coordinator, resolved_at=resolved,
                                  resolved_by=coordinator, outcome=rng.choice(OUTCOMES),
                                  created_at=at, updated_at=resolved, created_by=author,
                                  updated_by=coordinator)
                    alerts.append(alert)
                    label = dict(Alert.Kind.choices)[kind].lower()
                    timeline += [
                        TimelineEvent(crt=crt, beneficiary=b, occurred_at=at,
                                      kind="alert.raised",
                                      title=f"Alerte : {label} "
                                            f"({dict(Alert.Severity.choices)[severity].lower()})",
                                      created_at=at, updated_at=at, created_by=author,
                                      updated_by=author),
                        TimelineEvent(crt=crt, beneficiary=b, occurred_at=resolved,
                                      kind="alert.resolved", title=f"Alerte résolue : {label}",
                                      created_at=resolved, updated_at=resolved,
                                      created_by=coordinator, updated_by=coordinator),
                    ]
                    events += [
                        audit_event(actor=author, action="alert.raised", obj=alert,
                                    beneficiary=b, at=at),
                        audit_event(actor=coordinator, action="alert.resolved", obj=alert,
                                    beneficiary=b, at=resolved),
                    ]
                # The larger demos (benchmarks) get a sparser notebook.
                day += timedelta(days=rng.randint(2, 6) * (1 if ctx.scale == 1 else 5))
    with keep_dates(LiaisonNote, Alert, TimelineEvent, LiaisonNoteRead):
        insert_rows(LiaisonNote, notes)
        # Read by their authors as they wrote them (as ``note_add`` marks them): never « nouvelle »
        # to who wrote it. The rows have no key back from ``insert_rows``: read from the table.
        own = LiaisonNoteRead.objects.filter(note=OuterRef("pk"), user=OuterRef("author"))
        insert_rows(LiaisonNoteRead, [
            LiaisonNoteRead(note_id=pk, user_id=author, read_at=at)
            for pk, author, at in LiaisonNote.objects.filter(crt__in=list(ctx.crts.values()))
            .exclude(Exists(own)).values_list("pk", "author_id", "created_at").iterator()])
        # The care team has read the notes of the weeks gone by (those shared with the whole
        # team: a health-only note is left to the reads its readers make): only the last
        # days' are still « nouvelle » to a colleague, not a year of them.
        insert_rows(LiaisonNoteRead, _team_reads(ctx, rng))
        insert_rows(Alert, alerts)
        insert_rows(TimelineEvent, timeline)
    # The events name their objects by public id (set when the objects were built).
    insert_rows(AuditEvent, events)
    ctx.history["transmissions"] = len(notes)
    ctx.history["alertes"] = len(alerts)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    return (f"Historique 14 mois… {ctx.history.get('transmissions', 0)} transmissions, "
            f"{ctx.history.get('alertes', 0)} alertes traitées")
