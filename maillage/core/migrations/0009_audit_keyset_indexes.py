from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0008_crt_places"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="auditevent", name="audit_crt_time"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_crt_actor_time"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_crt_action"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_crt_benef"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["crt", "-occurred_at", "-id"], name="audit_crt_time_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["crt", "actor", "-occurred_at", "-id"],
                               name="audit_crt_actor_time_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["crt", "action", "-occurred_at", "-id"],
                               name="audit_crt_action_time_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["crt", "beneficiary_public_id", "-occurred_at", "-id"],
                               name="audit_crt_benef_time_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("is_emergency_access", True)),
                               fields=["crt", "-occurred_at", "-id"],
                               name="audit_crt_emergency_time_id"),
        ),
    ]
