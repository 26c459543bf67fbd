"""Walk every URL pattern of the project (no hand-written list), for access and tenancy tests."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from maillage.core.access import declared_access, is_api


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    callback: object
    kwargs: tuple[str, ...]  # names of the URL parameters

    @property
    def access(self) -> str | None:
        return declared_access(self.callback)

    @property
    def api(self) -> bool:
        """An API view: bearer token, no session (walked with tokens by the API's tests)."""
        return is_api(self.callback)


def _walk(patterns, namespace: str = "", params: tuple[str, ...] = ()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(
                entry.url_patterns, ns, params + tuple(entry.pattern.converters)
            )
        elif isinstance(entry, URLPattern):
            if not entry.name:
                raise AssertionError(f"URL pattern {entry.pattern} has no name")
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name, entry.callback, params + tuple(entry.pattern.converters))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))
