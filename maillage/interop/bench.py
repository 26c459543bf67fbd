"""The FHIR API timed by ``maillage bench`` (with a bearer token of the account, not a session):
a first search page, and a page deep into a full export (the last page reached through the
``_cursor`` of the keyset paging, measured as the doctor so that both are told apart in the
×1/×N table), each at the default size (20: the key pages, full at both sizes, so that their
ratio compares the same work) and at 100 (issue 15's target: 100 Patients under 200 ms at ×10;
the ×1 demo's CRT holds 40 files, so a page of 100 is not full there and its ratio says
nothing of flatness)."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from maillage.beneficiaries.access import beneficiaries_for
from maillage.core.middleware import active_memberships

from .fhir.search import encode_cursor
from .services import api_token_create

PAGES = (20, 100)
#: The bench calls the API faster than a partner may: its tokens are not rate limited.
SETTINGS = {"FHIR_RATE_LIMIT_PER_MINUTE": 10**9}


def client_headers(user) -> dict:
    """A partner system's bearer token (one token of the bench run), not a browser's session."""
    crt = active_memberships(user)[0].crt
    token = api_token_create(actor=None, crt=crt, user=user, name="Banc", days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.secret}"}


def _last_page_cursor(username: str, page: int) -> str:
    """The ``_cursor`` of the export's last page of ``page`` Patients (of the page after the
    first Patient when the CRT holds fewer than ``page`` + 1)."""
    user = get_user_model().objects.get(username=username)
    membership = active_memberships(user)[0]
    ids = beneficiaries_for("identity", crt=membership.crt, user=user,
                            roles=membership.role_codes).order_by("-public_id")
    after = ids.values_list("public_id", flat=True)[page:page + 1].first() or ids.values_list(
        "public_id", flat=True).last()
    return f"&_cursor={encode_cursor(after)}"


def pages():
    search = reverse("interop:patient_search")
    for page in PAGES:
        yield "coordinator", f"{search}?_count={page}"
        yield "doctor", f"{search}?_count={page}{_last_page_cursor('doctor', page)}"
