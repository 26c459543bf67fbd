"""The satisfaction questionnaire of a volet 1 session (issue 13 item 2), through the
``surveys`` app: one collection per session, grouped by its action and categorised by the
action's field, with one answer code per registered participant (by who they are: older person,
caregiver, professional, as indicator V1-09 counts them).

The attendance sheet prints the questionnaire's short link as a QR code (where a code is typed)
and, on a page of its own, one slip per participant with a personal QR code to cut out and hand
over. Results per action and per field are those of ``surveys.selectors.results_for``."""

from collections import Counter

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from maillage.core.errors import DomainError
from maillage.surveys import qr
from maillage.surveys import selectors as survey_selectors
from maillage.surveys import services as survey_services
from maillage.surveys.models import Collection

from .models import Participation, Session, SupportAction

SUBJECT_KIND = "outreach.session"


def subject_label(session: Session) -> str:
    return f"{session.action.title} — {timezone.localtime(session.starts_at):%d/%m/%Y}"


def collection_of(session: Session) -> Collection | None:
    return survey_selectors.collection_for_subject(
        crt=session.crt, subject_kind=SUBJECT_KIND, subject_public_id=session.public_id)


def _wanted(session: Session) -> Counter:
    """One code per participant not cancelled, by who they are (a volet 2 beneficiary is an
    older person here)."""
    return Counter(Participation.objects.filter(session=session).exclude(
        status=Participation.Status.CANCELLED).values_list("kind", flat=True))


@transaction.atomic
def session_satisfaction_open(*, actor, session: Session) -> Collection:
    """Open the session's questionnaire (the CRT's session questionnaire in service) and make
    sure each participant has a code: codes are added only for participants registered since
    (printing twice or opening twice never adds codes for the same people)."""
    if session.status == Session.Status.CANCELLED:
        raise DomainError("Cette séance est annulée : pas de questionnaire.", field="session")
    wanted = _wanted(session)
    if not wanted:
        raise DomainError("Inscrivez d'abord des participants : chacun reçoit un code.",
                          field="session")
    action: SupportAction = session.action
    existing = collection_of(session)
    have = Counter(survey_selectors.codes(collection=existing).values_list(
        "respondent", flat=True)) if existing else Counter()
    missing = {kind: n - have[kind] for kind, n in wanted.items() if n > have[kind]}
    return survey_services.collection_open(
        actor=actor, crt=session.crt, subject_kind=SUBJECT_KIND,
        subject_public_id=session.public_id, subject_label=subject_label(session),
        group_key=str(action.public_id), group_label=action.title,
        category_key=action.field, category_label=action.get_field_display(),
        codes=missing, opened_on=timezone.localtime(session.starts_at).date())


def sheet_context(request, session: Session) -> dict:
    """What the attendance sheet prints of the questionnaire: the short link's QR code and
    one slip per unused code (none before the questionnaire is opened)."""
    collection = collection_of(session)
    if collection is None:
        return {"satisfaction_url": None, "satisfaction_qr_svg": None, "slips": []}
    short = request.build_absolute_uri(reverse("surveys:answer_enter"))
    slips = [{"code": c.display, "url": qr.answer_url(request, c.code),
              "qr": mark_safe(qr.qr_svg(qr.answer_url(request, c.code), scale=2))}  # noqa: S308
             for c in survey_selectors.codes(collection=collection, unused_only=True)]
    return {"satisfaction_url": short,
            "satisfaction_qr_svg": mark_safe(qr.qr_svg(short, scale=3)),  # noqa: S308
            "slips": slips}


def session_summary(*, request, session: Session) -> dict | None:
    """The session page's questionnaire box: codes handed out, answers, links."""
    collection = collection_of(session)
    if collection is None:
        return None
    found = survey_selectors.results_for(
        crt=request.crt, user=request.user, roles=request.roles, subject_kind=SUBJECT_KIND,
        group_by="collection", keys=[collection.public_id])
    return {"collection": collection, "result": found[0] if found else None,
            "missing": sum((_wanted(session) - Counter(survey_selectors.codes(
                collection=collection).values_list("respondent", flat=True))).values())}


def action_results(*, request, action: SupportAction):
    """The action's results (all its sessions' answers), or None without answers or rights."""
    found = survey_selectors.results_for(
        crt=request.crt, user=request.user, roles=request.roles, subject_kind=SUBJECT_KIND,
        group_by="group", keys=[action.public_id])
    return found[0] if found and found[0].responses else None
