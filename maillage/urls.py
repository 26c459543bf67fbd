from django.urls import include, path

from maillage.core import metrics
from maillage.core import views as core_views

#: A database outage answers 503 « Service momentanément indisponible » (core/error_pages.py).
handler500 = "maillage.core.error_pages.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("territoire/", include("maillage.territory.urls")),
    path("beneficiaires/", include("maillage.beneficiaries.urls")),
    path("admissions/", include("maillage.admissions.urls")),
    path("coordination/", include("maillage.care.urls")),
    path("passages/", include("maillage.visits.urls")),
    path("tournees/", include("maillage.rounds.urls")),
    path("hors-ligne/", include("maillage.offline.urls")),
    path("astreinte/", include("maillage.oncall.urls")),
    path("portail/", include("maillage.portal.urls")),
    path("chambres/", include("maillage.lodging.urls")),
    path("organisation/", include("maillage.organisation.urls")),
    path("enquetes/", include("maillage.surveys.urls")),
    path("volet1/", include("maillage.outreach.urls")),
    path("pilotage/", include("maillage.steering.urls")),
    path("ars/", include("maillage.regional.urls")),
    path("fhir/R4/", include("maillage.interop.urls")),
    path("jetons-api/", include("maillage.interop.token_urls")),
    path("crt/", include("maillage.interop.ror_urls")),
    path("pro-sante-connect/", include("maillage.interop.psc_urls")),
    path("mssante/", include("maillage.interop.mssante_urls")),
    path("", include("maillage.core.urls")),
]
