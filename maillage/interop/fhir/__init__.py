"""The FHIR R4 API (FR Core profiles): errors, the resource registry, serialisers, search."""
