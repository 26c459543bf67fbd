"""A create form posted again from the same page (the browser's Back, then the button again)
saves nothing twice: « Déjà enregistré », and the page of what the first post created
(``maillage.core.submissions``)."""

import re
import uuid

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseRedirect
from django.test import RequestFactory
from django.urls import reverse

from maillage.beneficiaries.models import Caregiver, Document
from maillage.care.models import LiaisonNote
from maillage.core import submissions
from maillage.core.models import SubmissionKey
from maillage.core.tests.helpers import visible_text

from .factories import shared_file
from .test_file import PDF


@pytest.fixture
def b(crt_a, users):
    return shared_file(crt_a, users["doctor"])


def page_key(response) -> str:
    """The one-time key the form page carries (a hidden field)."""
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', response.content.decode())
    assert found, "the form carries no submission key"
    return found.group(1)


def file_url(name, b):
    return reverse(f"beneficiaries:{name}", kwargs={"public_id": b.public_id})


def caregiver_data():
    return {"last_name": "Martin", "first_name": "Paul", "relation": "Fils"}


def document_data():
    return {"title": "Ordonnance", "category": "medical", "document_date": "2025-03-01",
            "file": SimpleUploadedFile("ordonnance.pdf", PDF)}


def note_data():
    return {"text": "Mme a bien mangé ce midi.", "category": "general", "visibility": "team"}


@pytest.mark.parametrize(("url", "data", "model"), [
    (lambda b: file_url("caregiver_add", b), caregiver_data, Caregiver),
    (lambda b: file_url("document_add", b), document_data, Document),
    (lambda b: reverse("care:notes", kwargs={"public_id": b.public_id}), note_data,
     LiaisonNote),
], ids=["caregiver", "document", "liaison_note"])
def test_the_same_page_posted_again_saves_once(client, users, b, url, data, model):
    client.force_login(users["doctor"])
    form_url = url(b)
    key = page_key(client.get(form_url))
    first = client.post(form_url, {**data(), "submission_key": key})
    assert first.status_code == 302
    assert model.objects.filter(crt=b.crt).count() == 1
    # Back, then the button again: nothing saved twice, sent to what was created.
    again = client.post(form_url, {**data(), "submission_key": key})
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert "Déjà enregistré" in visible_text(client.get(again["Location"]))
    assert model.objects.filter(crt=b.crt).count() == 1
    # A new page is a new submission.
    key = page_key(client.get(form_url))
    assert client.post(form_url, {**data(), "submission_key": key}).status_code == 302
    assert model.objects.filter(crt=b.crt).count() == 2


def test_a_refused_post_keeps_its_key_and_the_corrected_one_saves_once(client, users, b):
    client.force_login(users["doctor"])
    form_url = file_url("caregiver_add", b)
    key = page_key(client.get(form_url))
    refused = client.post(form_url, {"first_name": "Paul", "submission_key": key})
    assert refused.status_code == 400
    assert page_key(refused) == key  # nothing was saved with it
    for _ in range(2):
        assert client.post(form_url, {**caregiver_data(), "submission_key": key}
                           ).status_code == 302
    assert Caregiver.objects.filter(beneficiary=b).count() == 1


def test_a_post_without_a_key_is_saved_as_before(client, users, b):
    """Older pages, scripts and tests: the key is a guard, never required."""
    client.force_login(users["doctor"])
    for _ in range(2):
        assert client.post(file_url("caregiver_add", b), caregiver_data()).status_code == 302
    assert Caregiver.objects.filter(beneficiary=b).count() == 2
    assert not SubmissionKey.objects.exists()


def test_a_key_is_only_its_authors_in_their_crt(client, users, b):
    client.force_login(users["doctor"])
    form_url = file_url("caregiver_add", b)
    key = page_key(client.get(form_url))
    assert client.post(form_url, {**caregiver_data(), "submission_key": key}).status_code == 302
    client.force_login(users["coordinator"])  # someone else posting the same key
    response = client.post(form_url, {**caregiver_data(), "submission_key": key})
    assert response.status_code == 302
    assert Caregiver.objects.filter(beneficiary=b).count() == 2
    assert SubmissionKey.objects.filter(key=key).count() == 2


def test_two_posts_at_once_save_once(users, crt_a, b):
    """The second post read no key (the first had not committed): the unique key refuses its
    save, rolled back whole, and it is answered as a replay."""
    key = uuid.uuid4()
    SubmissionKey.objects.create(key=key, crt=crt_a, user=users["doctor"],
                                 redirect_to="/premier/")
    request = RequestFactory().post("/", {"submission_key": str(key)})
    request.user, request.crt = users["doctor"], crt_a
    request.session = {}
    request._messages = FallbackStorage(request)

    from django.contrib import messages

    messages.info(request, "Bienvenue")  # queued before: kept

    def save():
        Caregiver.objects.create(crt=crt_a, beneficiary=b, last_name="Martin", relation="Fils")
        messages.success(request, "Aidant ajouté.")  # the save's own message: rolled back too
        return HttpResponseRedirect("/second/")

    response = submissions.save_once(request, save)
    assert response["Location"] == "/premier/"
    assert not Caregiver.objects.filter(beneficiary=b).exists()
    assert [m.message for m in request._messages] == ["Bienvenue", submissions.ALREADY_SAVED]


def test_old_keys_are_forgotten(users, crt_a):
    from datetime import timedelta

    from django.utils import timezone

    old = SubmissionKey.objects.create(key=uuid.uuid4(), crt=crt_a, user=users["doctor"],
                                       redirect_to="/")
    SubmissionKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=submissions.KEEP_DAYS + 1))
    SubmissionKey.objects.create(key=uuid.uuid4(), crt=crt_a, user=users["doctor"],
                                 redirect_to="/")
    assert submissions.prune() == 1
    assert SubmissionKey.objects.count() == 1
