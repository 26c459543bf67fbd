"""Write the API reference (``docs/api-reference.md``) from the CapabilityStatement the server
answers at ``/fhir/R4/metadata``: every resource, interaction and search parameter listed there
is served, and nothing else. ``--check`` fails when the page is stale (run by the tests)."""

from pathlib import Path

from django.conf import settings

from maillage.core.generated_doc import GeneratedDocCommand
from maillage.interop.fhir.registry import capability_statement

PAGE = Path(settings.BASE_DIR) / "docs" / "api-reference.md"
BASE = "http://localhost:8000/fhir/R4/"
#: How each interaction is called, for the examples.
CURL = {
    "read": 'curl -s -H "Authorization: Bearer $TOKEN" {base}{type}/<id>',
    "search-type": 'curl -s -H "Authorization: Bearer $TOKEN" "{base}{type}?{query}"',
    "create": ('curl -s -X POST -H "Authorization: Bearer $TOKEN" '
               '-H "Content-Type: application/fhir+json" --data @{lower}.json {base}{type}'),
    "update": ('curl -s -X PUT -H "Authorization: Bearer $TOKEN" -H \'If-Match: W/"<version>"\' '
               '-H "Content-Type: application/fhir+json" --data @{lower}.json {base}{type}/<id>'),
    "delete": ('curl -s -X DELETE -H "Authorization: Bearer $TOKEN" '
               '-H \'If-Match: W/"<version>"\' {base}{type}/<id>'),
}
INTERACTION_LABEL = {
    "read": "lecture (`GET {type}/<id>`)", "search-type": "recherche (`GET {type}?…`)",
    "create": "création (`POST {type}`)", "update": "mise à jour (`PUT {type}/<id>`, `If-Match`)",
    "delete": "suppression (`DELETE {type}/<id>`, `If-Match`)",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example_query(resource: dict) -> str:
    names = [p["name"] for p in resource.get("searchParam", [])]
    for name, value in (("patient", "Patient/<id>"), ("name", "dup"),
                        ("date", "ge2026-01-01"), ("identifier", "<système>|<valeur>")):
        if name in names:
            return f"{name}={value}&_count=50"
    return "_count=50"


def render() -> str:
    statement = capability_statement(BASE)
    rest = statement["rest"][0]
    out = [
        "# API FHIR R4 — référence",
        "",
        "Page générée par `uv run maillage api_doc` à partir du `CapabilityStatement` que le "
        "serveur publie sur `GET /fhir/R4/metadata` : ne pas la modifier à la main (un test "
        "vérifie qu'elle est à jour). Le guide (jetons, erreurs, choix de conception) est "
        "`docs/api.md`.",
        "",
        f"- Version FHIR : {statement['fhirVersion']} ; format : "
        f"{', '.join(statement['format'])} (`application/fhir+json`).",
        f"- {rest['documentation']}",
        f"- Sécurité : {rest['security']['description']}",
        "",
        "```sh",
        "TOKEN=mlg_...   # uv run maillage api-token create --user <identifiant>",
        f"curl -s {BASE}metadata",
        "```",
        "",
        "## Ressources",
        "",
        "| Ressource | Interactions | Profils |",
        "|---|---|---|",
    ]
    for r in rest["resource"]:
        codes = ", ".join(i["code"] for i in r["interaction"])
        profiles = ", ".join(f"`{p.rsplit('/', 1)[-1]}`" for p in r.get("supportedProfile", []))
        out.append(f"| [{r['type']}](#{r['type'].lower()}) | {codes} | {profiles or '—'} |")
    for r in rest["resource"]:
        out += ["", f"## {r['type']}", "", r.get("documentation", ""), ""]
        if r.get("supportedProfile"):
            out += ["Profils : " + ", ".join(f"`{p}`" for p in r["supportedProfile"]), ""]
        out += ["Interactions : " + " ; ".join(
            INTERACTION_LABEL[i["code"]].format(type=r["type"]) for i in r["interaction"]) + "."]
        if "searchParam" in r:  # a type only read by id (Binary) has none
            out += ["", "| Paramètre | Type | Description |", "|---|---|---|"]
            out += [f"| `{p['name']}` | {p['type']} | {_cell(p.get('documentation', ''))} |"
                    for p in r["searchParam"]]
        out += ["", "```sh"]
        out += [CURL[i["code"]].format(base=BASE, type=r["type"], lower=r["type"].lower(),
                                       query=_example_query(r))
                for i in r["interaction"]]
        out += ["```"]
    return "\n".join(out) + "\n"


class Command(GeneratedDocCommand):
    help = "Write docs/api-reference.md from the CapabilityStatement (--check: fail if stale)."
    page = PAGE
    render = staticmethod(render)
    name = "api_doc"
