from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from maillage.core.access import require
from maillage.core.errors import DomainError
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import selectors, services
from .forms import CommuneForm
from .models import Commune


@require("territory.view")
@require_GET
def commune_list(request: HttpRequest) -> HttpResponse:
    volet = request.GET.get("volet", "")
    query = request.GET.get("q", "").strip()[:80]
    communes = selectors.communes(crt=request.crt, volet=volet, query=query)
    page = Paginator(communes, 100).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "volet": volet,
        "q": query,
        "figures": selectors.territory_figures(crt=request.crt),
        "can_manage": has_permission(request.roles, "territory.manage"),
    }
    if request.htmx:
        return render(request, "territory/_partials/commune_rows.html", context)
    return render(request, "territory/commune_list.html", context)


@require("territory.manage")
@require_http_methods(["GET", "POST"])
def commune_edit(request: HttpRequest, public_id) -> HttpResponse:
    commune = get_for_crt(Commune, request.crt, public_id)
    form = CommuneForm(request.POST or None, instance=commune)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.commune_update(
                    actor=request.user,
                    commune=commune,
                    version=data["version"],
                    **{f: data[f] for f in services.EDITABLE_FIELDS},
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, f"La commune « {data['name']} » a été mise à jour.")
                return redirect("territory:commune_list")
        status = 409 if any(e.code == "conflict" for e in _errors(form)) else 400
    return render(request, "territory/commune_form.html", {"form": form, "commune": commune},
                  status=status)


def _errors(form):
    return [e for errors in form.errors.as_data().values() for e in errors]
