"""Coverage on the map: each commune of a territory gets its position and population, filled
from the national commune reference for the communes already there (``reference.py``)."""

import django.core.validators
from django.db import migrations, models


def fill_from_reference(apps, schema_editor):
    from maillage.territory import reference

    Commune = apps.get_model("territory", "Commune")
    for commune in Commune.objects.filter(latitude__isnull=True).iterator():
        ref = reference.lookup(commune.insee_code)
        if ref is None:
            continue
        commune.latitude, commune.longitude = ref.latitude, ref.longitude
        commune.population = ref.population
        commune.save(update_fields=["latitude", "longitude", "population"])


class Migration(migrations.Migration):

    dependencies = [
        ('territory', '0002_partner_directory'),
    ]

    operations = [
        migrations.AddField(
            model_name='commune',
            name='latitude',
            field=models.DecimalField(blank=True, decimal_places=5, max_digits=7, null=True, validators=[django.core.validators.MinValueValidator(-90), django.core.validators.MaxValueValidator(90)], verbose_name='latitude'),
        ),
        migrations.AddField(
            model_name='commune',
            name='longitude',
            field=models.DecimalField(blank=True, decimal_places=5, max_digits=8, null=True, validators=[django.core.validators.MinValueValidator(-180), django.core.validators.MaxValueValidator(180)], verbose_name='longitude'),
        ),
        migrations.AddField(
            model_name='commune',
            name='population',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='population municipale (INSEE)'),
        ),
        migrations.RunPython(fill_from_reference, migrations.RunPython.noop),
    ]
