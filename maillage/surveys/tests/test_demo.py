"""The surveys demo: default questionnaires everywhere; Anjou Bleu's yearly survey of last year
(closed, the three audiences answered) and this year's, open, with its first answers."""

from django.utils import timezone

from maillage.core.models import Crt
from maillage.surveys import selectors
from maillage.surveys.models import Collection, Questionnaire, Response


def test_demo_questionnaires_and_yearly_survey(demo):
    year = timezone.localdate().year
    for crt in Crt.objects.all():
        assert Questionnaire.objects.filter(crt=crt, is_active=True).count() >= 4
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    yearly = Collection.objects.filter(crt=anjou, subject_kind="volet2.yearly")
    now = yearly.filter(subject_public_id=str(year))
    assert set(now.values_list("category_key", flat=True)) == {
        "beneficiaries", "caregivers", "professionals"}
    assert all(c.is_open for c in now)
    assert Response.objects.filter(collection__in=now).count() == 13
    last = yearly.filter(subject_public_id=str(year - 1))
    assert last.count() == 3 and not any(c.is_open for c in last)
    assert Response.objects.filter(collection__in=last).count() == 24 + 15 + 11
    groups = selectors.results(collections_qs=yearly, group_by="category")
    assert all(g.responses for g in groups)
    beneficiaries = next(g for g in groups if g.key == "beneficiaries")
    # The default questionnaires ask on four points (INDICATORS V1-09).
    assert beneficiaries.satisfaction.points == [4]
    assert 2.7 <= beneficiaries.satisfaction.mean <= 3.7
    # Online and paper answers, dated when they came back (not the loading day).
    assert set(Response.objects.filter(crt=anjou).values_list("channel", flat=True)) == {
        "online", "paper"}
    assert Response.objects.filter(crt=anjou, created_at__date__lt=timezone.localdate()
                                   ).exists()
    assert not Collection.objects.filter(subject_kind="volet2.yearly").exclude(crt=anjou).exists()
    assert Response.objects.filter(crt=anjou, channel="paper", created_by__isnull=False).exists()
    assert not Response.objects.filter(crt=anjou, channel="online",
                                       created_by__isnull=False).exists()
