from django.urls import path

from . import views

app_name = "surveys"

Q = "questionnaires/<uuid:public_id>/"
C = "collectes/<uuid:public_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    # Public answering (no account): the short form to type a code, the page of a code.
    path("r/", views.answer_enter, name="answer_enter"),
    path("r/merci/", views.answer_thanks, name="answer_thanks"),
    path("r/<str:code>/", views.answer, name="answer"),
    path("questionnaires/", views.questionnaire_list, name="questionnaires"),
    path("questionnaires/nouveau/", views.questionnaire_create, name="questionnaire_create"),
    path("questionnaires/installer/", views.questionnaires_install,
         name="questionnaires_install"),
    path(Q, views.questionnaire_detail, name="questionnaire_detail"),
    path(Q + "modifier/", views.questionnaire_edit, name="questionnaire_edit"),
    path(Q + "nouvelle-version/", views.questionnaire_duplicate,
         name="questionnaire_duplicate"),
    path(Q + "questions/nouvelle/", views.question_add, name="question_add"),
    path(Q + "questions/<uuid:item_id>/modifier/", views.question_edit, name="question_edit"),
    path(Q + "questions/<uuid:item_id>/retirer/", views.question_remove,
         name="question_remove"),
    path(Q + "questions/<uuid:item_id>/deplacer/", views.question_move, name="question_move"),
    path(C, views.collection_detail, name="collection_detail"),
    path(C + "codes.pdf", views.collection_codes_pdf, name="collection_codes_pdf"),
    path(C + "codes/", views.collection_codes_add, name="collection_codes_add"),
    path(C + "saisie/", views.collection_paper, name="collection_paper"),
    path(C + "etat/", views.collection_toggle, name="collection_toggle"),
    path("resultats/", views.results, name="results"),
    path("annuelle/", views.yearly, name="yearly"),
    path("annuelle/ouvrir/", views.yearly_open_view, name="yearly_open"),
]
