"""``/fhir/R4/``: built from the resource registry (``fhir.registry.RESOURCES``)."""

from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("", views.transaction_bundle, name="transaction"),
    path("metadata", views.metadata, name="metadata"),
]
for _type, (_read, _search) in views.VIEWS.items():
    if _search is not None:  # a type only read by id (Binary) has no search
        urlpatterns.append(path(f"{_type}", _search, name=f"{_type.lower()}_search"))
    urlpatterns.append(path(f"{_type}/<str:id>", _read, name=f"{_type.lower()}_read"))
urlpatterns += [
    path("<str:resource_type>", views.unknown_type, name="unknown_type"),
    path("<str:resource_type>/<str:id>", views.unknown_type, name="unknown_read"),
]
