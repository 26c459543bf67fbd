"""Reads of coordination: catalogue, plans, notebook, alerts, conversations, telehealth."""

from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import (
    Alert,
    BasketItem,
    CarePlanVersion,
    Conversation,
    ConversationRead,
    Domain,
    LiaisonNote,
    LiaisonNoteRead,
    Message,
    Service,
    TelehealthAct,
    UnreadCounter,
)


def catalogue(*, crt) -> list[Domain]:
    return list(
        Domain.objects.filter(crt=crt).prefetch_related(
            Prefetch("services", queryset=Service.objects.select_related("provider"))
        )
    )


def basket(*, beneficiary) -> list[BasketItem]:
    return list(BasketItem.objects.filter(beneficiary=beneficiary)
                .select_related("service__domain", "service__provider")
                .order_by("end_date", "service__domain__position", "service__name"))


def versions(*, beneficiary) -> list[CarePlanVersion]:
    return list(CarePlanVersion.objects.filter(plan__beneficiary=beneficiary)
                .select_related("validated_by", "referent", "based_on").order_by("-number"))


def version_with_items(*, beneficiary, number: int) -> CarePlanVersion:
    from django.http import Http404

    version = (
        CarePlanVersion.objects.filter(plan__beneficiary=beneficiary, number=number)
        .select_related("referent", "validated_by", "plan__beneficiary")
        .prefetch_related("problems", "goals__status_changes__changed_by",
                          "actions__domain", "actions__service", "actions__staff",
                          "actions__professional")
        .first()
    )
    if version is None:
        raise Http404("Version inconnue.")
    return version


def plans_in_force(*, crt=None):
    """The version in force of each plan: its latest validated version."""
    validated = CarePlanVersion.Status.VALIDATED
    latest_number = (
        CarePlanVersion.objects.filter(plan=OuterRef("plan"), status=validated)
        .order_by("-number").values("number")[:1]
    )
    qs = CarePlanVersion.objects.filter(status=validated, number=Subquery(latest_number))
    return qs.filter(crt=crt) if crt is not None else qs


def plan_review(*, version, beneficiary, today=None) -> dict:
    """What happened since the plan in force was validated (its last review), to prepare the
    next one: the visits of each service (done, not done, cancelled, not yet traced — one
    grouped query), the services the plan's actions name, the goals with their history, the
    alerts raised by kind (one grouped query). ``version`` comes from ``version_with_items``."""
    from maillage.visits.models import Visit

    today = today or timezone.localdate()
    since = timezone.localdate(version.validated_at) if version.validated_at else today
    start = timezone.make_aware(datetime.combine(since, time.min))
    status = Visit.Status
    rows = (
        Visit.objects.filter(beneficiary=beneficiary, starts_at__gte=start,
                             starts_at__lt=timezone.now())
        .order_by().values("service_id", "service__name")
        .annotate(done=Count("pk", filter=Q(status=status.DONE)),
                  not_done=Count("pk", filter=Q(status=status.NOT_DONE)),
                  cancelled=Count("pk", filter=Q(status=status.CANCELLED)),
                  untraced=Count("pk", filter=Q(status=status.PLANNED)))
    )
    by_service = {r["service_id"]: r for r in rows}
    planned = {}
    for action in version.actions.all():  # prefetched with the version
        if action.service_id and action.service_id not in planned:
            planned[action.service_id] = action.service.name
    services = []
    for service_id, name in planned.items():
        row = by_service.pop(service_id, None) or {"done": 0, "not_done": 0, "cancelled": 0,
                                                    "untraced": 0}
        services.append({**row, "name": name, "in_plan": True})
    for row in sorted(by_service.values(), key=lambda r: r["service__name"] or "~"):
        services.append({**row, "name": row["service__name"] or "Passage sans prestation",
                         "in_plan": False})
    totals = {k: sum(s[k] for s in services)
              for k in ("done", "not_done", "cancelled", "untraced")}
    alerts = list(
        Alert.objects.filter(beneficiary=beneficiary, created_at__gte=start)
        .order_by().values("kind").annotate(n=Count("pk"),
                                            open=Count("pk", filter=~Q(status="resolved")))
        .order_by("-n", "kind")
    )
    kinds = dict(Alert.Kind.choices)
    for a in alerts:
        a["label"] = kinds.get(a["kind"], a["kind"])
    return {"since": since, "days": (today - since).days, "services": services,
            "totals": totals, "goals": list(version.goals.all()),
            "alerts": alerts}


#: A plan shows among the plans to review this many days before its review date.
REVIEW_NOTICE_DAYS = 15


def reviews_due(*, crt, within_days: int = REVIEW_NOTICE_DAYS) -> list[CarePlanVersion]:
    """Plans in force (the latest validated version of each) due for review soon or overdue."""
    limit = timezone.localdate() + timedelta(days=within_days)
    return list(
        plans_in_force(crt=crt).filter(next_review_on__lte=limit)
        .select_related("plan__beneficiary", "referent")
        .order_by("next_review_on")
    )


def notes(*, beneficiary, user, access, category: str = "", unread: bool = False):
    qs = (LiaisonNote.objects.filter(beneficiary=beneficiary)
          .select_related("author")
          .annotate(read_by_me=Exists(LiaisonNoteRead.objects.filter(
              note=OuterRef("pk"), user=user))))
    if not access.health:
        qs = qs.exclude(visibility=LiaisonNote.Visibility.HEALTH)
    if category:
        qs = qs.filter(category=category)
    if unread:
        qs = qs.filter(read_by_me=False)
    return qs.order_by("-created_at", "-id")


def alerts(*, beneficiary):
    return (Alert.objects.filter(beneficiary=beneficiary)
            .select_related("raised_by", "assignee", "acknowledged_by", "resolved_by")
            .order_by("status", "-created_at"))


def measure_alert(*, sign) -> Alert | None:
    """The latest alert a measure raised (``Alert.vital_sign``), or None: the screens that
    correct or retract the measure say what became of it."""
    return Alert.objects.filter(vital_sign=sign).order_by("-created_at", "-id").first()


def open_alerts(*, crt, limit: int | None = None):
    qs = (Alert.objects.filter(crt=crt).exclude(status=Alert.Status.RESOLVED)
          .select_related("beneficiary", "assignee").order_by("-created_at"))
    return list(qs[:limit]) if limit else qs


# --- Conversations -------------------------------------------------------------------------


def readable_conversations(*, crt, user, roles):
    """The threads this user may read: the team thread of each person whose liaison they may
    see, the health thread of each person whose health data they may see (``file_access``)."""
    from maillage.beneficiaries.access import (
        health_visible_beneficiaries,
        liaison_visible_beneficiaries,
    )

    return Conversation.objects.filter(crt=crt).filter(
        Q(kind=Conversation.Kind.TEAM,
          beneficiary__in=liaison_visible_beneficiaries(crt=crt, user=user, roles=roles))
        | Q(kind=Conversation.Kind.HEALTH,
            beneficiary__in=health_visible_beneficiaries(crt=crt, user=user, roles=roles))
    )


def _followed(*, crt, user, roles):
    """The readable threads the user follows: those of the people whose care team they are in,
    and those they opened, wrote in or were mentioned in (a read mark)."""
    from maillage.beneficiaries.models import CareTeamMember

    in_team = CareTeamMember.objects.active().filter(
        beneficiary=OuterRef("beneficiary")).for_user(user)
    opened = ConversationRead.objects.filter(conversation=OuterRef("pk"), user=user)
    return readable_conversations(crt=crt, user=user, roles=roles).filter(
        Exists(in_team) | Exists(opened))


def _unread(user):
    """Messages of others that ``user`` has not read (written after their read mark)."""
    read = ConversationRead.objects.filter(conversation=OuterRef("conversation"), user=user,
                                           last_read_at__gte=OuterRef("created_at"))
    return Message.objects.exclude(author=user).filter(~Exists(read))


def my_conversations(*, crt, user, roles):
    """The threads the user follows, with their unread count, newest activity first."""
    unread = (_unread(user).filter(conversation=OuterRef("pk")).order_by()
              .values("conversation").annotate(n=Count("pk")).values("n"))
    return (_followed(crt=crt, user=user, roles=roles)
            .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0))
            .select_related("beneficiary")
            .order_by(F("last_message_at").desc(nulls_last=True), "-pk"))


def _followed_ids(*, crt, user):
    """The ids of the threads the user follows (readable or not): a UNION of three index
    lookups — care team as staff, care team as a professional of the directory, read marks —
    instead of the OR-joins of ``_followed``."""
    from maillage.beneficiaries.models import CareTeamMember

    team = CareTeamMember.objects.active().filter(crt=crt)
    as_staff = Conversation.objects.filter(
        crt=crt, beneficiary__in=team.filter(user=user).values("beneficiary_id")).values("pk")
    as_professional = Conversation.objects.filter(
        crt=crt, beneficiary__in=team.filter(professional__user=user).values("beneficiary_id"),
    ).values("pk")
    opened = ConversationRead.objects.filter(user=user, conversation__crt=crt).values(
        "conversation_id")
    return as_staff.union(as_professional, opened)


def unread_message_count(*, crt, user, roles) -> int:
    """Unread messages across the threads the user follows: the badge of the navigation, on
    every page (one query). It starts from the few threads the user follows
    (``_followed_ids``), keeps the messages of others after the read mark (anti-join on
    ``conversation_read_once``) and checks the file policy per thread (correlated EXISTS on
    the thread's person), instead of building the set of every person of the CRT the user may
    read: its cost does not grow with the CRT (EXPLAIN in docs/performance-notes/core.md).
    Same count as the sum of ``my_conversations``' unread counts (tested)."""
    from maillage.beneficiaries.access import (
        health_visible_beneficiaries,
        liaison_visible_beneficiaries,
    )

    person = OuterRef("conversation__beneficiary_id")
    liaison = liaison_visible_beneficiaries(crt=crt, user=user, roles=roles).filter(pk=person)
    health = health_visible_beneficiaries(crt=crt, user=user, roles=roles).filter(pk=person)
    return (_unread(user)
            .filter(crt=crt, conversation__in=_followed_ids(crt=crt, user=user))
            .filter((Q(conversation__kind=Conversation.Kind.TEAM) & Exists(liaison))
                    | (Q(conversation__kind=Conversation.Kind.HEALTH) & Exists(health)))
            .count())


def unread_badge(*, crt, user, roles) -> int:
    """The navigation's unread-messages badge, on every page: the user's stored counter (one
    row by a unique index), maintained by the services from ``unread_message_count``, which
    stays the rule (``services.unread``). A user without a counter yet (no change since they
    joined, before the nightly repair writes every member's) gets the rule's count; no write
    on a page view. A user who follows no thread (most of them, until they join a care team)
    has 0 without evaluating the rule."""
    count = (UnreadCounter.objects.filter(crt=crt, user=user)
             .values_list("count", flat=True).first())
    if count is None:
        # Most members without a counter yet follow no thread at all: a cheap check first.
        if not _followed_ids(crt=crt, user=user).exists():
            return 0
        return unread_message_count(crt=crt, user=user, roles=roles)
    return count


def thread_messages(*, conversation):
    """Newest first (pages of the history); the page shows each page oldest first."""
    return (Message.objects.filter(conversation=conversation)
            .select_related("author").prefetch_related("mentions")
            .order_by("-created_at", "-id"))


def last_read_at(*, conversation, user):
    if conversation is None:
        return None
    return (ConversationRead.objects.filter(conversation=conversation, user=user)
            .values_list("last_read_at", flat=True).first())


def mention_candidates(*, beneficiary, kind: str, crt=None, exclude=None) -> list:
    """The care-team members with an account who may read the thread of ``kind``: the people
    an author (``exclude``) may mention. One query per member (a care team is a handful of
    people)."""
    from maillage.beneficiaries.access import (
        health_visible_beneficiaries,
        liaison_visible_beneficiaries,
    )
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.core.models import Membership
    from maillage.core.permissions import has_permission

    members = CareTeamMember.objects.active().filter(beneficiary=beneficiary).select_related(
        "user", "professional__user")
    crt = crt or beneficiary.crt
    users = {}
    for m in members:
        user = m.user or (m.professional.user if m.professional_id else None)
        if user is not None and user.is_active and user != exclude:
            users[user.pk] = user
    roles_of = {}
    for membership in Membership.objects.filter(
            crt=crt, user__in=list(users), is_active=True).prefetch_related("roles"):
        roles_of[membership.user_id] = frozenset(r.role for r in membership.roles.all())
    visible = (health_visible_beneficiaries if kind == Conversation.Kind.HEALTH
               else liaison_visible_beneficiaries)
    allowed = [
        u for u in users.values()
        if has_permission(roles_of.get(u.pk, ()), "conversation.view")
        and visible(crt=crt, user=u, roles=roles_of[u.pk]).filter(pk=beneficiary.pk).exists()
    ]
    return sorted(allowed, key=lambda u: (u.last_name, u.first_name, u.username))


# --- Telehealth ----------------------------------------------------------------------------


def telehealth_acts(*, beneficiary):
    return (TelehealthAct.objects.filter(beneficiary=beneficiary)
            .select_related("staff", "professional").order_by("-performed_at", "-id"))


def telehealth_acts_of_attendee(*, attendee):
    """The acts about one older person of the territory (the caller checked the policy)."""
    return (TelehealthAct.objects.filter(crt_id=attendee.crt_id, attendee=attendee)
            .select_related("staff", "professional").order_by("-performed_at", "-id"))


def telehealth_territory(*, crt, user, roles):
    """The acts about older people of the territory that ``user`` may see, newest first."""
    from .access import territory_acts_visible

    return (territory_acts_visible(crt=crt, user=user, roles=roles)
            .select_related("attendee__commune", "staff").order_by("-performed_at", "-id"))


def telehealth_by_month(*, crt, since, until=None) -> list[dict]:
    """Acts of the CRT since ``since`` (before ``until``), counted by month (Europe/Paris) and
    kind: the rows of the indicator table, newest month first, each with a count per kind and
    a total."""
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    acts = TelehealthAct.objects.filter(crt=crt, performed_at__gte=since)
    if until is not None:
        acts = acts.filter(performed_at__lt=until)
    rows = (acts
            .annotate(month=TruncMonth("performed_at", tzinfo=timezone.get_current_timezone()))
            .values("month", "kind").annotate(n=Count("pk")).order_by())
    months: dict = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        counts = months.setdefault(month, dict.fromkeys(TelehealthAct.Kind.values, 0))
        counts[row["kind"]] += row["n"]
    return [
        {"month": month, "counts": [counts[k] for k in TelehealthAct.Kind.values],
         "total": sum(counts.values())}
        for month, counts in sorted(months.items(), reverse=True)
    ]


def telehealth_by_kind(*, crt, since, until) -> dict:
    """Acts of the CRT in [since, until) counted by kind and by volet in one grouped query:
    volet 2 (beneficiaries with a file), volet 1 (older people of the territory), and those
    done or accompanied by staff of an EHPAD — the carrier when it is one, or a partner EHPAD
    (V1-03). ``{"rows": [{"label", "volet2", "volet1", "ehpad", "total"}…], "totals": {…}}``,
    one row per kind (zeros included)."""
    from maillage.core.models import Crt

    employers = [TelehealthAct.PerformerEmployer.PARTNER_EHPAD]
    if crt.carrier_type == Crt.CarrierType.EHPAD:
        employers.append(TelehealthAct.PerformerEmployer.CARRIER)
    counted = {
        row["kind"]: row for row in (
            TelehealthAct.objects.filter(crt=crt, performed_at__gte=since,
                                         performed_at__lt=until)
            .values("kind")
            .annotate(volet2=Count("pk", filter=Q(beneficiary__isnull=False)),
                      volet1=Count("pk", filter=Q(attendee__isnull=False)),
                      ehpad=Count("pk", filter=Q(performer_employer__in=employers)),
                      total=Count("pk"))
            .order_by())
    }
    columns = ("volet2", "volet1", "ehpad", "total")
    rows = [{"label": label, **{c: counted.get(kind, {}).get(c, 0) for c in columns}}
            for kind, label in TelehealthAct.Kind.choices]
    return {"rows": rows, "totals": {c: sum(r[c] for r in rows) for c in columns}}


def telehealth_recent(*, crt):
    return (TelehealthAct.objects.filter(crt=crt).select_related("staff")
            .order_by("-performed_at", "-id"))


def prescription_requests(*, beneficiary):
    """The person's prescription requests, newest first (the caller checked the file's health
    face), with their letter's sending state and the answer."""
    from .models import PrescriptionRequest

    return (PrescriptionRequest.objects.filter(crt_id=beneficiary.crt_id, beneficiary=beneficiary)
            .select_related("gp", "message", "answer_document", "created_by")
            .order_by("-created_at", "-id"))


def active_service(*, crt, public_id: str):
    """The CRT's active service named in a link (``?prestation=``), or None: a service since
    withdrawn, another CRT's, a malformed id — the booking form then opens without it."""
    from maillage.core.validators import is_uuid

    from .models import Service

    if not is_uuid(public_id):
        return None
    return Service.objects.filter(crt=crt, is_active=True, public_id=public_id).first()
