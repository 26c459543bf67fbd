from django.db import migrations, models

from maillage.core.folding import words_key

NAME_FIELDS = ("birth_name", "used_name", "first_names", "first_name", "used_first_name")


def fill(apps, schema_editor):
    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    rows = list(Beneficiary.objects.only("pk", *NAME_FIELDS))
    for b in rows:
        b.name_key = words_key(*(getattr(b, f) for f in NAME_FIELDS))
    Beneficiary.objects.bulk_update(rows, ["name_key"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('beneficiaries', '0005_medical_essentials_status'),
    ]

    operations = [
        migrations.AddField(
            model_name='beneficiary',
            name='name_key',
            field=models.CharField(blank=True, editable=False, max_length=600,
                                   verbose_name='clé de recherche des noms'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
