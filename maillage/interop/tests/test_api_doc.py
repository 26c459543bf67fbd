"""The API reference page is generated from the CapabilityStatement and kept up to date."""

from django.core.management import call_command

from maillage.interop.fhir.registry import RESOURCES
from maillage.interop.management.commands.api_doc import PAGE, render


def test_the_committed_page_is_the_servers_truth():
    call_command("api_doc", "--check")  # CommandError when stale


def test_every_served_type_and_parameter_is_documented_with_an_example():
    page = render()
    assert PAGE.read_text() == page
    for rt in RESOURCES.values():
        section = page.split(f"\n## {rt.type}\n")[1].split("\n## ")[0]
        for param in rt.search_params:
            assert f"| `{param.name}` |" in section, (rt.type, param.name)
        assert f"localhost:8000/fhir/R4/{rt.type}/<id>" in section  # the read example
        assert f"| [{rt.type}](#{rt.type.lower()}) |" in page  # in the summary table
    assert "curl -s http://localhost:8000/fhir/R4/metadata" in page
