"""Light records keep their names folded (``Attendee.last_name_key``, ``first_name_key``): the
duplicate checks compare them in SQL instead of folding every record of the CRT in Python."""

from django.db import migrations, models

from maillage.core.folding import fold


def fill(apps, schema_editor):
    Attendee = apps.get_model("outreach", "Attendee")
    rows = list(Attendee.objects.only("pk", "last_name", "first_name"))
    for a in rows:
        a.last_name_key = fold(a.last_name)
        a.first_name_key = fold(a.first_name)
    Attendee.objects.bulk_update(rows, ["last_name_key", "first_name_key"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('outreach', '0003_phone_numbers_checked'),
    ]

    operations = [
        migrations.AddField(
            model_name='attendee',
            name='first_name_key',
            field=models.CharField(blank=True, editable=False, max_length=250, verbose_name='prénom (clé de comparaison)'),
        ),
        migrations.AddField(
            model_name='attendee',
            name='last_name_key',
            field=models.CharField(blank=True, editable=False, max_length=250, verbose_name='nom (clé de comparaison)'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='attendee',
            index=models.Index(fields=['crt', 'last_name_key'], name='attendee_crt_name_key'),
        ),
    ]
