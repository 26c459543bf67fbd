"""The two pages of the Pro Santé Connect login: the start (to PSC) and PSC's return."""

from django.contrib import auth, messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from maillage.core import audit
from maillage.core.access import public

from . import psc


class PscLoginView(OIDCAuthenticationRequestView):
    """« Se connecter avec Pro Santé Connect »: off to PSC with state, nonce and PKCE."""

    get_settings = staticmethod(psc.psc_setting)

    def get(self, request):
        if not psc.enabled():
            raise Http404("Pro Santé Connect n'est pas configuré.")
        return super().get(request)


class PscCallbackView(OIDCAuthenticationCallbackView):
    """PSC's return: the library checks the state (once) and authenticates; every failure
    comes back to the login page with a French message."""

    get_settings = staticmethod(psc.psc_setting)

    def get(self, request):
        if not psc.enabled():
            raise Http404("Pro Santé Connect n'est pas configuré.")
        state = request.GET.get("state")
        known = request.session.get("oidc_states") or {}
        if ("code" in request.GET or request.GET.get("error")) and (
                not state or state not in known):
            # A state used already (its entry is deleted at first use), from another browser
            # session, or forged: the library would answer 400; tell the person instead.
            audit.audit_log(actor=None, action="auth.login_failed",
                            details={"méthode": "Pro Santé Connect",
                                     "motif": "état (state) inconnu ou déjà utilisé"})
            # The session in place stays: a link with a made-up state must not log anyone out.
            return self._failure(psc.REPLAYED, logout=False)
        if request.GET.get("error"):
            request.psc_failure = (
                "La connexion avec Pro Santé Connect a été annulée ou refusée. Recommencez ou "
                "connectez-vous avec votre identifiant et votre mot de passe.")
        return super().get(request)

    def login_success(self):
        response = super().login_success()
        messages.success(self.request, "Vous êtes connecté·e avec Pro Santé Connect.")
        return response

    def login_failure(self):
        if getattr(self.request, "axes_locked_out", False):
            # django-axes answers with its lockout page (AxesMiddleware).
            return HttpResponseRedirect(reverse("core:login"))
        return self._failure(getattr(self.request, "psc_failure", psc.FAILED))

    def _failure(self, message: str, *, logout: bool = True):
        if logout and self.request.user.is_authenticated:
            auth.logout(self.request)
        messages.error(self.request, message)
        return HttpResponseRedirect(reverse("core:login"))


login = public(PscLoginView.as_view())
callback = public(PscCallbackView.as_view())
