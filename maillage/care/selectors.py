"""Reads of the catalogue and the plans."""

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Subquery

from .models import (
    Alert,
    BasketItem,
    CarePlanVersion,
    Domain,
    LiaisonNote,
    LiaisonNoteRead,
    Service,
)


def catalogue(*, crt) -> list[Domain]:
    return list(
        Domain.objects.filter(crt=crt).prefetch_related(
            Prefetch("services", queryset=Service.objects.select_related("provider"))
        )
    )


def basket(*, beneficiary) -> list[BasketItem]:
    return list(BasketItem.objects.filter(beneficiary=beneficiary)
                .select_related("service__domain", "service__provider")
                .order_by("end_date", "service__domain__position", "service__name"))


def versions(*, beneficiary) -> list[CarePlanVersion]:
    return list(CarePlanVersion.objects.filter(plan__beneficiary=beneficiary)
                .select_related("validated_by", "referent", "based_on").order_by("-number"))


def version_with_items(*, beneficiary, number: int) -> CarePlanVersion:
    from django.http import Http404

    version = (
        CarePlanVersion.objects.filter(plan__beneficiary=beneficiary, number=number)
        .select_related("referent", "validated_by", "plan__beneficiary")
        .prefetch_related("problems", "goals",
                          "actions__domain", "actions__service", "actions__staff",
                          "actions__professional")
        .first()
    )
    if version is None:
        raise Http404("Version inconnue.")
    return version


def reviews_due(*, crt, within_days: int = 15) -> list[CarePlanVersion]:
    """Validated plans (the latest version of each) due for review soon or overdue."""
    limit = date.today() + timedelta(days=within_days)
    validated = CarePlanVersion.Status.VALIDATED
    latest_number = (
        CarePlanVersion.objects.filter(plan=OuterRef("plan"), status=validated)
        .order_by("-number").values("number")[:1]
    )
    return list(
        CarePlanVersion.objects.filter(crt=crt, status=validated, next_review_on__lte=limit,
                                       number=Subquery(latest_number))
        .select_related("plan__beneficiary", "referent")
        .order_by("next_review_on")
    )


def notes(*, beneficiary, user, access, category: str = "", unread: bool = False):
    qs = (LiaisonNote.objects.filter(beneficiary=beneficiary)
          .select_related("author")
          .annotate(read_by_me=Exists(LiaisonNoteRead.objects.filter(
              note=OuterRef("pk"), user=user))))
    if not access.health:
        qs = qs.exclude(visibility=LiaisonNote.Visibility.HEALTH)
    if category:
        qs = qs.filter(category=category)
    if unread:
        qs = qs.filter(read_by_me=False)
    return qs.order_by("-created_at", "-id")


def alerts(*, beneficiary):
    return (Alert.objects.filter(beneficiary=beneficiary)
            .select_related("raised_by", "assignee", "acknowledged_by", "resolved_by")
            .order_by("status", "-created_at"))


def open_alerts(*, crt, limit: int | None = None):
    qs = (Alert.objects.filter(crt=crt).exclude(status=Alert.Status.RESOLVED)
          .select_related("beneficiary", "assignee").order_by("-created_at"))
    return list(qs[:limit]) if limit else qs
