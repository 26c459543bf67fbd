"""``insert_rows`` and ``update_rows``: the demo's fast paths for its largest bulk writes write
what ``bulk_create`` and ``bulk_update`` write (same rows, same order, same values), ``auto_now``
included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.core.demo import DemoContext, insert_rows, update_rows
from maillage.core.models import AuditEvent, Notification

COLUMNS = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname != "id"]


def _events(crt, actor):
    at = timezone.now().replace(microsecond=123456) - timedelta(days=3)
    return [
        AuditEvent(occurred_at=at + timedelta(minutes=n), crt=crt if n % 2 else None,
                   actor=actor if n % 3 else None, actor_label=f"Acteur {n}",
                   roles="coordinator,nurse", action="beneficiary.viewed",
                   object_type="beneficiaries.beneficiary", object_id=str(n),
                   object_label=f"Dossier n° {n} — « é »",
                   ip_address="10.49.0.12" if n % 2 else None, user_agent="",
                   is_emergency_access=n == 4, details={"n": n, "texte": "éà", "liste": [1, 2]})
        for n in range(7)
    ]


@pytest.mark.django_db
def test_insert_rows_writes_what_bulk_create_writes(users, crt_a):
    actor = users["coordinator"]
    fast, slow = _events(crt_a, actor), _events(crt_a, actor)
    # Both lists differ only by their public ids (given as text: the generic conversion).
    for n, (a, b) in enumerate(zip(fast, slow, strict=True)):
        a.public_id = f"00000000-0000-4000-8000-{n:012d}"
        b.public_id = f"00000000-0000-4000-9000-{n:012d}"
    insert_rows(AuditEvent, fast)
    AuditEvent.objects.bulk_create(slow)
    rows = list(AuditEvent.objects.order_by("id").values(*COLUMNS))
    assert len(rows) == 14
    written_fast, written_slow = rows[:7], rows[7:]
    for a, b in zip(written_fast, written_slow, strict=True):
        assert str(a.pop("public_id")).split("-")[3] == "8000"
        assert str(b.pop("public_id")).split("-")[3] == "9000"
        assert a == b
    assert [r["actor_label"] for r in written_fast] == [f"Acteur {n}" for n in range(7)]
    assert all(e._state.adding is False and e.pk is None for e in fast)


@pytest.mark.django_db
def test_insert_rows_stamps_auto_now_with_the_demo_clock(users, crt_a):
    ctx = DemoContext(rng=None, scale=1)
    user = users["nurse"]
    with ctx.at(ctx.today - timedelta(days=10)):
        insert_rows(Notification, [Notification(crt=crt_a, user=user, text=f"Message {n}")
                                   for n in range(3)])
    stamped = list(Notification.objects.filter(user=user).order_by("id")
                   .values_list("created_at", flat=True))
    first = DemoContext.day_at(ctx.today - timedelta(days=10))
    # Each reading of the demo clock advances it by a second, as bulk_create reads it.
    assert stamped == [first, first + timedelta(seconds=1), first + timedelta(seconds=2)]


@pytest.mark.django_db
def test_insert_rows_refuses_objects_with_keys(users, crt_a):
    saved = Notification.objects.create(crt=crt_a, user=users["nurse"], text="Déjà là")
    with pytest.raises(ValueError, match="automatic primary keys"):
        insert_rows(Notification, [saved])


@pytest.mark.django_db
def test_update_rows_writes_what_bulk_update_writes(users, crt_a):
    user = users["nurse"]
    read = timezone.now().replace(microsecond=654321) - timedelta(hours=5)
    fast, slow = ([Notification.objects.create(crt=crt_a, user=user, text=f"{side} {n}")
                   for n in range(4)] for side in ("a", "b"))
    for group in (fast, slow):
        for n, notification in enumerate(group):
            notification.text = f"Lu {n} — « é »"
            notification.read_at = read + timedelta(minutes=n) if n % 2 else None
            notification.created_at = read - timedelta(days=n)  # auto_now_add: kept as given
    update_rows(Notification, fast, ["text", "read_at", "created_at"])
    Notification.objects.bulk_update(slow, ["text", "read_at", "created_at"])
    columns = ["text", "read_at", "created_at"]
    written = {n.pk: row for n in fast + slow
               for row in Notification.objects.filter(pk=n.pk).values(*columns)}
    assert [written[n.pk] for n in fast] == [written[n.pk] for n in slow]
    assert written[fast[1].pk] == {"text": "Lu 1 — « é »", "read_at": read + timedelta(minutes=1),
                                   "created_at": read - timedelta(days=1)}
    with pytest.raises(ValueError, match="saved objects only"):
        update_rows(Notification, [Notification(crt=crt_a, user=user, text="x")], ["text"])
