"""A service as its composition root describes it (services/<name>/bootstrap.py builds one `ServiceDefinition`).

Everything that runs a service asks this description — the launcher (web, relay, worker), `erp projections` and
`erp deadletters`, the demo, the benches and the tests — instead of finding modules by naming convention.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from psycopg_pool import ConnectionPool

from shared.platform.consumer import Handler, ProcessManager, Projection
from shared.platform.db import new_pool
from shared.platform.eventstore import ServiceApplication
from shared.platform.settings import Settings
from shared.platform.imports import ImportKind
from shared.platform.unit_of_work import UnitOfWork

# How a service builds the unit of work its handlers run in: the application, a pool for the read models its
# ports ask (None in unit tests, whose ports are the test's own), and whether commits wait for a batch's flush.
UnitOfWorkFactory = Callable[[ServiceApplication, ConnectionPool | None, bool], UnitOfWork]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    application: type[ServiceApplication]
    unit_of_work: UnitOfWorkFactory
    projections: tuple[type[Projection], ...]
    process_managers: tuple[type[ProcessManager], ...]
    routers: tuple[APIRouter, ...]
    default_port: int
    description: str = ""
    # Service-specific settings (pydantic-settings classes read from the environment), beside the shared Settings.
    settings: tuple[type, ...] = field(default_factory=tuple)
    # The kinds of records a company's existing files are imported into (shared/platform/imports.py).
    imports: tuple[ImportKind, ...] = field(default_factory=tuple)

    @property
    def published(self) -> dict[type, Any]:
        return self.application.published

    def new_application(self, settings: Settings) -> ServiceApplication:
        return self.application(settings)

    def consumers(self, settings: Settings) -> list[Handler]:
        """What the service's worker runs: its projections and its process managers (each with its own application)."""
        pool = new_pool(settings, name=f"{self.name}-worker")
        schema = settings.schema_for(self.name)
        handlers: list[Handler] = [p(pool, schema) for p in self.projections]
        for manager in self.process_managers:
            app = self.new_application(settings)
            handlers.append(manager(app, pool, lambda deferred, app=app: self.unit_of_work(app, pool, deferred)))
        return handlers
