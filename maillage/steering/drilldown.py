"""How the drill-down page lists the records behind a figure: for each model an indicator may
count, its columns, its order, what to load with it (one query a page) and the page each row
links to. A model not listed here (an indicator added later) is still listed, by its French
type, date and short id (``core.audit.object_label_for``), with no link: nothing to change for
its figures to appear, only a presenter to add here for nicer rows.

Only structured fields are shown (names, dates, choices): never a free text, which may be
health data (a call's assessment, a temporary exit's reason)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Model, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone

from maillage.core.audit import object_label_for
from maillage.core.formats import euros
from maillage.core.permissions import has_permission


@dataclass(frozen=True)
class Record:
    """One row of the page: its cells, the page it links to (None: no page, or one the viewer
    may not open), and the person it is about, for the audit of the read."""

    cells: tuple[str, ...]
    url: str | None = None
    beneficiary: Model | None = None
    attendee: Model | None = None


@dataclass(frozen=True)
class Presenter:
    headings: tuple[str, ...]
    #: Field names or expressions, for ``order_by``.
    order: tuple
    related: tuple[str, ...]
    #: ``row(obj, link)`` -> Record, where ``link(url_name, public_id)`` gives the URL when the
    #: viewer holds the permission of that page, else None.
    row: Callable[..., Record]
    #: The permission of the page each row links to.
    permission: str = ""


def by_name(prefix: str = ""):
    """A person's order as their name shows (``display_name``: the used name, else the birth
    name), case aside."""
    return Lower(Coalesce(NullIf(F(f"{prefix}used_name"), Value("")), F(f"{prefix}birth_name")))


def _day(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _choice(obj, name: str) -> str:
    return getattr(obj, f"get_{name}_display")() or "—"


def _name(person) -> str:
    return person.display_name if person is not None else "—"


def _beneficiary(b, link) -> Record:
    return Record((b.display_name, _day(b.birth_date),
                   b.commune.name if b.commune_id else "—"),
                  link("beneficiaries:detail", public_id=b.public_id), beneficiary=b)


def _enrolment(e, link) -> Record:
    return Record((e.beneficiary.display_name, _day(e.admitted_on), _day(e.ended_on),
                   _choice(e, "exit_reason") if e.ended_on else "—"),
                  link("admissions:enrolment_detail", public_id=e.public_id),
                  beneficiary=e.beneficiary)


def _forfait_month(m, link) -> Record:
    from maillage.core.indicators import MONTHS

    return Record((m.beneficiary.display_name, f"{MONTHS[m.month.month - 1]} {m.month.year}"),
                  link("admissions:enrolment_detail", public_id=m.enrolment.public_id),
                  beneficiary=m.beneficiary)


def _suspension(s, link) -> Record:
    b = s.enrolment.beneficiary
    return Record((b.display_name, _choice(s, "kind"), _day(s.start_date), _day(s.end_date)),
                  link("admissions:enrolment_detail", public_id=s.enrolment.public_id),
                  beneficiary=b)


def _call(c, link) -> Record:
    return Record((_day(c.received_at), _choice(c, "source"), _choice(c, "reason"),
                   _choice(c, "outcome"), _name(c.beneficiary)),
                  link("oncall:call", call_id=c.public_id), beneficiary=c.beneficiary)


def _telehealth_act(a, link) -> Record:
    if a.beneficiary_id:
        url = link("care:telehealth", public_id=a.beneficiary.public_id)
    else:
        url = link("care:telehealth_person", public_id=a.attendee.public_id)
    return Record((_day(a.performed_at), _choice(a, "kind"),
                   _name(a.beneficiary or a.attendee)),
                  url, beneficiary=a.beneficiary, attendee=a.attendee)


def _position(p, link) -> Record:
    holder = p.holder.get_full_name() or p.holder.username if p.holder_id else "—"
    return Record((_choice(p, "profession"), holder, f"{p.fte}".replace(".", ","),
                   _day(p.starts_on), _day(p.ends_on)),
                  link("organisation:position_edit", public_id=p.public_id))


def _agreement(a, link) -> Record:
    return Record((a.title, _choice(a, "subject"), _day(a.starts_on), _day(a.ends_on)),
                  link("territory:agreement_detail", public_id=a.public_id))


def _attendee(a, link) -> Record:
    return Record((a.display_name, _choice(a, "kind"),
                   a.get_employer_type_display() if a.employer_type else "—"),
                  None, attendee=a)


def _session(s, link) -> Record:
    return Record((_day(s.starts_at), s.action.title, _choice(s, "status")),
                  link("outreach:session_detail", public_id=s.public_id))


def _action(a, link) -> Record:
    return Record((a.title, _choice(a, "field"), _choice(a, "funding")),
                  link("outreach:action_detail", public_id=a.public_id))


def _participation(p, link) -> Record:
    person = p.beneficiary or p.attendee
    return Record((_name(person), _choice(p, "kind"), _day(p.session.starts_at),
                   p.session.action.title),
                  link("outreach:session_detail", public_id=p.session.public_id),
                  beneficiary=p.beneficiary, attendee=p.attendee)


def _expense(e, link) -> Record:
    return Record((_day(e.spent_on), e.label, euros(e.amount), _choice(e, "nature"),
                   _choice(e, "volet"), e.domain.name if e.domain_id else "—"),
                  link("steering:expense_edit", public_id=e.public_id))


def _response(r, link) -> Record:
    # Anonymous: the collection, the respondent's category and how it came in, never a person
    # nor a comment.
    return Record((_day(r.created_at), r.collection.subject_label, _choice(r, "respondent"),
                   _choice(r, "channel")),
                  link("surveys:collection_detail", public_id=r.collection.public_id))


PRESENTERS: dict[str, Presenter] = {
    "beneficiaries.Beneficiary": Presenter(
        ("Personne", "Date de naissance", "Commune"), (by_name(), "first_name", "pk"),
        ("commune",), _beneficiary, "beneficiary.view"),
    "admissions.Enrolment": Presenter(
        ("Personne", "Admission", "Sortie", "Motif de sortie"), ("-admitted_on", "pk"),
        ("beneficiary",), _enrolment, "enrolment.view"),
    "admissions.ForfaitMonth": Presenter(
        ("Personne", "Mois"), ("month", by_name("beneficiary__"), "pk"),
        ("beneficiary", "enrolment"), _forfait_month, "enrolment.view"),
    "admissions.Suspension": Presenter(
        ("Personne", "Type", "Du", "Au"), ("-start_date", "pk"),
        ("enrolment__beneficiary",), _suspension, "enrolment.view"),
    "oncall.Call": Presenter(
        ("Reçu le", "Appel de", "Motif", "Issue", "Personne"), ("-received_at", "pk"),
        ("beneficiary",), _call, "oncall.calls.view"),
    "care.TelehealthAct": Presenter(
        ("Date", "Type d'acte", "Personne"), ("-performed_at", "pk"),
        ("beneficiary", "attendee"), _telehealth_act, "telehealth.view"),
    "organisation.Position": Presenter(
        ("Profession", "Titulaire", "ETP", "Du", "Au"), ("profession", "starts_on", "pk"),
        ("holder",), _position, "position.manage"),
    "territory.Agreement": Presenter(
        ("Convention", "Objet", "Du", "Au"), ("starts_on", "pk"), (), _agreement,
        "agreement.view"),
    "outreach.Attendee": Presenter(
        ("Personne", "Inscrite comme", "Structure employeuse"), ("last_name", "first_name", "pk"),
        (), _attendee),
    "outreach.Session": Presenter(
        ("Date", "Action", "État"), ("-starts_at", "pk"), ("action",), _session,
        "outreach.view"),
    "outreach.SupportAction": Presenter(
        ("Action", "Axe", "Financement"), ("title", "pk"), (), _action, "outreach.view"),
    "outreach.Participation": Presenter(
        ("Personne", "Inscrite comme", "Séance", "Action"), ("-session__starts_at", "pk"),
        ("beneficiary", "attendee", "session__action"), _participation,
        "outreach.participants"),
    "steering.Expense": Presenter(
        ("Date", "Libellé", "Montant", "Nature", "Volet", "Domaine"), ("-spent_on", "pk"),
        ("domain",), _expense, "budget.manage"),
    "surveys.Response": Presenter(
        ("Reçue le", "Collecte", "Répondant", "Origine"), ("-created_at", "pk"),
        ("collection",), _response, "survey.results"),
}


def _generic(obj, link) -> Record:
    url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None
    return Record((object_label_for(obj),), url)


GENERIC = Presenter(("Enregistrement",), ("pk",), (), _generic)


def presenter_for(model) -> Presenter:
    return PRESENTERS.get(model._meta.label, GENERIC)


def ordered(records: QuerySet, presenter: Presenter) -> QuerySet:
    """The drill-down queryset in the presenter's order, its related rows joined."""
    records = records.order_by(*presenter.order)
    return records.select_related(*presenter.related) if presenter.related else records


def rows(objects, presenter: Presenter, roles) -> list[Record]:
    """The page's rows; a link only when the viewer may open that page (the page itself
    checks its own object rules again)."""
    allowed = not presenter.permission or has_permission(roles, presenter.permission)

    def link(url_name: str, **kwargs) -> str | None:
        return reverse(url_name, kwargs=kwargs) if allowed else None

    return [presenter.row(obj, link) for obj in objects]
