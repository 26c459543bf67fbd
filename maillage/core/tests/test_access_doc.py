"""The "Access and audit" page is generated from the code and kept up to date."""

from django.core.management import call_command

from maillage.core.management.commands.access_doc import PAGE, render


def test_the_committed_page_is_the_code_s_truth():
    call_command("access_doc", "--check")  # CommandError when stale


def test_the_page_says_what_a_dpo_needs():
    page = render()
    assert PAGE.read_text() == page
    for heading in ("## 2. Permissions par rôle", "## 3. Ce que chaque rôle voit des personnes",
                    "## 4. Données de santé et secrets (registre)", "## 5. Consultations tracées"):
        assert heading in page
    assert "| `care_team.manage` |  | ✓ |" in page  # the coordinator alone
    assert "Code de la boîte à clés" in page and "allergies" in page
    assert "Accès en urgence au dossier (bris de glace)" in page
    assert "`beneficiary.form_opened`" in page.split("## 5.")[1].split("## 6.")[0]
