"""Revoke the tokens a manager created, on the « Jetons d'API » page, for another person's
account: the secret was shown to the manager, who could act with that person's rights (their
health data included). The tokens created from the console (no creator) and those made for
one's own account stay. The list shows them « révoqué le … »; a new token of a partner's
account comes from the administrator's console."""

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def revoke(apps, schema_editor):
    ApiToken = apps.get_model("interop", "ApiToken")
    (ApiToken.objects.filter(revoked_at__isnull=True, created_by__isnull=False)
     .exclude(created_by=F("user")).update(revoked_at=timezone.now()))


class Migration(migrations.Migration):

    dependencies = [
        ("interop", "0004_mssante_inbox"),
    ]

    operations = [
        migrations.RunPython(revoke, migrations.RunPython.noop),
    ]
