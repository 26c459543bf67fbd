"""In-app notifications (and email for those who asked for it).

A notification about a person records whom it is about (``beneficiary_public_id``) and which
face of their file it tells of (``face``: the face its recipients were chosen by, e.g.
``liaison`` for an alert). The list and the unread count show it only while the user may still
see that face of that person: a withdrawn consent, or leaving the care team, hides it at once
(SPEC §3). Core knows no person: the app owning them registers the policy
(``register_people_policy``), as a subquery, so the list stays one query."""

from collections.abc import Callable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from .built import built_count
from .models import Notification
from .notify import send_email

#: ``(face, *, crt, user, roles) -> QuerySet`` of the people (a model with ``public_id``)
#: whose ``face`` (None: any face) ``user`` may see, and the faces a notification may name;
#: registered by the app owning the people.
_people_policy: list[tuple[Callable[..., QuerySet], tuple[str, ...]]] = []


def register_people_policy(visible: Callable[..., QuerySet], *, faces) -> None:
    _people_policy[:] = [(visible, tuple(faces))]


def notify(*, crt, users, text: str, url: str = "", exclude=None, beneficiary=None,
           face: str = "") -> int:
    """Notify each of ``users`` once (not ``exclude``, typically the author). ``beneficiary``:
    the person it is about, shown while the user may see their ``face`` (any face when
    empty)."""
    recipients = {u.pk: u for u in users if u is not None and u != exclude}
    about = getattr(beneficiary, "public_id", None)
    Notification.objects.bulk_create(
        [Notification(crt=crt, user=u, text=text[:300], url=url, beneficiary_public_id=about,
                      face=face if about else "")
         for u in recipients.values()]
    )
    for user in recipients.values():
        if user.notify_by_email and user.email:
            send_email(crt=crt, to=user.email, subject=f"{crt.name} : {text[:80]}",
                       body=f"{text}\n\n{url}")
    return len(recipients)


def _visible(*, user, crt, roles, faces=None) -> QuerySet[Notification]:
    """The user's notifications of ``crt`` whose person (if any) they may still see;
    ``faces``: only these faces can occur (None: any registered one)."""
    qs = Notification.objects.filter(user=user, crt=crt)
    if not _people_policy:
        return qs
    visible, registered = _people_policy[0]
    who = {"crt": crt, "user": user, "roles": frozenset(roles or ())}

    def sees(face):
        # One index lookup of the notification's person per row (correlated), not the whole
        # set of people the user may see: the badge on every page stays flat as a CRT grows.
        return Exists(visible(face or None, **who).filter(
            public_id=OuterRef("beneficiary_public_id")))

    shown = Q(beneficiary_public_id__isnull=True)
    for face in ("", *registered) if faces is None else faces:
        shown |= Q(Q(face=face), sees(face))
    return qs.filter(shown)


def unread_count(*, user, crt, roles=()) -> int:
    """The badge on every page. First the unread notifications by face, counting those about
    a person (one grouped query, usually the only one); then, only if some are about a person,
    those of them the user may still see (the policy built for their faces alone)."""
    unread = Notification.objects.filter(user=user, crt=crt, read_at__isnull=True)
    by_face = list(unread.values("face").order_by().annotate(
        n=Count("pk"), about=Count("beneficiary_public_id")))
    plain = sum(row["n"] - row["about"] for row in by_face)
    if not _people_policy:
        return plain + sum(row["about"] for row in by_face)
    # A face no policy knows is never shown (as in ``_visible``).
    known = ("", *_people_policy[0][1])
    faces = [row["face"] for row in by_face if row["about"] and row["face"] in known]
    if not faces:
        return plain
    return plain + built_count(
        ("unread_notifications", getattr(crt, "pk", crt), user.pk, frozenset(roles or ()),
         tuple(faces)),
        lambda: _visible(user=user, crt=crt, roles=roles, faces=faces).filter(
            read_at__isnull=True, beneficiary_public_id__isnull=False))


def notifications_for(*, user, crt, roles=(), limit: int = 100) -> list[Notification]:
    return list(_visible(user=user, crt=crt, roles=roles)[:limit])


def notifications_mark_read(*, user, crt) -> int:
    from django.utils import timezone

    return Notification.objects.filter(user=user, crt=crt, read_at__isnull=True).update(
        read_at=timezone.now())
