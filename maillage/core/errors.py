"""Domain errors: raised by services, shown by forms next to the field, turned into 4xx by APIs."""

from .plurals import count_label


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


class FileRefusedError(DomainError):
    """An imported file refused whole, nothing imported: ``errors`` lists (line number, French
    reason), ``more`` counts the errors past those listed."""

    def __init__(self, errors: list[tuple[int, str]], more: int = 0):
        self.errors = errors
        self.more = more
        super().__init__("Fichier refusé, rien n'a été importé. " + " ".join(self.messages),
                         field="file")

    @property
    def messages(self) -> list[str]:
        out = [f"ligne {n} : {reason}" for n, reason in self.errors]
        if self.more:
            out.append(f"… et {count_label(self.more, 'autre erreur,autres erreurs')}.")
        return out
