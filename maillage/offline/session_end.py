"""What ends with a session (``core.views.LogoutView`` calls each app's ``on_logout``): the
devices this session unlocked are erased — their keys are forgotten, so what a phone still holds
can no longer be read (and the logout answer tells the browser to clear its storage)."""

from .models import Device
from .services import devices_erase

SESSION_KEY = "offline_devices"


def remember(request, device: Device) -> None:
    """This session handed out ``device``'s key."""
    ids = request.session.get(SESSION_KEY, [])
    if str(device.public_id) not in ids:
        request.session[SESSION_KEY] = [*ids, str(device.public_id)]


def on_logout(request) -> None:
    ids = request.session.get(SESSION_KEY, [])
    if ids and request.user.is_authenticated:
        devices_erase(actor=request.user,
                      devices=Device.objects.filter(user=request.user, public_id__in=ids),
                      reason="déconnexion")
