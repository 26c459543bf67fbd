from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone

from maillage.beneficiaries.tests.factories import PDF
from maillage.care.models import (
    BasketItem,
    CarePlan,
    CarePlanVersion,
    Conversation,
    Domain,
    Goal,
    Message,
    PlannedAction,
    Problem,
    Service,
    TelehealthAct,
)
from maillage.care.services.unread import unread_counters_message_added


def domain(crt, code="securite", name="Sécurisation de l'environnement", position=1):
    return Domain.objects.get_or_create(crt=crt, code=code,
                                        defaults={"name": name, "position": position})[0]


def service(crt, **fields):
    fields.setdefault("name", "Passage d'aide-soignante")
    fields.setdefault("funding", Service.Funding.FORFAIT)
    return Service.objects.create(crt=crt, domain=fields.pop("domain", None) or domain(crt),
                                  **fields)


def plan_version(beneficiary, status="draft", number=1, **fields):
    plan, _ = CarePlan.objects.get_or_create(crt=beneficiary.crt, beneficiary=beneficiary)
    return CarePlanVersion.objects.create(crt=beneficiary.crt, plan=plan, number=number,
                                          status=status, **fields)


def filled(version, user):
    """Problems, a goal and an action: enough to validate."""
    crt = version.crt
    Problem.objects.create(crt=crt, version=version, description="Chutes nocturnes")
    Goal.objects.create(crt=crt, version=version, description="Aucune chute en 3 mois",
                        target_date=date(2026, 3, 1))
    PlannedAction.objects.create(crt=crt, version=version, domain=domain(crt),
                                 description="Passage du soir", staff=user,
                                 frequency="Tous les jours à 19 h")
    return version


def basket_item(beneficiary, svc=None):
    return BasketItem.objects.create(crt=beneficiary.crt, beneficiary=beneficiary,
                                     service=svc or service(beneficiary.crt),
                                     start_date=date(2025, 1, 1))


def conversation(beneficiary, kind=Conversation.Kind.TEAM):
    return Conversation.objects.get_or_create(crt=beneficiary.crt, beneficiary=beneficiary,
                                              kind=kind)[0]


def message(beneficiary, author=None, kind=Conversation.Kind.TEAM, text="Bonjour à tous",
            attachment: bool = False):
    from maillage.core.tests.factories import UserFactory

    thread = conversation(beneficiary, kind)
    msg = Message(crt=beneficiary.crt, conversation=thread, author=author or UserFactory(),
                  text=text)
    if attachment:
        msg.attachment_name, msg.attachment_type, msg.attachment_size = (
            "ordonnance.pdf", "application/pdf", len(PDF))
        msg.attachment.save(f"{msg.public_id}.pdf", ContentFile(PDF), save=False)
    msg.save()
    Conversation.objects.filter(pk=thread.pk).update(last_message_at=msg.created_at)
    # As ``message_post`` does: the followers' unread counters count it.
    unread_counters_message_added(msg)
    return msg


def telehealth_act(beneficiary, staff=None, **fields):
    from maillage.core.tests.factories import UserFactory

    fields.setdefault("kind", TelehealthAct.Kind.TELECONSULTATION)
    fields.setdefault("performed_at", timezone.now())
    fields.setdefault("professional_name", "Dr Martin, cardiologue, CHU d'Angers")
    fields.setdefault("reason", "Avis sur un souffle cardiaque")
    fields.setdefault("outcome", "Échographie prescrite")
    fields.setdefault("requester", TelehealthAct.Requester.ATTENDING_DOCTOR)
    fields.setdefault("performer_employer", TelehealthAct.PerformerEmployer.CARRIER)
    return TelehealthAct.objects.create(crt=beneficiary.crt, beneficiary=beneficiary,
                                        staff=staff or UserFactory(), **fields)


def territory_telehealth_act(attendee, staff=None, **fields):
    """An act about an older person of the territory (volet 1 light record)."""
    from maillage.core.tests.factories import UserFactory

    fields.setdefault("kind", TelehealthAct.Kind.TELECARE)
    fields.setdefault("performed_at", timezone.now())
    fields.setdefault("professional_name", "Mme Roux, orthophoniste")
    fields.setdefault("reason", "Troubles de la déglutition")
    fields.setdefault("outcome", "Exercices à poursuivre")
    fields.setdefault("requester", TelehealthAct.Requester.PERSON)
    fields.setdefault("performer_employer", TelehealthAct.PerformerEmployer.PARTNER_EHPAD)
    return TelehealthAct.objects.create(crt=attendee.crt, attendee=attendee,
                                        staff=staff or UserFactory(), **fields)


GP_ADDRESS = "jean.martin@medecin.mssante.fr"


def with_gp(beneficiary, address=GP_ADDRESS):
    """Dr Jean Martin, the person's GP in the care team, with an MSSanté address."""
    from datetime import date

    from maillage.beneficiaries.models import CareTeamMember
    from maillage.territory.tests.factories import ProfessionalFactory

    gp = ProfessionalFactory(crt=beneficiary.crt, last_name="Martin", first_name="Jean",
                             profession="gp", mssante_email=address)
    CareTeamMember.objects.create(crt=beneficiary.crt, beneficiary=beneficiary, professional=gp,
                                  role="Médecin traitant", is_gp=True,
                                  start_date=date(2024, 1, 1))
    return gp


def prescription_request(beneficiary, user=None, address=GP_ADDRESS, **fields):
    """A request sent to the person's GP (``with_gp``), its letter's message sent."""
    from maillage.core.models import OutboxMessage

    from ..models import PrescriptionRequest

    gp = with_gp(beneficiary, address)
    message = OutboxMessage.objects.create(crt=beneficiary.crt, to=address, subject="Demande",
                                           body="…", state=OutboxMessage.State.SENT)
    values = {"kind": "biology", "details": "NFS, ionogramme, créatinine",
              "context": "Fatigue depuis 15 jours", "gp": gp, "gp_address": address,
              "message": message, "created_by": user}
    values.update(fields)
    return PrescriptionRequest.objects.create(crt=beneficiary.crt, beneficiary=beneficiary,
                                              **values)
