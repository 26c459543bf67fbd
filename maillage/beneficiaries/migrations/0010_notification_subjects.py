"""The notifications sent before they recorded whom they are about: the person is the one whose
public id their link names (an alert, a plan, a conversation, the notebook, the visits…), so
that a withdrawn consent hides them too. Any face of the file (``face`` left empty): which one
is not known for them. The portal's notices (``/portail/``) go to the person and their
caregivers, whose access does not follow the team's policy: left as they are."""

import re

from django.db import migrations

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CHUNK = 2000


def fill(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    rows = (Notification.objects.filter(beneficiary_public_id__isnull=True)
            .exclude(url="").exclude(url__startswith="/portail/")
            .values_list("pk", "crt_id", "url").order_by("pk"))
    chunk = []

    def flush():
        wanted = {m for _, _, found in chunk for m in found}
        people = set(Beneficiary.objects.filter(public_id__in=wanted)
                     .values_list("public_id", "crt_id"))
        people = {(str(p), crt) for p, crt in people}
        by_person = {}
        for pk, crt, found in chunk:
            person = next((m for m in found if (m, crt) in people), None)
            if person is not None:
                by_person.setdefault(person, []).append(pk)
        for person, pks in by_person.items():
            Notification.objects.filter(pk__in=pks).update(beneficiary_public_id=person)
        chunk.clear()

    for pk, crt, url in rows.iterator(chunk_size=CHUNK):
        found = UUID.findall(url.lower())
        if found:
            chunk.append((pk, crt, found))
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()


class Migration(migrations.Migration):

    dependencies = [
        ("beneficiaries", "0009_phone_numbers_checked"),
        ("core", "0017_notification_subject"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
