"""Which projections exist: for each service, the `Projection` classes its worker runs
(`services.<service>.worker.PROJECTIONS`), each in its service's schema (`Settings.schema_for`)."""

import importlib
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from shared.platform.consumer import Projection
from shared.platform.settings import SERVICES, Settings


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


def projection_classes(service: str) -> list[type[Projection]]:
    return list(importlib.import_module(f"services.{service}.worker").PROJECTIONS)


def projections(settings: Settings) -> list[CatalogEntry]:
    return [
        CatalogEntry(service, cls, settings.schema_for(service), tuple(settings.topic_for(s) for s in cls.subscribes_to))
        for service in SERVICES
        for cls in projection_classes(service)
    ]


def find(settings: Settings, name: str) -> CatalogEntry:
    for entry in projections(settings):
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in projections(settings))
    raise LookupError(f"no projection named {name!r}; known: {known}")
