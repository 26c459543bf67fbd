"""Every link of every demo account's home opens (issue 11, item 6): each account printed by
``maillage demo`` (the night nurse in both of her CRTs) loads its home page on the demo data;
every internal link of the page (main content and navigation) is opened and none may answer
403, 404 or 500. Skipped: the logout button (a POST form, not a link), static files, anchors
(``#…``), ``tel:``/``mailto:`` and external addresses (none of them are ``/…`` paths). PDF and
CSV downloads are opened like any page."""

import pytest
from django.test import Client
from django.urls import reverse

from maillage.core.demo import demo_accounts
from maillage.core.middleware import SESSION_KEY
from maillage.core.models import Membership

from .test_home_links import dead_links, internal_links


@pytest.fixture(scope="module")
def demo(demo_module):
    """The demo, restored once for this module's read-only tests, removed afterwards."""
    return demo_module


def _homes():
    """(username, CRT name) of every demo home: one per account, one per CRT of the night
    nurse."""
    return [(username, crt.strip()) for username, _, crts in demo_accounts()
            for crt in crts.split("+")]


@pytest.mark.parametrize("username, crt_name", _homes(), ids=lambda v: str(v))
def test_every_link_of_every_demo_home_opens(demo, db, username, crt_name):
    membership = Membership.objects.select_related("user", "crt").get(
        user__username=username, crt__name=crt_name)
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = str(membership.crt.public_id)
    session.save()
    response = client.get(reverse("core:home"), follow=True)
    assert response.status_code == 200
    assert crt_name in response.content.decode()
    assert internal_links(response), username
    assert not dead_links(client, response), (username, crt_name)
