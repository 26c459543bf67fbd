"""The personalised plan's PDF, as its page prints it (``views.plans.plan_pdf``) and the API
serves it (``Binary``): the caller checked the access and audits the print."""

from django.template.loader import render_to_string
from django.utils import timezone


def plan_pdf(beneficiary, version, *, crt) -> bytes:
    """The PDF of ``version`` (from ``selectors.version_with_items``) of the person's plan."""
    from maillage.core.pdf import render_pdf  # WeasyPrint loads on first use only

    return render_pdf(render_to_string("care/plan_pdf.html", {
        "b": beneficiary, "version": version, "crt": crt, "today": timezone.localdate()}))
