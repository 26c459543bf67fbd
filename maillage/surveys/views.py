"""Satisfaction questionnaires: the public answer pages (no account), the questionnaires and
their questions, the collections (results, codes to print, paper answers), the yearly volet 2
survey and the results per action / field of volet 1."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.core.access import public, require
from maillage.core.audit import client_ip
from maillage.core.errors import DomainError
from maillage.core.forms_util import posted_version, run_form
from maillage.core.indicators import Period
from maillage.core.permissions import has_permission
from maillage.core.plurals import count_label
from maillage.core.ratelimit import allow
from maillage.core.tenancy import get_for_crt
from maillage.steering.dashboard import number
from maillage.steering.forms import IndicatorPeriodForm, period_query

from . import selectors, services
from .access import can_read_comments, collections_visible, questionnaires_visible
from .forms import AnswerForm, CodeForm, CountForm, QuestionForm, QuestionnaireForm, YearlyOpenForm
from .models import Collection, Question, Questionnaire
from .qr import answer_url, qr_svg
from .yearly import AUDIENCES, YEARLY_KIND, yearly_subject, yearly_survey_open

#: Public answer pages: requests per address in ten minutes (a family on one connection
#: answers several times; guessing codes among 7.8 × 10¹⁰ gets nowhere at this pace).
PUBLIC_LIMIT = 60
PUBLIC_WINDOW = 600
QUESTIONNAIRES_INSTALLED = "questionnaire par défaut installé,questionnaires par défaut installés"

#: French names of the subjects collections are opened for (the callers' kinds).
SUBJECT_KINDS = {"outreach.session": "Séances du volet 1",
                 YEARLY_KIND: "Enquête annuelle du volet 2"}
#: The page of a collection's subject (URL name, its argument, the permission to open it), for
#: the way back from the collection (named, not imported: surveys knows no other app).
SUBJECT_PAGES = {"outreach.session": ("outreach:session_detail", "public_id",
                                      "outreach.participants", "Retour à la séance")}


def _subject_link(request, c) -> tuple[str, str] | None:
    page = SUBJECT_PAGES.get(c.subject_kind)
    if page is None or not has_permission(request.roles, page[2]):
        return None
    try:
        return reverse(page[0], kwargs={page[1]: c.subject_public_id}), page[3]
    except NoReverseMatch:  # a subject identifier that is not one (an old or odd record)
        return None


# --- Public pages (no account) ---------------------------------------------------------------


def _flooded(request) -> bool:
    return not allow(f"survey-answer:{client_ip(request) or 'inconnue'}", limit=PUBLIC_LIMIT,
                     window_seconds=PUBLIC_WINDOW)


def _too_many(request) -> HttpResponse:
    return render(request, "surveys/public_refused.html", {
        "title": "Trop de tentatives",
        "message": "Trop de demandes ont été envoyées depuis cette connexion. Réessayez dans "
                   "quelques minutes."}, status=429)


@public
@require_http_methods(["GET", "POST"])
def answer_enter(request: HttpRequest) -> HttpResponse:
    """The short form: the code written on the paper, typed."""
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _flooded(request):
            return _too_many(request)
        status = 400
        if form.is_valid():
            try:
                code = services.code_for_answer(form.cleaned_data["code"])
            except DomainError as error:
                form.add_domain_error(error)
            else:
                return redirect("surveys:answer", code=code.code)
    return render(request, "surveys/answer_enter.html", {"form": form}, status=status)


@public
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, code: str) -> HttpResponse:
    if _flooded(request):
        return _too_many(request)
    try:
        found = services.code_for_answer(code)
    except DomainError as error:
        if error.message == services.UNKNOWN_CODE:  # a code mistyped in the address
            return render(request, "surveys/public_refused.html", {
                "title": "Code inconnu", "message": error.message}, status=404)
        return render(request, "surveys/public_refused.html", {
            "title": "Réponse impossible", "message": error.message}, status=409)
    collection = found.collection
    questions = list(collection.questionnaire.questions.order_by("position"))
    form = AnswerForm(request.POST or None, questions=questions)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.response_submit(code=found.code, values=form.values())
            except DomainError as error:
                if error.field == "code":
                    return render(request, "surveys/public_refused.html", {
                        "title": "Réponse impossible", "message": error.message}, status=409)
                form.add_domain_error(error)
            else:
                return redirect("surveys:answer_thanks")
    return render(request, "surveys/answer.html", {
        "form": form, "collection": collection, "questionnaire": collection.questionnaire,
        "crt": collection.crt}, status=status)


@public
@require_GET
def answer_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/answer_thanks.html")


# --- Questionnaires --------------------------------------------------------------------------


def _questionnaire(request, public_id) -> Questionnaire:
    return get_for_crt(questionnaires_visible(crt=request.crt, user=request.user,
                                              roles=request.roles), request.crt, public_id)


def _to_questionnaire(q: Questionnaire) -> str:
    return reverse("surveys:questionnaire_detail", kwargs={"public_id": q.public_id})


@require("survey.manage")
@require_GET
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.questionnaires(crt=request.crt, user=request.user, roles=request.roles)
    return render(request, "surveys/questionnaires.html", {
        "page": Paginator(qs, 30).get_page(request.GET.get("page"))})


def _questionnaire_form(request, q: Questionnaire | None) -> HttpResponse:
    form = QuestionnaireForm(request.POST or None, instance=q)

    def save(data):
        values = {f: data[f] for f in services.QUESTIONNAIRE_FIELDS}
        if q is None:
            return services.questionnaire_create(actor=request.user, crt=request.crt, **values)
        return services.questionnaire_update(actor=request.user, questionnaire=q,
                                             version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, f"Questionnaire « {result.title} » enregistré.")
        return redirect(_to_questionnaire(result))

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouveau questionnaire" if q is None
                             else f"Modifier « {q.title} »",
                             "back_url": reverse("surveys:questionnaires"),
                             "back_label": "Questionnaires"})


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def questionnaire_create(request: HttpRequest) -> HttpResponse:
    return _questionnaire_form(request, None)


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def questionnaire_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _questionnaire_form(request, _questionnaire(request, public_id))


@require("survey.manage")
@require_GET
def questionnaire_detail(request: HttpRequest, public_id) -> HttpResponse:
    q = _questionnaire(request, public_id)
    return render(request, "surveys/questionnaire_detail.html", {
        "q": q, "questions": list(q.questions.order_by("position")),
        "answered": services.has_answers(q),
        "old_scale": q.questions.filter(kind=Question.Kind.SCALE, points=5).exists(),
        "collections": q.collections.count(),
    })


@require("survey.manage")
@require_POST
def questionnaire_duplicate(request: HttpRequest, public_id) -> HttpResponse:
    q = _questionnaire(request, public_id)
    copy = services.questionnaire_duplicate(actor=request.user, questionnaire=q)
    messages.success(request, f"Nouvelle version créée : « {copy.title} ». L'ancienne est hors "
                              "service ; ses résultats restent consultables.")
    return redirect(_to_questionnaire(copy))


def _question(request, public_id, item_id) -> tuple[Questionnaire, Question]:
    q = _questionnaire(request, public_id)
    try:
        return q, q.questions.get(public_id=item_id)
    except Question.DoesNotExist:
        raise Http404("Question introuvable.") from None


def _question_form(request, q: Questionnaire, question: Question | None) -> HttpResponse:
    initial = {"version": q.version}
    if question is not None:
        initial |= {"kind": question.kind, "text": question.text,
                    "choices": "\n".join(question.choices), "required": question.required}
    form = QuestionForm(request.POST or None, initial=initial)

    def save(data):
        values = {f: data[f] for f in services.QUESTION_FIELDS}
        if question is None:
            return services.question_add(actor=request.user, questionnaire=q,
                                         version=data["version"], **values)
        return services.question_update(actor=request.user, question=question,
                                        version=data["version"], **values)

    def done(result):
        messages.success(request, "Question enregistrée.")
        return redirect(_to_questionnaire(q))

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle question" if question is None
                             else "Modifier la question",
                             "back_url": _to_questionnaire(q), "back_label": q.title})


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def question_add(request: HttpRequest, public_id) -> HttpResponse:
    return _question_form(request, _questionnaire(request, public_id), None)


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, public_id, item_id) -> HttpResponse:
    q, question = _question(request, public_id, item_id)
    return _question_form(request, q, question)


def _question_action(request, public_id, item_id, act) -> HttpResponse:
    q, question = _question(request, public_id, item_id)
    version = posted_version(request)
    try:
        act(question, version)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(_to_questionnaire(q))


@require("survey.manage")
@require_POST
def question_remove(request: HttpRequest, public_id, item_id) -> HttpResponse:
    return _question_action(request, public_id, item_id, lambda question, version: (
        services.question_remove(actor=request.user, question=question, version=version)))


@require("survey.manage")
@require_POST
def question_move(request: HttpRequest, public_id, item_id) -> HttpResponse:
    return _question_action(request, public_id, item_id, lambda question, version: (
        services.question_move(actor=request.user, question=question, version=version,
                               up=request.POST.get("sens") == "haut")))


# --- Collections -----------------------------------------------------------------------------


def _collection(request, public_id) -> Collection:
    return get_for_crt(collections_visible(crt=request.crt, user=request.user,
                                           roles=request.roles)
                       .select_related("questionnaire"), request.crt, public_id)


def _to_collection(c: Collection) -> str:
    return reverse("surveys:collection_detail", kwargs={"public_id": c.public_id})


def _results_context(request, groups, *, label: str, collection=None) -> dict:
    comments = can_read_comments(user=request.user, roles=request.roles)
    if comments and any(r.comments for g in groups for r in g.questions):
        selectors.audit_comments_read(actor=request.user, crt=request.crt, label=label,
                                      collection=collection)
    return {"groups": groups, "can_read_comments": comments}


@require("survey.results")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("sujet", "")
    if kind not in SUBJECT_KINDS:
        kind = ""
    qs = selectors.collections(crt=request.crt, user=request.user, roles=request.roles,
                               subject_kind=kind or None)
    return render(request, "surveys/home.html", {
        "page": Paginator(qs, 30).get_page(request.GET.get("page")),
        "kinds": SUBJECT_KINDS, "kind": kind,
        "can_manage": has_permission(request.roles, "survey.manage"),
    })


@require("survey.results")
@require_GET
def collection_detail(request: HttpRequest, public_id) -> HttpResponse:
    c = _collection(request, public_id)
    groups = selectors.results(
        collections_qs=collections_visible(crt=request.crt, user=request.user,
                                          roles=request.roles).filter(pk=c.pk),
        group_by="collection",
        with_comments=can_read_comments(user=request.user, roles=request.roles))
    can_manage = has_permission(request.roles, "survey.manage")
    codes = selectors.codes(collection=c)
    return render(request, "surveys/collection_detail.html", {
        "c": c, "kind_label": SUBJECT_KINDS.get(c.subject_kind, c.subject_kind),
        "subject_link": _subject_link(request, c),
        "n_codes": codes.count(), "n_unused": codes.filter(used_at__isnull=True).count(),
        "can_manage": can_manage, "group": groups[0] if groups else None,
        **_results_context(request, groups, label=str(c), collection=c),
    })


@require("survey.manage")
@require_GET
def collection_codes_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The unused codes of a collection, each with its QR code, to cut and hand out."""
    from maillage.core.pdf import render_pdf  # WeasyPrint loads on first use only

    c = _collection(request, public_id)
    slips = [{"code": code, "url": answer_url(request, code.code),
              "qr": qr_svg(answer_url(request, code.code), scale=3)}
             for code in selectors.codes(collection=c, unused_only=True)]
    html = render_to_string("surveys/codes_pdf.html", {
        "c": c, "slips": slips, "crt": request.crt,
        "enter_url": request.build_absolute_uri(reverse("surveys:answer_enter")),
        "printed_on": timezone.localdate()})
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="codes-questionnaire.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def collection_codes_add(request: HttpRequest, public_id) -> HttpResponse:
    c = _collection(request, public_id)

    def save(data):
        return services.codes_add(actor=request.user, collection=c, count=data["count"])

    def done(made):
        messages.success(request, count_label(len(made), "code ajouté,codes ajoutés") + ".")
        return redirect(_to_collection(c))

    return run_form(request, CountForm(request.POST or None), save,
                    template="core/form_page.html", on_success=done,
                    context={"title": "Ajouter des codes de réponse", "submit_label": "Ajouter",
                             "back_url": _to_collection(c), "back_label": str(c)})


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def collection_paper(request: HttpRequest, public_id) -> HttpResponse:
    """An answer received on paper, typed by the team."""
    c = _collection(request, public_id)
    questions = list(c.questionnaire.questions.order_by("position"))
    form = AnswerForm(request.POST or None, questions=questions, with_code=True)

    def save(data):
        return services.response_record_paper(actor=request.user, collection=c,
                                              code=data.get("code", ""), values=form.values(),
                                              respondent=data.get("respondent", ""))

    def done(result):
        messages.success(request, "Réponse enregistrée. Vous pouvez saisir la suivante.")
        return redirect("surveys:collection_paper", public_id=c.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Saisir une réponse reçue sur papier",
                             "intro": f"{c.questionnaire.title} — {c.subject_label}",
                             "back_url": _to_collection(c), "back_label": str(c)})


@require("survey.manage")
@require_POST
def collection_toggle(request: HttpRequest, public_id) -> HttpResponse:
    c = _collection(request, public_id)
    version = posted_version(request)
    try:
        services.collection_set_open(actor=request.user, collection=c, version=version,
                                     is_open=not c.is_open)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Collecte ouverte aux réponses." if c.is_open
                         else "Collecte fermée : les codes restants ne servent plus.")
    return redirect(_to_collection(c))


# --- Results of volet 1 and the yearly survey ------------------------------------------------


@require("survey.results")
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """Volet 1 sessions of a period (the current year unless asked, chosen as on the steering
    pages): results per action (``group_key``) or per field (``category_key``), and the
    headline figure of them all — the sessions' collections opened in the period, as
    indicator V1-09 counts them."""
    today = timezone.localdate()
    form = IndicatorPeriodForm(request.GET, today=today, default=Period.year(today.year))
    by = "category" if request.GET.get("par") == "champ" else "group"
    context = {"by": by, "form": form, "can_read_comments": False,
               "keep": {"par": "champ"} if by == "category" else {}}
    if form.is_bound and not form.is_valid():
        return render(request, "surveys/results.html", {**context, "period": None},
                      status=400)
    period = form.period()
    groups = selectors.results_for(crt=request.crt, user=request.user, roles=request.roles,
                                   subject_kind="outreach.session", group_by=by,
                                   period=period)
    headline = selectors.overall(groups)
    query = urlencode(period_query(period))
    return render(request, "surveys/results.html", {
        **context, "period": period, "groups": groups, "headline": headline,
        "headline_share": None if headline is None else number(headline.satisfied_share),
        "responses": sum(g.responses for g in groups),
        "query": query,
        "indicator_url": f"{reverse('steering:indicator', args=['V1-09'])}?{query}"
        if has_permission(request.roles, "indicator.view") else None})


@require("survey.results")
@require_GET
def yearly(request: HttpRequest) -> HttpResponse:
    years = sorted({int(y) for y in collections_visible(
        crt=request.crt, user=request.user, roles=request.roles).filter(
        subject_kind=YEARLY_KIND).values_list("subject_public_id", flat=True)
        if y.isdigit()}, reverse=True)
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = years[0] if years else timezone.localdate().year
    qs = collections_visible(crt=request.crt, user=request.user, roles=request.roles).filter(
        subject_kind=YEARLY_KIND, subject_public_id=yearly_subject(year))
    comments = can_read_comments(user=request.user, roles=request.roles)
    groups = selectors.results(collections_qs=qs, group_by="collection", with_comments=comments)
    collections = {c.pk: c for c in selectors.collections(
        crt=request.crt, user=request.user, roles=request.roles, subject_kind=YEARLY_KIND)
        .filter(subject_public_id=yearly_subject(year))}
    by_key = {str(pk): c for pk, c in collections.items()}
    for group in groups:
        group.collection = by_key.get(group.key)
    return render(request, "surveys/yearly.html", {
        "year": year, "years": years, "audiences": AUDIENCES,
        "can_manage": has_permission(request.roles, "survey.manage"),
        **_results_context(request, groups, label=f"Enquête annuelle {year}"),
    })


@require("survey.manage")
@require_http_methods(["GET", "POST"])
def yearly_open_view(request: HttpRequest) -> HttpResponse:
    form = YearlyOpenForm(request.POST or None,
                          initial={"year": timezone.localdate().year, "beneficiaries": 30,
                                   "caregivers": 30, "professionals": 20})

    def save(data):
        return yearly_survey_open(actor=request.user, crt=request.crt, year=data["year"],
                           counts={a: data[a] for a in AUDIENCES})

    def done(result):
        messages.success(request, f"Enquête {result} ouverte : imprimez les codes de chaque "
                                  "public.")
        return redirect(f"{reverse('surveys:yearly')}?annee={result}")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Ouvrir l'enquête annuelle de satisfaction",
                             "intro": "Un code par personne interrogée : les réponses ne sont "
                                      "liées à aucun dossier.",
                             "submit_label": "Ouvrir l'enquête",
                             "back_url": reverse("surveys:yearly"),
                             "back_label": "Enquête annuelle"})


@require("survey.manage")
@require_POST
def questionnaires_install(request: HttpRequest) -> HttpResponse:
    from .defaults import default_questionnaires_install

    made = default_questionnaires_install(actor=request.user, crt=request.crt)
    messages.success(request, count_label(len(made), QUESTIONNAIRES_INSTALLED) + "." if made
                     else "Les questionnaires par défaut sont déjà installés.")
    return redirect("surveys:questionnaires")
