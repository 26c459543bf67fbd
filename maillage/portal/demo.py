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

SHARED = [  # (the author's role in the care team, said of a woman or a man), category, text
    (("IDEC référente", "IDEC référent"), "general",
     "L'ergothérapeute passera la semaine prochaine pour les barres d'appui de la salle de "
     "bains ; nous vous appellerons pour convenir de l'heure."),
    (("Aide-soignante", "Aide-soignant"), "mood",
     "Belle matinée : Mme Hamon a fait le tour du jardin et parlé de ses petits-enfants."),
]
FROM_CAREGIVER = ("Je serai absent du 12 au 19 ; ma sœur Anne passera le samedi. "
                  "Maman a demandé si le passage du soir pouvait être un peu plus tard.")


def load(ctx: DemoContext) -> None:
    caregiver = (Caregiver.objects.filter(user__username="caregiver")
                 .select_related("beneficiary__crt").first())
    if caregiver is None:
        return
    b = caregiver.beneficiary
    team = {m.role: m.user for m in CareTeamMember.objects.active()
            .filter(beneficiary=b, user__isnull=False).select_related("user")}
    access = FileAccess(identity=True, planning=True, liaison=True, health=True)
    for team_roles, category, text in SHARED:
        author = next((team[role] for role in team_roles if role in team), None)
        if author is None:
            continue
        roles = frozenset(Membership.objects.get(user=author, crt=b.crt).roles.values_list(
            "role", flat=True))
        care_services.note_add(actor=author, roles=roles, beneficiary=b, access=access,
                               category=category, visibility=LiaisonNote.Visibility.CAREGIVER,
                               text=text)
    services.caregiver_note_post(actor=caregiver.user, caregiver=caregiver, text=FROM_CAREGIVER)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    shared = LiaisonNote.objects.filter(crt__in=ctx.crts.values(),
                                        visibility=LiaisonNote.Visibility.CAREGIVER)
    return f"Portail… {shared.count()} transmissions partagées avec les aidants"
