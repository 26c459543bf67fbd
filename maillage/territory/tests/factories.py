import factory

from maillage.territory.models import Commune, Organization, Professional


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune

    # Numbers 400–999 of departments whose communes all stop below 400 (Maine-et-Loire and
    # its neighbours, Corsica): a factory commune never meets a demo commune nor a real code a
    # test gives explicitly (« 49331 » Segré…) in the same CRT, whatever the order the tests
    # ran in, and 4,200 codes before the sequence wraps (a module's shared world of the
    # permission matrix creates hundreds in one CRT).
    insee_code = factory.Sequence(
        lambda n: f"{('49', '44', '53', '72', '85', '2A', '2B')[n // 600 % 7]}{400 + n % 600}")
    postal_code = "49500"
    name = factory.Sequence(lambda n: f"Commune {n}")
    travel_minutes = 15


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.SAD
    name = factory.Sequence(lambda n: f"Structure {n}")
    city = "Segré-en-Anjou Bleu"
    postal_code = "49500"


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    last_name = factory.Sequence(lambda n: f"Nom{n}")
    first_name = "Marie"
    profession = Professional.Profession.NURSE


def agreement(crt, *, organizations=(), **fields):
    """A signed agreement in force (one year from 01/01/2025 unless told), with its partners."""
    from datetime import date

    from maillage.territory.models import Agreement

    values = {"title": "Convention de partenariat", "subject": Agreement.Subject.HOME_CARE,
              "starts_on": date(2025, 1, 1), "ends_on": date(2099, 12, 31),
              "status": Agreement.Status.SIGNED, "signed_on": date(2024, 12, 15), **fields}
    a = Agreement.objects.create(crt=crt, **values)
    a.organizations.set(organizations or [OrganizationFactory(crt=crt)])
    return a


def annuaire_import(crt, **fields):
    """A pending Annuaire Santé import of ``crt`` proposing one new professional."""
    from maillage.territory.models import AnnuaireImport

    values = {"file_name": "PS_LibreAcces_Personne_activite_202611150000.txt",
              "file_hash": "0" * 64, "departments": ["49"], "lines_read": 1, "rows_kept": 1,
              "changes": [{"kind": "new", "target": "professional", "key": "10000000116",
                           "label": "CLAIRE MARTIN", "line": 2, "detail": "Médecin",
                           "values": {"last_name": "MARTIN", "first_name": "CLAIRE",
                                      "profession": "gp", "rpps": "10000000116"},
                           "fields": {"last_name": ["", "MARTIN"]}}],
              "counts": {"professional_new": 1, "professional_changed": 0,
                         "professional_closed": 0, "organization_new": 0,
                         "organization_changed": 0, "organization_closed": 0}, **fields}
    return AnnuaireImport.objects.create(crt=crt, **values)
