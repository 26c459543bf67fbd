"""Satisfaction questionnaires (issue 13, item 2). How other apps use it (``surveys`` imports
none of them; they pass their subject as plain values):

- open the collection of a subject, with answer codes::

      services.collection_open(actor=, crt=, subject_kind="outreach.session",
          subject_public_id=session.public_id, subject_label="Atelier équilibre — 12/03/2027",
          group_key=action.public_id, group_label=action.title,
          category_key=action.field, category_label=action.get_field_display(),
          codes={"older_person": 8, "caregiver": 2, "professional": 0})
      # questionnaire: the CRT's one in service for usage "session" unless given; idempotent
      # per subject (a second call adds the codes asked to the same collection).

- the subject renamed (session moved, action renamed or given another field):
  ``services.collection_relabel(actor=, crt=, subject_kind=, subject_public_id=,
  subject_label=None, group_label=None, category_key=None, category_label=None)``;
- the codes and their QR codes (attendance sheet): ``selectors.codes(collection=c,
  unused_only=True)``, ``qr.answer_url(request, code.code)``, ``qr.qr_svg(url)`` (an inline
  ``<svg>``, for pages and WeasyPrint); the printable sheet of slips:
  ``reverse("surveys:collection_codes_pdf", kwargs={"public_id": c.public_id})``;
- results per action or per field: ``selectors.results_for(crt=, user=, roles=,
  subject_kind="outreach.session", group_by="group" | "category", keys=None,
  subject_ids=None, with_comments=False, period=None)`` (``period``: the collections opened
  in it, as the satisfaction indicators count them); a group's headline ``g.satisfaction``
  (the first scale question of each questionnaire, « satisfied » = the top two grades of
  each question's own scale: 3-4 of 4, 4-5 of the former 5 — ``models.satisfied_q()`` in
  queries), and that of all the groups, ``selectors.overall(groups)`` (its
  ``satisfied_share``: V1-09's);
- demo answers: ``demo.demo_responses_add(collection=, rng=, count=, actor=None)``.
"""
