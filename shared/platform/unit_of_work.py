"""A unit of work: what one command (or one batch of reactions) reads and changes on a service's write side.

Handlers read aggregates through it (`get`, `exists`), say which ones they changed (`collect`, with any unique value
they claim: `claim`) and finish with `commit()`. Nothing a handler did not collect is saved: a handler that changes
an aggregate and then refuses (a rule says no, or a reservation falls short) leaves no trace.

Two ways to commit:
- at once (an API request): `commit()` saves what the command collected, in one transaction;
- deferred (a process manager's batch): `commit()` only closes the command, and `flush(positions)` saves every
  command of the batch together with the consumer positions, in one transaction. Later commands of the batch
  read what earlier ones changed (as copies, so that a later command that refuses cannot spoil them).

The same unit of work runs on PostgreSQL and on eventsourcing's in-memory persistence (ServiceApplication.in_memory),
so every rule is tested in milliseconds. A service's own unit of work adds the read-model ports its rules ask.
"""

import copy
from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from shared.platform.eventstore import ServiceApplication, UniqueClaim
from shared.platform.positions import ConsumerPosition

A = TypeVar("A", bound=Aggregate)


class UnitOfWork:
    def __init__(self, app: ServiceApplication, *, deferred: bool = False) -> None:
        self.app = app
        self.deferred = deferred
        self._loaded: dict[UUID, Aggregate] = {}      # this command's identity map
        self._collected: dict[UUID, Aggregate] = {}   # what this command saves
        self._claims: list[UniqueClaim] = []
        self._pending: dict[UUID, Aggregate] = {}     # deferred: what earlier commands of the batch saved
        self._pending_claims: list[UniqueClaim] = []

    # Reading ------------------------------------------------------------------------------------------------------

    def get(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate as this command sees it (its own changes, then the batch's, then the store), or None
        when there is none of that kind."""
        if aggregate_id not in self._loaded:
            if aggregate_id in self._pending:
                self._loaded[aggregate_id] = copy.deepcopy(self._pending[aggregate_id])
            else:
                found = self.app.get_aggregate(aggregate_id, Aggregate)
                if found is None:
                    return None
                self._loaded[aggregate_id] = found
        aggregate = self._loaded[aggregate_id]
        return aggregate if isinstance(aggregate, kind) else None

    def exists(self, aggregate_id: UUID) -> bool:
        return (aggregate_id in self._loaded or aggregate_id in self._pending or aggregate_id in self._collected
                or self.app.exists(aggregate_id))

    def claimant(self, kind: str, value: str) -> UUID | None:
        """Who holds a unique value (a name, a credit code), this batch's claims included."""
        for claim in (*self._claims, *self._pending_claims):
            if (claim.kind, claim.value) == (kind, value):
                return claim.owner
        return self.app.claimant(kind, value)

    # Changing -----------------------------------------------------------------------------------------------------

    def collect(self, *aggregates: Aggregate) -> None:
        """These aggregates are to be saved by this command (new ones, or ones it changed)."""
        for aggregate in aggregates:
            self._loaded[aggregate.id] = aggregate
            self._collected[aggregate.id] = aggregate

    def claim(self, claim: UniqueClaim) -> None:
        """Save a unique claim with the command's events: a second owner fails the whole save."""
        self._claims.append(claim)

    def commit(self, **save_kwargs: Any) -> None:
        """The command is done: save what it collected (at once), or keep it for the batch's flush (deferred)."""
        collected, claims = list(self._collected.values()), list(self._claims)
        self.rollback()
        if self.deferred:
            self._pending.update({a.id: a for a in collected})
            self._pending_claims += claims
        elif collected:
            self.app.save(*collected, unique_claims=claims, **save_kwargs)

    def rollback(self) -> None:
        """Forget what this command read and collected (it refused, or failed)."""
        self._loaded.clear()
        self._collected.clear()
        self._claims.clear()

    def mark(self) -> tuple[dict[UUID, Aggregate], list[UniqueClaim]]:
        """Deferred: what the batch holds now, to go back to if the next command (or group of commands) fails."""
        return dict(self._pending), list(self._pending_claims)

    def restore(self, mark: tuple[dict[UUID, Aggregate], list[UniqueClaim]]) -> None:
        """Deferred: forget what the batch gained since `mark` (an import row whose later command refused)."""
        self.rollback()
        self._pending, self._pending_claims = dict(mark[0]), list(mark[1])

    def flush(self, positions: Sequence[ConsumerPosition] = ()) -> bool:
        """Deferred: save the batch's commands and the consumer positions in one transaction. False when there was
        nothing to save (the positions are then the caller's to record)."""
        pending, claims = list(self._pending.values()), list(self._pending_claims)
        self._pending.clear()
        self._pending_claims.clear()
        if not pending:
            return False
        self.app.save(*pending, consumer_positions=list(positions), unique_claims=claims)
        return True
