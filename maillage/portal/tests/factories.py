from maillage.beneficiaries.tests.factories import CaregiverFactory, shared_file
from maillage.core.roles import Role


def portal_file(crt, user=None, roles=()):
    """A file ``user`` may open on the portal: their own (beneficiary account), or that of the
    person they are the caregiver of (any other role)."""
    b = shared_file(crt)
    if user is not None:
        if Role.BENEFICIARY in roles:
            b.portal_user = user
            b.save(update_fields=["portal_user"])
        else:
            CaregiverFactory(crt=crt, beneficiary=b, user=user)
    return b
