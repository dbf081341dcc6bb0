"""Which projections exist: for each service, the `Projection` classes its worker runs (its definition's
`projections`, services/<service>/bootstrap.py), each in its service's schema (`Settings.schema_for`)."""

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from shared.platform.consumer import Projection
from shared.platform.settings import Settings


@dataclass(frozen=True)
class CatalogEntry:
    service: str
    cls: type[Projection]
    schema: str  # the live schema, where the service's API reads the projection's tables
    topics: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.cls.name

    def projection(self, pool: ConnectionPool, schema: str | None = None, name: str | None = None) -> Projection:
        return self.cls(pool, schema or self.schema, name=name)


def projections(settings: Settings) -> list[CatalogEntry]:
    from shared.platform.registry import definitions

    return [
        CatalogEntry(service.name, cls, settings.schema_for(service.name),
                     tuple(settings.topic_for(s) for s in cls.subscribes_to))
        for service in definitions()
        for cls in service.projections
    ]


def find(settings: Settings, name: str) -> CatalogEntry:
    for entry in projections(settings):
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in projections(settings))
    raise LookupError(f"no projection named {name!r}; known: {known}")
