"""How to build a URL of CRT A for each route that names an object.

Every route with URL parameters must appear here: the tenancy test fails on a route it cannot
build, so a new object page cannot escape the "other CRT gets 404" check.

Each builder takes the CRT and the user who will ask (or None), with their roles, and builds an
object that user may legitimately reach (e.g. a beneficiary whose care team includes them), so
that the permission matrix tests the role, not the object rules (tested in each app).
"""

import itertools

from maillage.admissions.models import Suspension
from maillage.admissions.tests.factories import ReferralFactory, contract, enrolment
from maillage.beneficiaries.tests.factories import (
    CaregiverFactory,
    consent,
    document,
    join_care_team,
    shared_file,
    vital_sign,
)
from maillage.care.tests import factories as care
from maillage.core.permissions import has_permission
from maillage.lodging.tests import factories as lodging
from maillage.oncall.tests import factories as oncall
from maillage.organisation.tests import factories as organisation
from maillage.outreach.tests import factories as outreach
from maillage.portal.tests.factories import portal_file
from maillage.steering.tests import factories as steering
from maillage.surveys.tests import factories as surveys
from maillage.territory.tests.factories import (
    CommuneFactory,
    OrganizationFactory,
    ProfessionalFactory,
    agreement,
    annuaire_import,
)
from maillage.visits.tests import factories as visits

_SERIAL = itertools.count(1)


def _one(factory):
    return lambda crt, user, roles: {"public_id": factory(crt=crt).public_id}


def _file(crt, user, roles):
    return {"public_id": shared_file(crt, user, roles).public_id}


def _file_item(make_item):
    def build(crt, user, roles):
        b = shared_file(crt, user, roles)
        return {"public_id": b.public_id, "item_id": make_item(b).public_id}

    return build


def _any_user(crt):
    from maillage.core.tests.factories import UserFactory

    return UserFactory()


def _own_measure(crt, user, roles):
    """A measure of a file of ``user``'s care team that they recorded (any user may correct or
    retract their own)."""
    b = shared_file(crt, user, roles)
    return {"public_id": b.public_id, "item_id": vital_sign(b, user).public_id}


def _visit(make):
    def build(crt, user, roles):
        return {"visit_id": make(shared_file(crt, user, roles), user, roles).public_id}

    return build


def _proposal(crt, user, roles):
    from datetime import date

    from maillage.rounds.models import Proposal

    return {"public_id": Proposal.objects.create(crt=crt, day=date(2026, 12, 1)).public_id}


def _carer(crt, user, roles):
    from maillage.core.roles import Role
    from maillage.core.tests.factories import UserFactory, member

    aide = UserFactory()
    member(aide, crt, Role.CARE_AIDE)
    return {"public_id": aide.public_id}


#: route name -> function(crt, user, roles) returning the URL kwargs.
OBJECT_ROUTES = {
    "territory:commune_edit": _one(CommuneFactory),
    "territory:organization_detail": _one(OrganizationFactory),
    "territory:organization_edit": _one(OrganizationFactory),
    "territory:professional_edit": _one(ProfessionalFactory),
    "territory:annuaire_import_review": _one(annuaire_import),
    "territory:annuaire_import_apply": _one(annuaire_import),
    "territory:annuaire_import_cancel": _one(annuaire_import),
    "beneficiaries:detail": _file,
    "mssante:file": _file,
    "beneficiaries:identity_edit": _file,
    "beneficiaries:access_log": _file,
    "beneficiaries:access_history": _file,
    "beneficiaries:access_report": _file,
    "beneficiaries:situation_edit": _file,
    "beneficiaries:caregiver_add": _file,
    "beneficiaries:caregiver_edit": _file_item(
        lambda b: CaregiverFactory(crt=b.crt, beneficiary=b)
    ),
    "beneficiaries:care_team_add": _file,
    "beneficiaries:care_team_pick": _file,
    "beneficiaries:care_team_end": _file_item(lambda b: join_care_team(b, _staff(b))),
    "beneficiaries:consent_add": _file,
    "beneficiaries:consent_withdraw": _file_item(lambda b: consent(b)),
    "beneficiaries:medical": _file,
    "beneficiaries:medical_edit": _file,
    "beneficiaries:vital_charts": _file,
    "beneficiaries:vital_sign_add": _file,
    "beneficiaries:vital_thresholds_edit": _file,
    "beneficiaries:vital_sign_correct": _own_measure,
    "beneficiaries:vital_sign_retract": _own_measure,
    "beneficiaries:aggir_create": _file,
    "beneficiaries:icope_create": _file,
    "beneficiaries:free_evaluation_create": _file,
    "beneficiaries:document_add": _file,
    "beneficiaries:document_download": _file_item(lambda b: document(b)),
    "admissions:referral_detail": _one(ReferralFactory),
    "admissions:step_add": _one(ReferralFactory),
    "admissions:contract_generate": _one(ReferralFactory),
    "admissions:contract_download": lambda crt, user, roles: _contract(crt),
    "admissions:link_file": _one(ReferralFactory),
    "admissions:admit": _one(ReferralFactory),
    "admissions:referral_pick": _one(ReferralFactory),
    "admissions:enrolment_detail": lambda crt, user, roles: {
        "public_id": enrolment(shared_file(crt)).public_id},
    "admissions:suspension_add": lambda crt, user, roles: {
        "public_id": enrolment(shared_file(crt)).public_id},
    "admissions:suspension_end": lambda crt, user, roles: _suspension(crt),
    "admissions:enrolment_exit": lambda crt, user, roles: {
        "public_id": enrolment(shared_file(crt)).public_id},
    "care:service_edit": lambda crt, user, roles: {"public_id": care.service(crt).public_id},
    "care:plan": _file,
    "care:plan_start": _file,
    "care:plan_pick": _file,
    "care:plan_diff": _file,
    "care:basket_add": _file,
    "care:basket_end": _file_item(lambda b: care.basket_item(b)),
    "care:plan_version": lambda crt, user, roles: _plan(crt, user, roles),
    "care:plan_edit": lambda crt, user, roles: _plan(crt, user, roles),
    "care:plan_validate": lambda crt, user, roles: _plan(crt, user, roles),
    "care:plan_pdf": lambda crt, user, roles: _plan(crt, user, roles),
    "care:plan_add_item": lambda crt, user, roles: {**_plan(crt, user, roles), "kind": "probleme"},
    "care:plan_remove_item": lambda crt, user, roles: _plan_item(crt, user, roles),
    "care:plan_review": lambda crt, user, roles: _plan_goal(crt, user, roles, item=False),
    "care:goal_status": lambda crt, user, roles: _plan_goal(crt, user, roles),
    "oncall:person": _file,
    "oncall:call": lambda crt, user, roles: {"call_id": oncall.call(
        crt, user or _any_user(crt), shared_file(crt, user, roles)).public_id},
    "oncall:escalation_add": lambda crt, user, roles: {"call_id": oncall.call(
        crt, user or _any_user(crt), shared_file(crt, user, roles)).public_id},
    "oncall:shift_remove": lambda crt, user, roles: {"shift_id": oncall.shift(crt).public_id},
    "oncall:contact_remove": lambda crt, user, roles: {
        "contact_id": oncall.contact(crt).public_id},
    "oncall:contact_edit": lambda crt, user, roles: {
        "contact_id": oncall.contact(crt).public_id},
    "oncall:arrangement_edit": lambda crt, user, roles: {
        "arrangement_id": oncall.arrangement(crt).public_id},
    "oncall:dlu": lambda crt, user, roles: {
        "public_id": _transfer_call(crt, user, roles).beneficiary.public_id},
    "oncall:dlu_pdf": lambda crt, user, roles: {
        "public_id": _transfer_call(crt, user, roles).beneficiary.public_id},
    "oncall:dlu_cda": lambda crt, user, roles: {
        "public_id": _transfer_call(crt, user, roles).beneficiary.public_id},
    "oncall:dlu_edit": _file,
    "oncall:dlu_review": _file,
    "oncall:fiche_aller": lambda crt, user, roles: {
        "call_id": _transfer_call(crt, user, roles).public_id},
    "oncall:fiche_aller_cda": lambda crt, user, roles: {
        "call_id": _transfer_call(crt, user, roles).public_id},
    "visits:ical": lambda crt, user, roles: {"token": "jeton-inconnu"},
    "visits:beneficiary": _file,
    "visits:plan": _file,
    "visits:detail": _visit(visits.visit),
    "rounds:proposal": _proposal,
    "rounds:apply": _proposal,
    "rounds:hours_edit": _carer,
    "visits:edit": _visit(visits.visit),
    "visits:series_edit": _visit(visits.series_visit),
    "visits:cancel": _visit(visits.visit),
    "visits:move": _visit(visits.visit),
    "visits:trace_done": _visit(visits.visit),
    "visits:trace_not_done": _visit(visits.visit),
    "care:notes": _file,
    "care:alerts": _file,
    "care:alert_add": _file,
    "care:alert_pick": _file,
    "care:alert_acknowledge": _file_item(lambda b: _alert(b)),
    "care:alert_resolve": _file_item(lambda b: _alert(b)),
    "care:conversation": lambda crt, user, roles: {**_file(crt, user, roles), "kind": "equipe"},
    "care:conversation_messages": lambda crt, user, roles: {**_file(crt, user, roles),
                                                            "kind": "equipe"},
    "care:conversation_open_health": _file,
    "care:message_attachment": _file_item(lambda b: care.message(b, attachment=True)),
    "care:telehealth": _file,
    "care:prescriptions": _file,
    "care:prescription_add": _file,
    "care:prescription_cancel": _file_item(lambda b: care.prescription_request(b)),
    "care:telehealth_add": _file,
    "care:telehealth_pick": _file,
    "care:telehealth_person": lambda crt, user, roles: _territory_person(crt),
    "care:telehealth_person_add": lambda crt, user, roles: _territory_person(crt),
    "lodging:room_edit": lambda crt, user, roles: {"public_id": lodging.room(crt).public_id},
    "lodging:stay_detail": lambda crt, user, roles: {"public_id": lodging.stay(crt).public_id},
    "lodging:stay_edit": lambda crt, user, roles: {"public_id": lodging.stay(crt).public_id},
    "lodging:stay_start": lambda crt, user, roles: {"public_id": lodging.stay(crt).public_id},
    "lodging:stay_end": lambda crt, user, roles: {"public_id": lodging.stay(crt).public_id},
    "lodging:stay_cancel": lambda crt, user, roles: {"public_id": lodging.stay(crt).public_id},
    "outreach:action_detail": lambda crt, user, roles: {
        "public_id": outreach.action(crt).public_id},
    "outreach:action_edit": lambda crt, user, roles: {"public_id": outreach.action(crt).public_id},
    "outreach:session_create": lambda crt, user, roles: {
        "public_id": outreach.action(crt).public_id},
    "outreach:session_detail": lambda crt, user, roles: _outreach_session(crt, user, roles),
    "outreach:session_edit": lambda crt, user, roles: _outreach_session(crt, user, roles),
    "outreach:session_register": lambda crt, user, roles: _outreach_session(crt, user, roles),
    "outreach:session_attendance": lambda crt, user, roles: _outreach_session(crt, user, roles),
    "outreach:session_sheet": lambda crt, user, roles: _outreach_session(crt, user, roles),
    "outreach:session_satisfaction": lambda crt, user, roles: _outreach_session(crt, user,
                                                                              roles),
    "outreach:attendee_edit": lambda crt, user, roles: {
        "public_id": outreach.attendee(crt).public_id},
    "outreach:attendee_merge_pick": lambda crt, user, roles: {
        "public_id": outreach.attendee(crt).public_id},
    "outreach:attendee_merge": lambda crt, user, roles: {
        "public_id": outreach.attendee(crt).public_id,
        "duplicate_id": outreach.attendee(crt).public_id},
    "outreach:attendee_join": lambda crt, user, roles: {
        "public_id": outreach.attendee(crt).public_id},
    "outreach:participation_transport": lambda crt, user, roles: {
        "public_id": outreach.participation(outreach.session(crt)).public_id},
    "territory:agreement_detail": lambda crt, user, roles: {
        "public_id": agreement(crt).public_id},
    "territory:agreement_edit": lambda crt, user, roles: {"public_id": agreement(crt).public_id},
    "territory:agreement_download": lambda crt, user, roles: {
        "public_id": _agreement_with_pdf(crt).public_id},
    "organisation:position_edit": lambda crt, user, roles: {
        "public_id": organisation.position(crt).public_id},
    "organisation:meeting_detail": lambda crt, user, roles: {
        "public_id": organisation.meeting(crt, kind="copil").public_id},
    "organisation:meeting_edit": lambda crt, user, roles: {
        "public_id": organisation.meeting(crt, kind="copil").public_id},
    "organisation:meeting_minutes": lambda crt, user, roles: {
        "public_id": _meeting_with_minutes(crt).public_id},
    "organisation:decision_add": lambda crt, user, roles: {
        "public_id": organisation.meeting(crt, kind="copil").public_id},
    "organisation:decision_edit": lambda crt, user, roles: {
        "public_id": _decision(crt, user).public_id},
    "organisation:decision_done": lambda crt, user, roles: {
        "public_id": _decision(crt, user).public_id},
    "steering:expense_edit": lambda crt, user, roles: {
        "public_id": steering.expense(crt).public_id},
    # One allocation a year and one mapping a prefix per CRT: each build takes a new one.
    "steering:allocation_edit": lambda crt, user, roles: {
        "public_id": steering.allocation(crt, year=2000 + next(_SERIAL) % 100).public_id},
    "steering:mapping_edit": lambda crt, user, roles: {
        "public_id": steering.mapping(crt, prefix=f"6{next(_SERIAL)}").public_id},
    "steering:fec_import_cancel": lambda crt, user, roles: {
        "public_id": steering.fec_import(crt).public_id},
    # An indicator code names no object of a CRT: see CRT_NEUTRAL_ROUTES below.
    "steering:indicator": lambda crt, user, roles: {"code": "V2-01a"},
    "steering:indicator_records": lambda crt, user, roles: {"code": "V2-01a"},
    # Reports: a draft each time (one draft per period: each build takes a new year), a
    # submitted one for « Corriger » and for a reader who sees no draft (the ARS).
    **{f"steering:report_{name}": lambda crt, user, roles: {
        "public_id": _report(crt).public_id}
       for name in ("narratives", "regenerate", "submit")},
    **{f"steering:report_{name}": lambda crt, user, roles: {
        "public_id": _report(crt, submitted=not has_permission(roles, "report.drafts"))
        .public_id} for name in ("detail", "pdf", "xlsx")},
    "steering:report_correct": lambda crt, user, roles: {
        "public_id": _report(crt, submitted=True).public_id},
    "portal:file": lambda crt, user, roles: {
        "public_id": portal_file(crt, user, roles).public_id},
    "portal:note_add": lambda crt, user, roles: {
        "public_id": portal_file(crt, user, roles).public_id},
    "portal:access_log": lambda crt, user, roles: {
        "public_id": portal_file(crt, user, roles).public_id},
    "portal:access": _file,
    "portal:access_create_self": _file,
    "portal:access_link_self": _file,
    "portal:access_remove_self": _file,
    "portal:access_create_caregiver": _file_item(
        lambda b: CaregiverFactory(crt=b.crt, beneficiary=b)),
    "portal:access_link_caregiver": _file_item(
        lambda b: CaregiverFactory(crt=b.crt, beneficiary=b)),
    "portal:access_remove_caregiver": _file_item(
        lambda b: CaregiverFactory(crt=b.crt, beneficiary=b)),
    "core:member_edit": lambda crt, user, roles: _membership(crt),
    "core:member_deactivate": lambda crt, user, roles: _membership(crt),
    "core:member_reactivate": lambda crt, user, roles: _membership(crt, is_active=False),
    "core:member_link": lambda crt, user, roles: _membership(crt),
    "core:outbox_retry": lambda crt, user, roles: {"public_id": _failed_message(crt).public_id},
    # A password link names no CRT: a wrong one answers 404 like an unknown object.
    "core:password_set": lambda crt, user, roles: {"uidb64": "MA", "token": "jeton-inconnu"},
    "surveys:questionnaire_detail": lambda crt, user, roles: {
        "public_id": surveys.questionnaire(crt).public_id},
    "surveys:questionnaire_edit": lambda crt, user, roles: {
        "public_id": surveys.questionnaire(crt).public_id},
    "surveys:questionnaire_duplicate": lambda crt, user, roles: {
        "public_id": surveys.questionnaire(crt).public_id},
    "surveys:question_add": lambda crt, user, roles: {
        "public_id": surveys.questionnaire(crt).public_id},
    "surveys:question_edit": lambda crt, user, roles: surveys.question_kwargs(crt),
    "surveys:question_remove": lambda crt, user, roles: surveys.question_kwargs(crt),
    "surveys:question_move": lambda crt, user, roles: surveys.question_kwargs(crt),
    "surveys:collection_detail": lambda crt, user, roles: {
        "public_id": surveys.answered_collection(crt).public_id},
    "surveys:collection_codes_pdf": lambda crt, user, roles: {
        "public_id": surveys.collection(crt).public_id},
    "surveys:collection_codes_add": lambda crt, user, roles: {
        "public_id": surveys.collection(crt).public_id},
    "surveys:collection_paper": lambda crt, user, roles: {
        "public_id": surveys.collection(crt).public_id},
    "surveys:collection_toggle": lambda crt, user, roles: {
        "public_id": surveys.collection(crt).public_id},
    # The public answer page of a code: an unknown code answers 404 (a real code is answered in
    # surveys/tests and tests/e2e/test_satisfaction_public_link.py).
    "surveys:answer": lambda crt, user, roles: {"code": "CODEINCONNU"},
    # The ARS's regional view: the region of CRT A (the ARS user belongs to it).
    "regional:overview": lambda crt, user, roles: _region(crt, user, roles),
    "regional:overview_export": lambda crt, user, roles: {**_region(crt, user, roles),
                                                          "fmt": "csv"},
    "regional:indicator": lambda crt, user, roles: {**_region(crt, user, roles),
                                                    "code": "V2-01a"},
    "regional:indicator_export": lambda crt, user, roles: {**_region(crt, user, roles),
                                                           "code": "V2-08", "fmt": "xlsx"},
    "regional:budget": lambda crt, user, roles: _region(crt, user, roles),
    "regional:budget_export": lambda crt, user, roles: {**_region(crt, user, roles),
                                                        "fmt": "xlsx"},
    # A report the region's CRT A transmitted (the ARS reads no draft).
    **{f"regional:{name}": lambda crt, user, roles: {
        **_region(crt, user, roles), "public_id": _report(crt, submitted=True).public_id}
       for name in ("report", "report_pdf", "report_xlsx")},
    # Public pages of a CRT: reachable by anyone by design; an unknown CRT answers 404.
    "admissions:public_referral": lambda crt, user, roles: {"crt_id": crt.public_id},
    "admissions:public_referral_thanks": lambda crt, user, roles: {"crt_id": crt.public_id},
    # The FHIR API (bearer tokens, walked by ``interop/tests/test_api_walk.py``): a Patient is
    # a file the token's user may see; an unsupported type names no object.
    "interop:patient_read": lambda crt, user, roles: {"id": _file(crt, user, roles)["public_id"]},
    "interop:organization_read": lambda crt, user, roles: {
        "id": OrganizationFactory(crt=crt).public_id},
    "interop:relatedperson_read": lambda crt, user, roles: {
        "id": CaregiverFactory(crt=crt, beneficiary=shared_file(crt, user, roles)).public_id},
    "interop:practitioner_read": lambda crt, user, roles: {
        "id": ProfessionalFactory(crt=crt).public_id},
    "interop:practitionerrole_read": lambda crt, user, roles: {
        "id": ProfessionalFactory(crt=crt).public_id},
    # A care team's id is its person's (the file the token's user may see, where they are a
    # member); a consent is one of that file's.
    "interop:careteam_read": lambda crt, user, roles: {"id": _file(crt, user, roles)["public_id"]},
    "interop:consent_read": lambda crt, user, roles: {
        "id": consent(shared_file(crt, user, roles)).public_id},
    "interop:healthcareservice_read": lambda crt, user, roles: {"id": _ror_offer(crt)},
    "interop:observation_read": lambda crt, user, roles: {"id": _vital_sign(crt, user, roles)},
    "interop:communication_read": lambda crt, user, roles: {
        "id": _liaison_note(crt, user, roles)},
    "interop:careplan_read": lambda crt, user, roles: {"id": care.plan_version(
        shared_file(crt, user, roles)).public_id},
    "interop:encounter_read": lambda crt, user, roles: {"id": visits.visit(
        shared_file(crt, user, roles), user, roles, status="done").public_id},
    "interop:appointment_read": lambda crt, user, roles: {"id": visits.visit(
        shared_file(crt, user, roles), user, roles).public_id},
    "interop:documentreference_read": lambda crt, user, roles: {"id": document(
        shared_file(crt, user, roles)).public_id},
    # A Binary is the file of a DocumentReference, under its id.
    "interop:binary_read": lambda crt, user, roles: {"id": document(
        shared_file(crt, user, roles)).public_id},
    "interop:unknown_type": lambda crt, user, roles: {"resource_type": "Medication"},
    "interop:unknown_read": lambda crt, user, roles: {"resource_type": "Medication",
                                                      "id": "inconnu"},
    "api_tokens:revoke": lambda crt, user, roles: {"prefix": _api_token(crt).prefix},
}


def _region(crt, user, roles):
    """The region of ``crt`` (Pays de la Loire, made when missing); an ARS user belongs to it
    (a region membership: the only way into the regional view)."""
    from maillage.core.models import Crt, Region, RegionMembership
    from maillage.core.roles import Role

    region = Region.objects.filter(crts=crt).first()
    if region is None:
        region, _ = Region.objects.get_or_create(code="52",
                                                 defaults={"name": "Pays de la Loire"})
        Crt.objects.filter(pk=crt.pk).update(region=region)
    if user is not None and Role.ARS in roles:
        RegionMembership.objects.get_or_create(user=user, region=region)
    return {"region": region.code}


def _outreach_session(crt, user, roles):
    """A volet 1 session with a registered person; a partner facilitates it."""
    from maillage.core.roles import Role

    partner = user if user is not None and Role.PARTNER in roles else None
    s = outreach.session(crt, partner_user=partner)
    outreach.participation(s)
    return {"public_id": s.public_id}


def _territory_person(crt):
    """An older person of the territory (volet 1 light record) with a telehealth act."""
    person = outreach.attendee(crt)
    care.territory_telehealth_act(person, staff=_any_user(crt))
    return {"public_id": person.public_id}


def _agreement_with_pdf(crt):
    from django.core.files.base import ContentFile

    from maillage.beneficiaries.tests.factories import PDF

    a = agreement(crt)
    a.file.save(f"{a.public_id}.pdf", ContentFile(PDF), save=True)
    return a


def _meeting_with_minutes(crt):
    """A COPIL (every team role may read it) with its minutes."""
    from django.core.files.base import ContentFile

    from maillage.beneficiaries.tests.factories import PDF

    m = organisation.meeting(crt, kind="copil")
    m.minutes.save(f"{m.public_id}.pdf", ContentFile(PDF), save=True)
    return m


def _decision(crt, user):
    """A COPIL decision carried by ``user`` (who may then mark it done)."""
    return organisation.decision(organisation.meeting(crt, kind="copil"),
                                 user or _any_user(crt))


def _membership(crt, is_active=True):
    """A nurse of ``crt``: someone the direction and the coordination both manage."""
    from maillage.core.roles import Role
    from maillage.core.tests.factories import UserFactory, member

    return {"public_id": member(UserFactory(), crt, Role.NURSE,
                                is_active=is_active).public_id}


def _contract(crt):
    referral = ReferralFactory(crt=crt)
    c = contract(referral, shared_file(crt))
    return {"public_id": referral.public_id, "item_id": c.public_id}


def _suspension(crt):
    from datetime import date

    e = enrolment(shared_file(crt))
    s = Suspension.objects.create(crt=crt, enrolment=e, kind="hospitalisation",
                                  start_date=date(2025, 2, 1), reason="Chute")
    return {"public_id": e.public_id, "item_id": s.public_id}


def _plan(crt, user, roles):
    b = shared_file(crt, user, roles)
    version = care.plan_version(b)
    return {"public_id": b.public_id, "number": version.number}


def _plan_item(crt, user, roles):
    from maillage.care.models import Problem

    kwargs = _plan(crt, user, roles)
    version = Problem._meta.get_field("version").related_model.objects.get(
        plan__beneficiary__public_id=kwargs["public_id"])
    problem = Problem.objects.create(crt=crt, version=version, description="Isolement")
    return {**kwargs, "kind": "probleme", "item_id": problem.public_id}


def _plan_goal(crt, user, roles, *, item=True):
    """A validated plan whose goal changed status once (its history shows a comment)."""
    from django.utils import timezone

    from maillage.care.models import Goal, GoalStatusChange

    b = shared_file(crt, user, roles)
    user = user or _any_user(crt)
    version = care.plan_version(b, status="validated", validated_at=timezone.now())
    goal = Goal.objects.create(crt=crt, version=version, description="Aucune chute en 3 mois",
                               status="in_progress")
    GoalStatusChange.objects.create(crt=crt, goal=goal, old_status="planned",
                                    new_status="in_progress", changed_on=timezone.localdate(),
                                    comment="Engagé avec l'aidante", changed_by=user)
    kwargs = {"public_id": b.public_id, "number": version.number}
    return {**kwargs, "item_id": goal.public_id} if item else kwargs


def _alert(beneficiary):
    from maillage.care.models import Alert

    return Alert.objects.create(crt=beneficiary.crt, beneficiary=beneficiary, kind="fall",
                                description="Chute dans la salle de bains")


def _transfer_call(crt, user, roles):
    """An open call about a person of ``user``'s care team, answered by ``user``; a responder
    without health role has broken the glass (the only way they may read the DLU)."""
    from maillage.core.roles import HEALTH_PROFESSIONALS
    from maillage.oncall.models import BreakGlass

    user = user or _any_user(crt)
    b = shared_file(crt, user, roles)
    call = oncall.call(crt, user, b)
    if not set(roles) & HEALTH_PROFESSIONALS:
        BreakGlass.objects.create(crt=crt, call=call, user=user, beneficiary=b,
                                  reason="Chute, la personne ne répond plus")
    return call


def _report(crt, submitted=False):
    from datetime import date

    from django.utils import timezone

    year = 2000 + next(_SERIAL) % 100
    fields = {"period_start": date(year, 1, 1), "period_end": date(year, 12, 31)}
    if submitted:
        fields.update(status="submitted", submitted_at=timezone.now())
    return steering.report(crt, **fields)


def _failed_message(crt):
    from maillage.core.models import OutboxMessage

    return OutboxMessage.objects.create(crt=crt, to="partenaire@example.fr", subject="Objet",
                                        body="Texte", state=OutboxMessage.State.FAILED)


def _ror_offer(crt):
    """The CRT's home support offer (made with the CRT: ``interop/apps.py``)."""
    from maillage.interop.models import RorOffer

    return RorOffer.objects.get(crt=crt, kind=RorOffer.Kind.HOME_SUPPORT).public_id


def _api_token(crt):
    from maillage.core.roles import Role
    from maillage.core.tests.factories import UserFactory, member
    from maillage.interop.services import api_token_create

    user = UserFactory()
    member(user, crt, Role.PARTNER)
    return api_token_create(actor=None, crt=crt, user=user, name="Jeton").token


def _vital_sign(crt, user, roles):
    """A measure of a file whose health data ``user`` may see (the care team, consented)."""
    from datetime import timedelta

    from django.utils import timezone

    from maillage.beneficiaries.vitals import vital_sign_record
    from maillage.core.tests.factories import UserFactory

    b = shared_file(crt, user, roles)
    return vital_sign_record(actor=UserFactory(), beneficiary=b, kind="heart_rate", value=72,
                             measured_at=timezone.now() - timedelta(hours=1)).public_id


def _liaison_note(crt, user, roles):
    from maillage.care.models import LiaisonNote
    from maillage.core.tests.factories import UserFactory

    b = shared_file(crt, user, roles)
    author = UserFactory()
    return LiaisonNote.objects.create(crt=crt, beneficiary=b, author=author,
                                      text="Bonne nuit, appétit correct.").public_id


def _staff(beneficiary):
    from maillage.core.tests.factories import UserFactory

    return UserFactory()


#: Routes whose URL parameters name no object of a CRT (an indicator code): the same URL shows
#: each CRT its own figures and records, so another CRT's user gets their own page, not a 404
#: (``test_tenancy`` checks that and that an unknown value answers 404; that no other CRT's
#: record appears is tested in ``steering/tests/test_dashboard.py``).
def _offline_device(crt, user, roles):
    from maillage.offline.models import Device

    owner = user if user is not None else _any_user(crt)
    return {"device_id": Device.objects.create(crt=crt, user=owner).public_id}


OBJECT_ROUTES.update({
    "offline:day": _offline_device,
    "offline:device_state": _offline_device,
})

CRT_NEUTRAL_ROUTES = {"steering:indicator", "steering:indicator_records",
                      "interop:unknown_type", "interop:unknown_read"}

#: Routes that only accept POST (GET answers 405 whoever asks).
POST_ONLY = {
    "rounds:apply", "offline:register", "offline:sync",
    "care:prescription_cancel",
    "core:logout", "admissions:link_file", "care:domains_install", "care:plan_start",
    "care:plan_add_item", "care:plan_remove_item", "care:plan_validate",
    "care:alert_acknowledge", "care:conversation_open_health", "visits:cancel", "visits:move",
    "oncall:escalation_add", "oncall:shift_remove", "oncall:contact_add",
    "oncall:contact_remove", "oncall:dlu_review",
    "core:member_deactivate", "core:member_reactivate", "core:member_link",
    "core:outbox_retry",
    "surveys:questionnaire_duplicate", "surveys:question_remove", "surveys:question_move",
    "surveys:collection_toggle", "surveys:questionnaires_install",
    "outreach:session_satisfaction", "steering:fec_import_cancel",
    "territory:annuaire_import_apply", "territory:annuaire_import_cancel",
    "steering:report_narratives", "steering:report_regenerate", "steering:report_submit",
    "steering:report_correct",
    "portal:access_link_self", "portal:access_remove_self", "portal:access_link_caregiver",
    "portal:access_remove_caregiver", "api_tokens:create", "api_tokens:revoke",
}
