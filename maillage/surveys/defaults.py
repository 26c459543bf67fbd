"""The default questionnaires a CRT starts from (the demo installs them; a CRT installs them from
the questionnaires page): the satisfaction of a volet 1 session, and the yearly volet 2 survey
for the beneficiaries, their caregivers and the partner professionals."""

from django.db import transaction

from . import services
from .models import Question, Questionnaire

S, C, Y, T = (Question.Kind.SCALE, Question.Kind.CHOICE, Question.Kind.YES_NO,
              Question.Kind.COMMENT)

#: Every scale question is put in the terms of its answers (« Pas du tout satisfait » to « Très
#: satisfait », ``models.SCALES``): « Les informations vous seront-elles utiles ? » answered
#: « Très satisfait » read wrong.
DEFAULTS = [
    {"title": "Satisfaction — séance d'une action du volet 1",
     "audience": Questionnaire.Audience.EVERYONE, "usage": Questionnaire.Usage.SESSION,
     "intro": "Merci d'avoir participé. Vos réponses sont anonymes et nous aident à améliorer "
              "nos actions.",
     "questions": [
         (S, "Dans l'ensemble, êtes-vous satisfait de cette séance ?", [], True),
         (S, "Êtes-vous satisfait de l'utilité des informations données ?", [], False),
         (C, "Comment avez-vous connu cette action ?",
          ["Par le CRT", "Par un professionnel (médecin, infirmier, aide à domicile…)",
           "Par la mairie ou le CCAS", "Par un proche", "Par voie d'affichage ou la presse",
           "Autrement"], False),
         (Y, "Participeriez-vous à une autre action du CRT ?", [], False),
         (T, "Un commentaire, une suggestion ?", [], False),
     ]},
    {"title": "Enquête annuelle — bénéficiaires",
     "audience": Questionnaire.Audience.BENEFICIARIES, "usage": Questionnaire.Usage.YEARLY,
     "intro": "Chaque année, le Centre de ressources territorial vous demande votre avis sur "
              "l'accompagnement à domicile. Vos réponses sont anonymes.",
     "questions": [
         (S, "Dans l'ensemble, êtes-vous satisfait de l'accompagnement du CRT ?", [], True),
         (S, "Êtes-vous satisfait des passages de l'équipe (moments, durée, aide apportée) ?",
          [], False),
         (S, "Êtes-vous satisfait de votre sécurité à domicile depuis l'accompagnement ?", [],
          False),
         (Y, "Savez-vous qui appeler la nuit en cas de problème ?", [], False),
         (T, "Que pourrions-nous améliorer ?", [], False),
     ]},
    {"title": "Enquête annuelle — aidants",
     "audience": Questionnaire.Audience.CAREGIVERS, "usage": Questionnaire.Usage.YEARLY,
     "intro": "Vous accompagnez un proche suivi par le CRT : votre avis nous est précieux. Vos "
              "réponses sont anonymes.",
     "questions": [
         (S, "Dans l'ensemble, êtes-vous satisfait de l'accompagnement de votre proche ?", [],
          True),
         (S, "Êtes-vous satisfait de l'information sur ce qui est fait pour votre proche ?", [],
          False),
         (S, "Êtes-vous satisfait du répit que l'accompagnement vous apporte ?", [], False),
         (C, "À quelle fréquence aidez-vous votre proche ?",
          ["Tous les jours", "Plusieurs fois par semaine", "Une fois par semaine ou moins"],
          False),
         (T, "Que pourrions-nous améliorer ?", [], False),
     ]},
    {"title": "Enquête annuelle — professionnels partenaires",
     "audience": Questionnaire.Audience.PROFESSIONALS, "usage": Questionnaire.Usage.YEARLY,
     "intro": "Vous travaillez avec le CRT : votre avis sur la coordination nous aide à "
              "progresser. Vos réponses sont anonymes.",
     "questions": [
         (S, "Dans l'ensemble, êtes-vous satisfait de la coordination avec le CRT ?", [], True),
         (S, "Êtes-vous satisfait de l'utilité des informations partagées (cahier de liaison, "
             "alertes) ?", [], False),
         (C, "Votre structure", ["Service d'aide à domicile", "SSIAD", "Infirmier libéral",
                                 "Médecin", "Établissement de santé", "Autre"], False),
         (Y, "Recommanderiez-vous le CRT à un patient ou à un collègue ?", [], False),
         (T, "Que pourrions-nous améliorer ?", [], False),
     ]},
]


@transaction.atomic
def default_questionnaires_install(*, actor, crt) -> list[Questionnaire]:
    """Create the default questionnaires the CRT does not have yet (by title)."""
    have = set(Questionnaire.objects.filter(crt=crt).values_list("title", flat=True))
    return [services.questionnaire_create(
        actor=actor, crt=crt, title=d["title"], audience=d["audience"], usage=d["usage"],
        intro=d["intro"], is_active=True, questions=d["questions"])
        for d in DEFAULTS if d["title"] not in have]
