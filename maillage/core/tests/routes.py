"""How to build a URL of CRT A for each route that names an object.

Every route with URL parameters must appear here: the tenancy test fails on a route it cannot
build, so a new object page cannot escape the "other CRT gets 404" check.
"""

from maillage.territory.tests.factories import (
    CommuneFactory,
    OrganizationFactory,
    ProfessionalFactory,
)

#: route name -> function(crt) returning the URL kwargs of an object of that CRT.
OBJECT_ROUTES = {
    "territory:commune_edit": lambda crt: {"public_id": CommuneFactory(crt=crt).public_id},
    "territory:organization_detail": lambda crt: {
        "public_id": OrganizationFactory(crt=crt).public_id
    },
    "territory:organization_edit": lambda crt: {
        "public_id": OrganizationFactory(crt=crt).public_id
    },
    "territory:professional_edit": lambda crt: {
        "public_id": ProfessionalFactory(crt=crt).public_id
    },
}

#: Routes that only accept POST (GET answers 405 whoever asks).
POST_ONLY = {"core:logout"}
