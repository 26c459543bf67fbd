"""Demo data of the core app: the two CRTs of the 2025 Pays de la Loire call and their people.

Deterministic: names come from fixed lists through the seeded ``rng`` of the demo command.
Phone numbers are in the ranges ARCEP reserves for fiction (02 61 91 xx xx, 06 39 98 xx xx).
"""

import functools
import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from random import Random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connections, models, router
from django.utils import timezone
from stdnum import luhn

from .models import Crt, Membership, MembershipRole, Region, RegionMembership
from .roles import Role

DEMO_PASSWORD = "maillage-demo"  # noqa: S105 - documented demo password, demo data only


@dataclass
class DemoContext:
    """Shared between the apps' demo modules, in INSTALLED_APPS order."""

    rng: Random
    scale: int
    crts: dict[str, Crt] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    #: Receives one French line per loading step (the command prints them); None: quiet.
    progress: Callable[[str], None] | None = None
    #: Counts of the bulk-created history, for the progress lines.
    history: dict[str, int] = field(default_factory=dict)
    #: The anchor of every demo date: the history ends today, so the demo never ages.
    today: date = field(default_factory=timezone.localdate)

    @property
    def history_start(self) -> date:
        """The first day of the demo's history: about 14 months ago."""
        return self.today - timedelta(days=HISTORY_DAYS)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    @staticmethod
    def real_now() -> datetime:
        """The real time, whatever the demo clock says."""
        return _REAL_NOW()

    @staticmethod
    def day_at(day: date, hour: int = 10, minute: int = 0) -> datetime:
        """``day`` at ``hour``:``minute``, local time."""
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def past(self, days: int, hour: int, minute: int = 0) -> datetime:
        """``days`` days ago at ``hour``:``minute``, local time — or as many days earlier as
        needed for that moment to be an hour old at least: early in the morning, « today at
        19 h » has not happened yet, and yesterday's evening note is the latest there is."""
        at = self.day_at(self.today - timedelta(days=days), hour, minute)
        latest = self.real_now() - timedelta(hours=1)
        while at > latest:
            days += 1
            at = self.day_at(self.today - timedelta(days=days), hour, minute)
        return at

    def clock(self, when: date | datetime | None) -> None:
        """From now on, services run as if it were ``when`` (a date: 10 h that day), until the
        next ``clock`` call; ``None``: the real time again (``load_demo`` resets it at the end).
        The rows they create (``created_at``, timeline entries, audit events' ``occurred_at``)
        get that date, not the moment the demo is loaded. Each reading of the clock advances it
        by a second (events keep their order). Never later than now. Single-threaded demo
        loading only: it replaces ``django.utils.timezone.now``."""
        timezone.now = _REAL_NOW
        if when is None:
            return
        if not isinstance(when, datetime):
            when = self.day_at(when)
        start = min(when, _REAL_NOW())
        ticks = itertools.count()
        # Capped by the real time at each reading too: a clock set to "now" (in the early
        # morning, ``day_at(today)`` is still to come) must not tick into the future.
        timezone.now = lambda: min(start + timedelta(seconds=next(ticks)), _REAL_NOW())

    @contextmanager
    def at(self, when: date | datetime) -> Iterator[None]:
        """``clock(when)`` for a block, then the real time again."""
        self.clock(when)
        try:
            yield
        finally:
            self.clock(None)


_REAL_NOW = timezone.now


#: How far back the demo's history goes (about 14 months).
HISTORY_DAYS = 425


@contextmanager
def keep_dates(*models) -> Iterator[None]:
    """``bulk_create`` keeps the ``created_at``/``updated_at`` given to the objects (the history
    is dated in the past), instead of stamping the loading time (``auto_now``)."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def insert_rows(model, objs, *, batch_size: int = 2000) -> None:
    """``bulk_create`` for the demo's largest tables (thousands of visits, audit events…), when
    nothing reads the new rows' keys back: the same rows, in the same order, with the same
    values (each field's ``pre_save``, so ``auto_now`` reads the demo clock as
    ``bulk_create`` does, and its database value), but one ``executemany`` per batch instead
    of a statement of a few dozen rows whose every value goes through the query compiler.
    The objects are saved but get no primary key. Models with an automatic key only."""
    if not objs:
        return
    opts = model._meta
    if not opts.pk.db_returning or any(obj.pk is not None for obj in objs):
        raise ValueError("insert_rows: automatic primary keys only, not set beforehand.")
    db = router.db_for_write(model)
    connection = connections[db]
    fields = [f for f in opts.concrete_fields if f is not opts.pk and not f.generated]
    converters = [_db_value(f, connection, stamp=True) for f in fields]
    qn = connection.ops.quote_name
    # Quoted names of the model's own table and columns; the values go as parameters.
    sql = (f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows = []
    for obj in objs:
        rows.append([convert(obj) for convert in converters])
        obj._state.adding, obj._state.db = False, db
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start:start + batch_size])


def update_rows(model, objs, fields: list[str], *, batch_size: int = 2000) -> None:
    """``bulk_update`` of ``fields`` for the demo: one plain UPDATE per row by ``executemany``
    instead of Django's CASE over a batch (slow to build), with the values ``bulk_update``
    writes (as it, no ``pre_save``: ``auto_now`` fields keep the value given)."""
    if not objs:
        return
    if any(obj.pk is None for obj in objs):
        raise ValueError("update_rows: saved objects only.")
    opts = model._meta
    connection = connections[router.db_for_write(model)]
    targets = [opts.get_field(name) for name in fields]
    converters = [_db_value(f, connection, stamp=False) for f in targets]
    key = _db_value(opts.pk, connection, stamp=False)
    qn = connection.ops.quote_name
    # Quoted names of the model's own table and columns; the values go as parameters.
    sql = (f"UPDATE {qn(opts.db_table)} SET "  # noqa: S608
           f"{', '.join(f'{qn(f.column)} = %s' for f in targets)} "
           f"WHERE {qn(opts.pk.column)} = %s")
    rows = [[convert(obj) for convert in converters] + [key(obj)] for obj in objs]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start:start + batch_size])


def _db_value(f, connection, *, stamp: bool) -> Callable[[object], object]:
    """How ``insert_rows`` (``update_rows``) reads ``f`` of an object for the database: what
    ``bulk_create`` (``bulk_update``) does — ``pre_save`` when ``stamp``, then
    ``get_db_prep_save`` —, with shortcuts for the common fields and values that give the very
    same result."""
    attname = f.attname
    if f.is_relation:  # a foreign key: the key of the object given, as bulk_create takes it
        def related(obj):
            value = getattr(obj, attname)
            if value is None and f.is_cached(obj) and f.get_cached_value(obj) is not None:
                # Given before it was saved: its key now (or bulk_create's error if unsaved).
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                value = getattr(obj, attname)
            return value if value is None or type(value) is int else \
                f.get_db_prep_save(value, connection)
        return related
    overrides_pre_save = stamp and type(f).pre_save is not models.Field.pre_save

    def generic(obj):
        value = f.pre_save(obj, True) if overrides_pre_save else getattr(obj, attname)
        return f.get_db_prep_save(value, connection)

    if type(f) is models.DateTimeField and settings.USE_TZ and \
            connection.vendor in ("sqlite", "postgresql"):
        auto = stamp and (f.auto_now or f.auto_now_add)
        # What SQLite's ``adapt_datetimefield_value`` gives an aware datetime (its UTC time,
        # naive, as text); PostgreSQL takes it as it is.
        to_text = connection.vendor == "sqlite"
        utc = connection.timezone if to_text else None

        def moment(obj):
            value = f.pre_save(obj, True) if auto else getattr(obj, attname)
            if value is None:
                return None
            if type(value) is not datetime or value.tzinfo is None:
                return f.get_db_prep_save(value, connection)
            return str(value.astimezone(utc).replace(tzinfo=None)) if to_text else value
        return moment
    if type(f) is models.UUIDField:
        native = connection.features.has_native_uuid_field

        def identifier(obj):
            value = getattr(obj, attname)
            if isinstance(value, uuid.UUID):
                return value if native else value.hex
            return f.get_db_prep_save(value, connection)
        return identifier
    if type(f) in (models.CharField, models.TextField):
        def text(obj):
            value = getattr(obj, attname)
            return value if isinstance(value, str) else f.get_db_prep_save(value, connection)
        return text
    if type(f) is models.BooleanField:
        def flag(obj):
            value = getattr(obj, attname)
            return value if type(value) is bool else f.get_db_prep_save(value, connection)
        return flag
    return generic


#: The words of the demo's texts that agree with the person they are about: « Retrouvé{e} »,
#: « Infirmi{er} », « chez {lui} », « {il} dit »… (``agreed``): said of a woman, of a man.
AGREEMENT = {"e": ("e", ""), "er": ("ère", "er"), "se": ("se", "x"), "il": ("elle", "il"),
             "lui": ("elle", "lui"), "la": ("la", "le"), "Mme": ("Mme", "M.")}


def agreed(text: str, sex: str, **fields: str) -> str:
    """``text`` said of a woman (``sex`` « F », and an undetermined sex) or of a man (« M »):
    « Retrouvé{e} assis{e} » gives « Retrouvée assise » or « Retrouvé assis », « Anxieu{se}
    loin de chez {lui} » « Anxieuse loin de chez elle » or « Anxieux loin de chez lui »;
    ``fields``: the text's other fields."""
    man = sex == "M"
    return text.format(**{word: forms[man] for word, forms in AGREEMENT.items()}, **fields)


#: The first names of the demo's men among its staff (``FIRST_NAMES`` and the accounts): their
#: titles are said in the masculine.
MEN_FIRST_NAMES = frozenset({
    "Benoît", "Damien", "Fabrice", "Hugo", "Jérôme", "Laurent", "Nicolas", "Pascal", "Quentin",
    "Tristan", "Yann", "Bruno", "Didier", "Philippe", "Julien", "Thomas", "Vincent", "Michel",
    "Patrick", "Bernard"})


def sex_of(user) -> str:
    """« M » for a man of the demo's staff (by first name), « F » otherwise."""
    return "M" if user.first_name in MEN_FIRST_NAMES else "F"


def _finess(prefix8: str) -> str:
    return prefix8 + luhn.calc_check_digit(prefix8)


# Username = role code for CRT Anjou Bleu (issue: one demo account per role).
ANJOU_BLEU_ACCOUNTS = [
    ("direction", Role.DIRECTION, "Hélène", "Gautier", "Directrice, cheffe de projet CRT"),
    ("coordinator", Role.COORDINATOR, "Claire", "Moreau", "Infirmière coordinatrice (IDEC)"),
    ("doctor", Role.DOCTOR, "Philippe", "Lebrun", "Médecin coordonnateur"),
    ("nurse", Role.NURSE, "Julien", "Rousseau", "Infirmier"),
    ("care_aide", Role.CARE_AIDE, "Sandrine", "Bouvier", "Aide-soignante"),
    ("psychologist", Role.PSYCHOLOGIST, "Camille", "Lefort", "Psychologue"),
    ("occupational_therapist", Role.OCCUPATIONAL_THERAPIST, "Marion", "Chevalier",
     "Ergothérapeute"),
    ("activity_leader", Role.ACTIVITY_LEADER, "Thomas", "Guérin", "Animateur"),
    ("admin_staff", Role.ADMIN_STAFF, "Nathalie", "Perrin", "Secrétaire médico-sociale"),
    ("partner", Role.PARTNER, "Anne", "Besnard", "Médecin généraliste (MSP partenaire)"),
    ("auditor", Role.AUDITOR, "Vincent", "Roy", "Délégué à la protection des données"),
    ("ars", Role.ARS, "Sophie", "Marchand", "Chargée de mission, ARS Pays de la Loire"),
    ("caregiver", Role.CAREGIVER, "Michel", "Hamon", "Aidant (fils)"),
    ("beneficiary", Role.BENEFICIARY, "Jeanne", "Hamon", "Bénéficiaire"),
]

FIRST_NAMES = [
    "Aurélie", "Benoît", "Céline", "Damien", "Émilie", "Fabrice", "Gaëlle", "Hugo", "Inès",
    "Jérôme", "Karine", "Laurent", "Manon", "Nicolas", "Océane", "Pascal", "Quentin", "Régine",
    "Stéphanie", "Tristan", "Valérie", "Yann", "Zoé", "Anaïs", "Bruno", "Coralie", "Didier",
]
LAST_NAMES = [
    "Aubry", "Baudouin", "Chauvin", "Delaunay", "Esnault", "Foucher", "Gaudin", "Hervé",
    "Jamet", "Lemoine", "Maillard", "Noël", "Oger", "Pineau", "Raimbault", "Sauvage", "Tessier",
    "Valais", "Brault", "Cottin", "Drouet", "Gohier", "Lebreton", "Ménard", "Pasquier",
]

EXTRA_STAFF = [  # role, title (of a woman, of a man), count per unit of scale
    (Role.NURSE, ("Infirmière", "Infirmier"), 2),
    (Role.CARE_AIDE, ("Aide-soignante", "Aide-soignant"), 3),
    (Role.CARE_AIDE, ("Assistante de soins en gérontologie (ASG)",
                      "Assistant de soins en gérontologie (ASG)"), 1),
    (Role.CARE_AIDE, ("Accompagnante éducative et sociale (AES)",
                      "Accompagnant éducatif et social (AES)"), 1),
]


def demo_accounts() -> list[tuple[str, str, str]]:
    """The accounts printed by ``maillage demo``: username, role label, CRT."""
    accounts = [(u, Role(r).label, "CRT Anjou Bleu") for u, r, *_ in ANJOU_BLEU_ACCOUNTS]
    accounts.append(("coordinator-baugeois", Role.COORDINATOR.label, "CRT Baugeois Vallée"))
    accounts.append(("night_nurse", Role.NURSE.label, "CRT Anjou Bleu + CRT Baugeois Vallée"))
    return accounts


def demo_region_accounts() -> list[tuple[str, str, str]]:
    """The accounts of a region (no CRT membership) printed by ``maillage demo``: username,
    what they see, region."""
    return [("ars-region", "ARS, vue régionale (chiffres agrégés des deux CRT, rapports "
             "transmis)",
             "région Pays de la Loire")]


def _phone(rng: Random, mobile: bool = True) -> str:
    suffix = f"{rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
    return f"06 39 98 {suffix}" if mobile else f"02 61 91 {suffix}"


@functools.cache
def _password_hash(hasher: str) -> str:
    return make_password(DEMO_PASSWORD)


def _user(ctx: DemoContext, username: str, first: str, last: str, profession: str):
    user_model = get_user_model()
    user = user_model(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username.replace('_', '.')}@demo.maillage.local",
        profession=profession,
        phone=_phone(ctx.rng),
    )
    # One hash for every account (same password): hashing is slow by design.
    user.password = _password_hash(settings.PASSWORD_HASHERS[0])
    user.save()
    ctx.users[username] = user
    return user


def _member(user, crt: Crt, roles: list[str], title: str) -> Membership:
    membership = Membership.objects.create(user=user, crt=crt, title=title)
    MembershipRole.objects.bulk_create(
        [MembershipRole(membership=membership, role=role) for role in roles]
    )
    return membership


def _extra_staff(ctx: DemoContext, crt: Crt, suffix: str) -> None:
    taken = set(get_user_model().objects.values_list("username", flat=True))
    for role, titles, per_scale in EXTRA_STAFF:
        for _ in range(per_scale * ctx.scale):
            while True:
                first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
                username = f"{first[0]}.{last}-{suffix}".lower()
                if username not in taken:
                    taken.add(username)
                    break
            title = titles[first in MEN_FIRST_NAMES]
            user = _user(ctx, username, first, last, title)
            _member(user, crt, [role], title)


def load(ctx: DemoContext) -> None:
    # Both CRTs opened at the start of the month the history begins with; their teams were
    # set up a few weeks before.
    opened_on = ctx.history_start.replace(day=1)
    with ctx.at(opened_on - timedelta(days=21)):
        _load(ctx, opened_on)


def _load(ctx: DemoContext, opened_on: date) -> None:
    anjou = Crt.objects.create(
        name="CRT Anjou Bleu",
        carrier_type=Crt.CarrierType.EHPAD,
        carrier_name="EHPAD de Segré-en-Anjou Bleu (structure fictive de démonstration)",
        finess=_finess("49000901"),
        department="49",
        organisational_model=Crt.OrganisationalModel.INTEGRATED,
        base_address="12 rue de la Madeleine",
        base_postal_code="49500",
        base_city="Segré-en-Anjou Bleu",
        phone="02 61 91 49 50",
        email="crt.anjoubleu@demo.maillage.local",
        annual_allocation=Decimal("400000.00"),
        file_active_target=30,
        places=40,
        opened_on=opened_on,
    )
    baugeois = Crt.objects.create(
        name="CRT Baugeois Vallée",
        carrier_type=Crt.CarrierType.SAD,
        carrier_name=(
            "Service autonomie à domicile du Baugeois (structure fictive de démonstration)"
        ),
        finess=_finess("49000902"),
        department="49",
        organisational_model=Crt.OrganisationalModel.PARTNERSHIP,
        base_address="3 place de l'Europe",
        base_postal_code="49150",
        base_city="Baugé-en-Anjou",
        phone="02 61 91 49 15",
        email="crt.baugeois@demo.maillage.local",
        annual_allocation=Decimal("400000.00"),
        file_active_target=30,
        places=40,
        opened_on=opened_on,
    )
    ctx.crts = {"anjou_bleu": anjou, "baugeois": baugeois}

    for username, role, first, last, title in ANJOU_BLEU_ACCOUNTS:
        user = _user(ctx, username, first, last, title)
        _member(user, anjou, [role], title)

    # Second CRT: its coordinator, and a small team.
    user = _user(ctx, "coordinator-baugeois", "Élodie", "Martin", "Infirmière coordinatrice (IDEC)")
    _member(user, baugeois, [Role.COORDINATOR], "Infirmière coordinatrice (IDEC)")
    for username, role, first, last, title in [
        ("direction-baugeois", Role.DIRECTION, "Patrick", "Lecomte", "Directeur du SAD"),
        ("doctor-baugeois", Role.DOCTOR, "Isabelle", "Fournier", "Médecin coordonnateur"),
        ("admin-baugeois", Role.ADMIN_STAFF, "Sylvie", "Renou", "Assistante administrative"),
    ]:
        _member(_user(ctx, username, first, last, title), baugeois, [role], title)

    # The mutualised night nurse works for both CRTs and switches explicitly (SPEC §4.4).
    user = _user(ctx, "night_nurse", "Laure", "Bellanger", "Infirmière de nuit mutualisée")
    _member(user, anjou, [Role.NURSE], "Infirmière de nuit (astreinte mutualisée)")
    _member(user, baugeois, [Role.NURSE], "Infirmière de nuit (astreinte mutualisée)")

    # The region of both CRTs and an ARS agent who belongs to it (the regional view), not to
    # a CRT; the CRT-level « ars » account above reads Anjou Bleu's figures alone there.
    region = Region.objects.create(name="Pays de la Loire", code="52")
    Crt.objects.filter(pk__in=[anjou.pk, baugeois.pk]).update(region=region)
    anjou.region = baugeois.region = region
    user = _user(ctx, "ars-region", "Bernard", "Jolivet",
                 "Inspecteur, ARS Pays de la Loire (délégation de Maine-et-Loire)")
    RegionMembership.objects.create(user=user, region=region,
                                    title="Inspecteur, délégation de Maine-et-Loire")

    _extra_staff(ctx, anjou, "ab")
    _extra_staff(ctx, baugeois, "bv")


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    users = get_user_model().objects.filter(memberships__crt__in=ctx.crts.values()).distinct()
    return f"Équipes… {len(ctx.crts)} CRT, {users.count()} comptes"


def audit_event(*, actor, action: str, at: datetime, obj=None, beneficiary=None, crt=None,
                roles: str = "", details: dict | None = None):
    """What ``audit_log`` would have written at ``at``, to bulk-create with the rest of the
    history (the audit trail is append-only: it is inserted with its date, never updated)."""
    from .audit import check_action, object_label_for
    from .models import AuditEvent

    # The CRT by its key: reading ``obj.crt`` would cost a query per event.
    return AuditEvent(
        occurred_at=at, crt_id=crt.pk if crt is not None else getattr(obj, "crt_id", None),
        actor=actor,
        actor_label=f"{actor.get_full_name() or actor.username} ({actor.username})"[:200],
        roles=roles, action=check_action(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "public_id", "") or obj.pk) if obj is not None else "",
        object_label=object_label_for(obj)[:200] if obj is not None else "",
        beneficiary_public_id=getattr(beneficiary, "public_id", None),
        ip_address="10.49.0.12", user_agent="Mozilla/5.0 (démonstration)",
        details=details or {},
    )
