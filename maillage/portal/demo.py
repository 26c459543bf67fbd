"""Demo data of the portal: notes shared with Jeanne Hamon's caregiver (her son Michel, account
``caregiver``; her own account is ``beneficiary``), and a message Michel wrote to the team.
Her coming visits come from the visits demo."""

from maillage.beneficiaries.access import FileAccess
from maillage.beneficiaries.models import Caregiver, CareTeamMember
from maillage.care import services as care_services
from maillage.care.models import LiaisonNote
from maillage.core.demo import DemoContext
from maillage.core.models import Membership

from . import services

# (the author's role in the care team, said of a woman or a man), category, text, written
# (days ago, hour, minute)
SHARED = [
    (("IDEC référente", "IDEC référent"), "general",
     "L'ergothérapeute passera la semaine prochaine pour les barres d'appui de la salle de "
     "bains ; nous vous appellerons pour convenir de l'heure.", (4, 16, 20)),
    (("Aide-soignante", "Aide-soignant"), "mood",
     "Belle matinée : Mme Hamon a fait le tour du jardin et parlé de ses petits-enfants.",
     (1, 11, 40)),
]
FROM_CAREGIVER = ("Je serai absent du 12 au 19 ; ma sœur Anne passera le samedi. "
                  "Maman a demandé si le passage du soir pouvait être un peu plus tard.")
CAREGIVER_WROTE = (2, 20, 15)  # days ago, hour, minute


def load(ctx: DemoContext) -> None:
    caregiver = (Caregiver.objects.filter(user__username="caregiver")
                 .select_related("beneficiary__crt").first())
    if caregiver is None:
        return
    b = caregiver.beneficiary
    team = {m.role: m.user for m in CareTeamMember.objects.active()
            .filter(beneficiary=b, user__isnull=False).select_related("user")}
    access = FileAccess(identity=True, planning=True, liaison=True, health=True)
    for team_roles, category, text, written in SHARED:
        author = next((team[role] for role in team_roles if role in team), None)
        if author is None:
            continue
        roles = frozenset(Membership.objects.get(user=author, crt=b.crt).roles.values_list(
            "role", flat=True))
        with ctx.at(ctx.past(*written)):
            care_services.note_add(actor=author, roles=roles, beneficiary=b, access=access,
                                   category=category,
                                   visibility=LiaisonNote.Visibility.CAREGIVER, text=text)
    with ctx.at(ctx.past(*CAREGIVER_WROTE)):
        services.caregiver_note_post(actor=caregiver.user, caregiver=caregiver,
                                     text=FROM_CAREGIVER)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    shared = LiaisonNote.objects.filter(crt__in=ctx.crts.values(),
                                        visibility=LiaisonNote.Visibility.CAREGIVER)
    return f"Portail… {shared.count()} transmissions partagées avec les aidants"
