"""Which projections exist: for each service, the `Projection` classes its worker runs.

Read from `services.<service>.worker.handlers` without calling it: calling it would open a connection
pool and, for process managers, an event store. The classes it names are the ones it builds, each in
its service's schema (`Settings.schema_for`), as every worker does today.
"""

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
    worker = importlib.import_module(f"services.{service}.worker")
    # The global names handlers() refers to, in order of first use; the projections are among them.
    named = (getattr(worker, name, None) for name in worker.handlers.__code__.co_names)
    return [c for c in named if isinstance(c, type) and issubclass(c, Projection)]


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
