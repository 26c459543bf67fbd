"""In-app notifications (and email for those who asked for it)."""

from .models import Notification
from .notify import send_email


def notify(*, crt, users, text: str, url: str = "", exclude=None) -> int:
    """Notify each of ``users`` once (not ``exclude``, typically the author)."""
    recipients = {u.pk: u for u in users if u is not None and u != exclude}
    Notification.objects.bulk_create(
        [Notification(crt=crt, user=u, text=text[:300], url=url) for u in recipients.values()]
    )
    for user in recipients.values():
        if user.notify_by_email and user.email:
            send_email(crt=crt, to=user.email, subject=f"{crt.name} : {text[:80]}",
                       body=f"{text}\n\n{url}")
    return len(recipients)


def unread_count(*, user, crt) -> int:
    return Notification.objects.filter(user=user, crt=crt, read_at__isnull=True).count()


def notifications_for(*, user, crt, limit: int = 100) -> list[Notification]:
    return list(Notification.objects.filter(user=user, crt=crt)[:limit])


def notifications_mark_read(*, user, crt) -> int:
    from django.utils import timezone

    return Notification.objects.filter(user=user, crt=crt, read_at__isnull=True).update(
        read_at=timezone.now())
