# Notifications record the person they are about and the face of the file they tell of.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0016_submission_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='beneficiary_public_id',
            field=models.UUIDField(blank=True, null=True, verbose_name='personne concernée'),
        ),
        migrations.AddField(
            model_name='notification',
            name='face',
            field=models.CharField(blank=True, max_length=20, verbose_name='partie du dossier'),
        ),
    ]
