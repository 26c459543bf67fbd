"""Write the "Access and audit" page (``docs/access-and-audit.md``) from the code itself: the
roles, the permission matrix, each app's access policy (``access_doc()`` in its ``access.py``),
the health-data registry and the audited actions. ``--check`` fails when the page is stale
(run by the tests), so the page a DPO hands to an inspector is always the code's truth."""

from pathlib import Path

from django.apps import apps
from django.conf import settings

from maillage.core.audit import declared_actions
from maillage.core.discovery import app_modules
from maillage.core.generated_doc import GeneratedDocCommand
from maillage.core.health_data import registry
from maillage.core.permissions import MATRIX, Perm
from maillage.core.roles import Role

PAGE = Path(settings.BASE_DIR) / "docs" / "access-and-audit.md"

#: Verbs of the audited actions that are reads (consultation, printing, download, search…).
READ_VERBS = ("viewed", "printed", "downloaded", "searched", "compared", "exported",
              "form_opened", "break_glass", "opened")

ROLE_ABBREV = {
    Role.DIRECTION: "DIR", Role.COORDINATOR: "COORD", Role.DOCTOR: "MED", Role.NURSE: "IDE",
    Role.CARE_AIDE: "AS", Role.PSYCHOLOGIST: "PSY", Role.OCCUPATIONAL_THERAPIST: "ERGO",
    Role.ACTIVITY_LEADER: "ANIM", Role.ADMIN_STAFF: "SEC", Role.PARTNER: "PART",
    Role.CAREGIVER: "AID", Role.BENEFICIARY: "BEN", Role.AUDITOR: "DPO", Role.ARS: "ARS",
}


def _policies() -> list[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """Each app's ``access.access_doc()`` rows, titled with the app's name."""
    return [(str(apps.get_containing_app_config(module.__name__).verbose_name),
             module.access_doc())
            for module in app_modules("access") if hasattr(module, "access_doc")]


def render() -> str:
    out = [
        "# Accès et traçabilité",
        "",
        "Page générée à partir du code par `uv run maillage access_doc` : ne pas la modifier à "
        "la main (un test vérifie qu'elle est à jour). Elle décrit qui peut voir quoi dans "
        "Maillage et ce qui est tracé, pour le délégué à la protection des données et pour un "
        "contrôle de la CNIL.",
        "",
        "## Principes",
        "",
        "- Cloisonnement strict entre CRT : un objet d'un autre CRT répond « introuvable ». "
        "Une lecture d'un CRT à l'autre est voulue, et réduite aux heures : pour un "
        "professionnel qui travaille aussi pour un autre CRT (membre actif des deux), la "
        "planification lit le début et la fin de ses passages dans l'autre CRT — ni la "
        "personne, ni l'adresse, ni la prestation — pour refuser une double réservation sauf "
        "confirmation et montrer ces heures en « Indisponible (autre CRT) » à ceux qui "
        "planifient ; et le début et la fin de son travail de nuit dans l'autre CRT (tours "
        "d'astreinte qui se déplacent, déplacements sur appel, passages et horaires de nuit) "
        "pour son repos de 11 heures après la nuit, dit « fin de son travail de nuit dans un "
        "autre CRT » sans nommer ce CRT (`maillage/visits/elsewhere.py`).",
        "- Refus par défaut : chaque page déclare la permission qu'elle exige (tableau 2), puis "
        "la politique d'accès de la ressource décide pour chaque personne (tableau 3). Les "
        "listes, exports, rapports et interfaces utilisent la même politique.",
        "- Chaque consultation d'un dossier et chaque modification sont tracées (qui, rôle, "
        "quand, quoi, quelle personne, depuis où, et le motif d'un accès en urgence). Le "
        "journal n'est modifiable ni supprimable par l'application : déclencheurs en base sur "
        "SQLite et PostgreSQL, rôle applicatif PostgreSQL sans droit de modification, de "
        "suppression ni de TRUNCATE sur le journal (voir `docs/operations.md`).",
        "- Le journal ne reprend jamais de texte libre de santé : les objets y sont désignés "
        "par leur type, leur date et un identifiant court.",
        "- Le retrait d'un consentement prend effet immédiatement, pour l'accès comme pour les "
        "notifications.",
        "",
        "## 1. Rôles",
        "",
        "| Abréviation | Rôle | Code |",
        "|---|---|---|",
    ]
    out += [f"| {ROLE_ABBREV[role]} | {role.label} | `{role.value}` |" for role in Role]
    out += ["", "## 2. Permissions par rôle", "",
            "| Permission | " + " | ".join(ROLE_ABBREV[r] for r in Role) + " |",
            "|---|" + "---|" * len(Role)]
    for perm in Perm:
        cells = ["✓" if role in MATRIX[perm] else "" for role in Role]
        out.append(f"| `{perm.value}` | " + " | ".join(cells) + " |")
    out += ["", "## 3. Ce que chaque rôle voit des personnes", "",
            "Chaque case renvoie à la règle écrite sous le tableau ; une case vide : aucun "
            "accès.", ""]
    for app, rows in _policies():
        legend: dict[str, str] = {}
        out += [f"### {app}", "",
                "| Ressource | " + " | ".join(ROLE_ABBREV[r] for r in Role) + " |",
                "|---|" + "---|" * len(Role)]
        for what, cells in rows:
            marks = []
            for role in Role:
                if role in cells:
                    legend.setdefault(cells[role], chr(ord("a") + len(legend)))
                    marks.append(legend[cells[role]])
                else:
                    marks.append("")
            out.append(f"| {what} | " + " | ".join(marks) + " |")
        out += [""] + [f"- **{mark}** : {text}" for text, mark in legend.items()] + [""]
    out += ["Les comptes du portail (bénéficiaire, aidant) ne voient que les visites à venir, les "
            "transmissions partagées avec l'aidant et les contacts de leur propre dossier ; "
            "l'ARS ne voit que des chiffres agrégés ; le DPO ne lit que le journal d'audit.",
            "", "## 4. Données de santé et secrets (registre)", "",
            "| Donnée | Champs | Nature |", "|---|---|---|"]
    for entry in registry():
        model = entry.model_class
        fields = ", ".join(str(model._meta.get_field(f).verbose_name) for f in entry.fields)
        kind = "secret du domicile" if entry.kind == "secret" else "donnée de santé"
        out.append(f"| {str(model._meta.verbose_name).capitalize()} | {fields} | {kind} |")
    out += ["", "Toute page qui affiche l'une de ces données écrit un événement d'audit (vérifié "
            "par un test qui parcourt toutes les pages de l'application pour chaque rôle).",
            "", "## 5. Consultations tracées", "", "| Action | Code |", "|---|---|"]
    actions = sorted(declared_actions().values(), key=lambda a: a.label.lower())
    out += [f"| {a.label} | `{a.code}` |" for a in actions
            if a.code.rsplit(".", 1)[-1].endswith(READ_VERBS)]
    out += ["", "## 6. Modifications et autres événements tracés", "",
            "| Action | Code |", "|---|---|"]
    out += [f"| {a.label} | `{a.code}` |" for a in actions
            if not a.code.rsplit(".", 1)[-1].endswith(READ_VERBS)]
    return "\n".join(out) + "\n"


class Command(GeneratedDocCommand):
    help = "Write docs/access-and-audit.md from the code (--check: fail if it is stale)."
    page = PAGE
    render = staticmethod(render)
    name = "access_doc"
