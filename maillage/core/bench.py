"""Pages of core timed by ``maillage bench``: the home pages, the audit trail. Each app adds its
own pages in its ``bench.py`` (a ``pages()`` generator of ``(username, url)``)."""

from django.urls import reverse


def pages():
    for username in ("coordinator", "care_aide", "partner"):
        yield username, reverse("core:home")
    yield "auditor", reverse("core:audit_list")
