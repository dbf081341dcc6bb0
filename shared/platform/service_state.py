"""What a service's API process holds, built at start-up and handed to routes as typed dependencies (never reached
through `request.app.state` in a route): the service's definition and settings, its application, its read models."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from shared.platform.eventstore import ServiceApplication
from shared.platform.health import BrokerWatch
from shared.platform.read_models import ReadModels
from shared.platform.service import ServiceDefinition
from shared.platform.settings import Settings
from shared.platform.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ServiceState:
    """What a service's API process holds, built at start-up (not at import) and handed to routes as dependencies."""

    definition: ServiceDefinition
    settings: Settings
    application: ServiceApplication
    read_models: ReadModels
    broker: BrokerWatch
    metrics: CollectorRegistry


def service_state(request: Request) -> ServiceState:
    return request.app.state.service


State = Annotated[ServiceState, Depends(service_state)]


def read_models(state: State) -> ReadModels:
    return state.read_models


def unit_of_work(state: State) -> UnitOfWork:
    """A unit of work for one request: the service's own, with the read-model ports its rules ask."""
    return state.definition.unit_of_work(state.application, state.read_models.pool, False)


Reads = Annotated[ReadModels, Depends(read_models)]
