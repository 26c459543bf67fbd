"""The settings of the CRT, edited by its direction."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .access import require
from .forms import CrtSettingsForm
from .forms_util import run_form
from .models import Crt
from .services import CRT_SETTINGS_FIELDS, crt_settings_update


@require("crt.settings")
@require_http_methods(["GET", "POST"])
def crt_settings(request: HttpRequest) -> HttpResponse:
    crt = Crt.objects.get(pk=request.crt.pk)  # a copy: the form must not touch request.crt
    form = CrtSettingsForm(request.POST or None, instance=crt)

    def save(data):
        return crt_settings_update(actor=request.user, crt=Crt.objects.get(pk=crt.pk),
                                   version=data["version"],
                                   **{f: data[f] for f in CRT_SETTINGS_FIELDS})

    def done(result):
        messages.success(request, "Paramètres du CRT enregistrés.")
        return redirect("core:crt_settings")

    return run_form(request, form, save, template="core/crt_settings.html", on_success=done,
                    context={"title": f"Paramètres du CRT — {crt.name}",
                             "back_url": reverse("core:home"), "back_label": "Accueil"})
