"""Reads of the catalogue and the plans."""

from datetime import date, timedelta

from django.db.models import OuterRef, Prefetch, Subquery

from .models import BasketItem, CarePlanVersion, Domain, Service


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
