"""Domain errors: raised by services, shown by forms next to the field, turned into 4xx by APIs."""


class DomainError(Exception):
    """A business rule refused the operation. ``message`` is French and shown to the user."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class ConflictError(DomainError):
    """Someone else changed the record since it was loaded (stale ``version``)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or "Cette fiche a été modifiée par quelqu'un d'autre pendant que vous la modifiiez. "
            "Rechargez la page pour voir la dernière version, puis refaites vos changements.",
            field=None,
            code="conflict",
        )
