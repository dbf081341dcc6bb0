"""The unit of work a traceability route runs its command in: the service's own, with its read-model ports."""

from typing import Annotated

from fastapi import Depends

from services.traceability.application import TraceabilityUnitOfWork
from shared.platform.service_state import unit_of_work

Work = Annotated[TraceabilityUnitOfWork, Depends(unit_of_work)]
