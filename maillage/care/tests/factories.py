from datetime import date

from maillage.care.models import (
    BasketItem,
    CarePlan,
    CarePlanVersion,
    Domain,
    Goal,
    PlannedAction,
    Problem,
    Service,
)


def domain(crt, code="securite", name="Sécurisation de l'environnement", position=1):
    return Domain.objects.get_or_create(crt=crt, code=code,
                                        defaults={"name": name, "position": position})[0]


def service(crt, **fields):
    fields.setdefault("name", "Passage d'aide-soignante")
    fields.setdefault("funding", Service.Funding.FORFAIT)
    return Service.objects.create(crt=crt, domain=fields.pop("domain", None) or domain(crt),
                                  **fields)


def plan_version(beneficiary, status="draft", number=1, **fields):
    plan, _ = CarePlan.objects.get_or_create(crt=beneficiary.crt, beneficiary=beneficiary)
    return CarePlanVersion.objects.create(crt=beneficiary.crt, plan=plan, number=number,
                                          status=status, **fields)


def filled(version, user):
    """Problems, a goal and an action: enough to validate."""
    crt = version.crt
    Problem.objects.create(crt=crt, version=version, description="Chutes nocturnes")
    Goal.objects.create(crt=crt, version=version, description="Aucune chute en 3 mois",
                        target_date=date(2026, 3, 1))
    PlannedAction.objects.create(crt=crt, version=version, domain=domain(crt),
                                 description="Passage du soir", staff=user,
                                 frequency="Tous les jours à 19 h")
    return version


def basket_item(beneficiary, svc=None):
    return BasketItem.objects.create(crt=beneficiary.crt, beneficiary=beneficiary,
                                     service=svc or service(beneficiary.crt),
                                     start_date=date(2025, 1, 1))
