"""Pages of volet 1 timed by ``maillage bench`` (demo accounts, demo data)."""

from django.urls import reverse

from .models import Session, SupportAction

DEMO_CRT = "CRT Anjou Bleu"


def pages():
    yield "activity_leader", reverse("outreach:actions")
    yield "activity_leader", reverse("outreach:sessions")
    yield "activity_leader", reverse("outreach:sessions") + "?passees=1"
    action = SupportAction.objects.filter(crt__name=DEMO_CRT, anti_fall=True).order_by(
        "pk").first()
    if action:
        yield "activity_leader", reverse("outreach:action_detail",
                                         kwargs={"public_id": action.public_id})
    session = (Session.objects.filter(crt__name=DEMO_CRT, status=Session.Status.HELD)
               .order_by("-starts_at").first())
    if session:
        for page in ("session_detail", "session_attendance", "session_sheet"):
            yield "activity_leader", reverse(f"outreach:{page}",
                                             kwargs={"public_id": session.public_id})
    yield "partner", reverse("outreach:sessions")
