"""Demo positions: every member of each CRT's team holds a position with its FTE split between
volet 1, volet 2 and coordination; one care-aide position is vacant in each CRT. Written
through the services."""

from datetime import timedelta
from decimal import Decimal

from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import CRT_TEAM, Role

from . import services
from .models import Position

P = Position.Profession
E = Position.Employment
D = Decimal

# role -> (profession, employment, fte, volet 1, volet 2, coordination, qualification)
BY_ROLE = {
    Role.DIRECTION: (P.DIRECTION, E.SALARIED, "0.50", "0.10", "0.10", "0.30",
                     "Directrice d'établissement (CAFDES)"),
    Role.COORDINATOR: (P.COORDINATOR, E.SALARIED, "1.00", "0", "0.60", "0.40",
                       "Infirmière diplômée d'État, DU coordination gérontologique"),
    Role.DOCTOR: (P.DOCTOR, E.SALARIED, "0.20", "0", "0.20", "0",
                  "Capacité de gériatrie"),
    Role.NURSE: (P.NURSE, E.SALARIED, "1.00", "0", "1.00", "0", "Diplôme d'État infirmier"),
    Role.CARE_AIDE: (P.CARE_AIDE, E.SALARIED, "1.00", "0.10", "0.90", "0",
                     "Diplôme d'État d'aide-soignant"),
    Role.PSYCHOLOGIST: (P.PSYCHOLOGIST, E.MADE_AVAILABLE, "0.50", "0.20", "0.30", "0",
                        "Master de psychologie (mise à disposition par le SSIAD)"),
    Role.OCCUPATIONAL_THERAPIST: (P.OCCUPATIONAL_THERAPIST, E.SALARIED, "0.50", "0.20",
                                  "0.30", "0", "Diplôme d'État d'ergothérapeute"),
    Role.ACTIVITY_LEADER: (P.ACTIVITY_LEADER, E.SALARIED, "1.00", "1.00", "0", "0",
                           "BPJEPS animation sociale"),
    Role.ADMIN_STAFF: (P.ADMIN, E.SALARIED, "0.50", "0.10", "0.20", "0.20",
                       "Secrétaire médico-sociale"),
}
ORDER = list(BY_ROLE)


def _profession(role: str, title: str) -> str:
    if role == Role.CARE_AIDE and "ASG" in title:
        return P.GERONTOLOGY_AIDE
    if role == Role.CARE_AIDE and "AES" in title:
        return P.HOME_AIDE
    return BY_ROLE[role][0]


def load(ctx: DemoContext) -> None:
    for crt in ctx.crts.values():
        memberships = list(Membership.objects.filter(crt=crt, is_active=True)
                           .select_related("user").prefetch_related("roles")
                           .order_by("user__username"))
        actor = next(m.user for m in memberships
                     if any(r.role == Role.COORDINATOR for r in m.roles.all()))
        starts_on = crt.opened_on
        with ctx.at(starts_on - timedelta(days=7)):
            for m in memberships:
                team_roles = sorted((r.role for r in m.roles.all() if r.role in CRT_TEAM),
                                    key=ORDER.index)
                if not team_roles:
                    continue
                role = team_roles[0]
                _, employment, fte, v1, v2, coord, qualification = BY_ROLE[role]
                shared = m.user.memberships.count() > 1  # the mutualised night nurse
                if shared:
                    fte, v2 = "0.50", "0.50"
                services.position_create(
                    actor=actor, crt=crt, profession=_profession(role, m.title),
                    qualification=qualification, employment=employment, fte=D(fte),
                    fte_volet1=D(v1), fte_volet2=D(v2), fte_coordination=D(coord),
                    starts_on=starts_on, ends_on=None, holder=m.user,
                    notes="Poste partagé avec l'autre CRT" if shared else "")
        with ctx.at(ctx.today - timedelta(days=45)):
            services.position_create(
                actor=actor, crt=crt, profession=P.CARE_AIDE,
                qualification="Diplôme d'État d'aide-soignant", employment=E.SALARIED,
                fte=D("1.00"), fte_volet1=D("0"), fte_volet2=D("1.00"),
                fte_coordination=D("0"), starts_on=ctx.today - timedelta(days=30),
                ends_on=None, holder=None, notes="Recrutement en cours (départ en retraite)")


def summary(ctx: DemoContext) -> str:
    crts = ctx.crts.values()
    positions = Position.objects.filter(crt__in=crts)
    return (f"Organisation… {positions.count()} postes, "
            f"{positions.filter(holder__isnull=True).count()} vacants")
