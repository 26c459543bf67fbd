"""Satisfaction questions carry their scale (``Question.points``): the ARS asks for four points
(INDICATORS V1-09), Maillage asked on five.

Existing rows: the questions of a questionnaire that already has answers stay on five points,
so that every stored answer keeps its meaning (« 4 » stays « Satisfait » of five); the questions
of a questionnaire without any answer yet move to four points (nothing to reinterpret: its next
answers are given on four). New questions: four points."""

from django.conf import settings
from django.db import migrations, models


def unanswered_to_four_points(apps, schema_editor):
    Question = apps.get_model("surveys", "Question")
    Response = apps.get_model("surveys", "Response")
    answered = Response.objects.values("collection__questionnaire_id")
    Question.objects.exclude(questionnaire_id__in=answered).update(points=4)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0017_notification_subject'),
        ('surveys', '0001_questionnaires_collections_answers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='question',
            name='points',
            field=models.PositiveSmallIntegerField(choices=[(4, '4 points'), (5, '5 points (ancienne échelle)')], default=5, verbose_name='échelle'),
        ),
        migrations.RunPython(unanswered_to_four_points, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='question',
            name='points',
            field=models.PositiveSmallIntegerField(choices=[(4, '4 points'), (5, '5 points (ancienne échelle)')], default=4, verbose_name='échelle'),
        ),
        migrations.AlterField(
            model_name='question',
            name='kind',
            field=models.CharField(choices=[('scale', 'Échelle de satisfaction'), ('choice', 'Choix unique'), ('yes_no', 'Oui / non'), ('comment', 'Commentaire libre')], max_length=10, verbose_name='type de question'),
        ),
        migrations.AddConstraint(
            model_name='question',
            constraint=models.CheckConstraint(condition=models.Q(('points__gte', 4), ('points__lte', 5)), name='question_points_4_or_5'),
        ),
    ]
