"""The write side: an eventsourcing Application per service, on PostgreSQL in the service's own schema.

`ServiceApplication` adds to the library's Application:
- settings from `Settings` (one database, one schema per service);
- a recorder that stores consumer positions in the same transaction as the events a
  process manager records (pass `consumer_positions=[...]` to `save`);
- the mapping from stored domain events to the public event contracts in `shared.events`.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Notification
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import retry
from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.platform.aggregate import DateAsISO
from shared.platform.audit import hash_chain_statements
from shared.platform.db import ddl_lock
from shared.platform.deadletters import OPS_CONTRACTS
from shared.platform.positions import ConsumerPosition, create_positions_tables, save_positions
from shared.platform.request_records import (
    UniqueClaim, claimed_by, create_request_records_tables, current_request, record_claims, record_request,
    recorded_digest,
)
from shared.platform.settings import Settings, get_settings

__all__ = ["IntegrityError", "ServiceApplication", "UniqueClaim"]

A = TypeVar("A")

_BASE_EVENT_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "meta"}


# The library retries each store call 10 times, each waiting up to the pool timeout for a connection: with the
# database down, an API request hung for minutes instead of answering 503 (tests/faults/test_database_outage.py).
# Two attempts (the second gets a fresh connection after a server restart), each bounded by the pool timeout
# (POSTGRES_CONNECT_TIMEOUT in Settings.postgres_env), answer within seconds; callers retry as they see fit.
_store_retry = retry((StoreInterfaceError, StoreOperationalError), max_attempts=2, wait=0.2)


class PositionTrackingRecorder(PostgresApplicationRecorder):
    insert_events = _store_retry(PostgresApplicationRecorder.insert_events.__wrapped__)
    select_events = _store_retry(PostgresAggregateRecorder.select_events.__wrapped__)
    select_notifications = _store_retry(PostgresApplicationRecorder.select_notifications.__wrapped__)
    max_notification_id = _store_retry(PostgresApplicationRecorder.max_notification_id.__wrapped__)

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(create_positions_tables(self.datastore.schema))
        self.sql_create_statements.extend(create_request_records_tables(self.datastore.schema))
        self.sql_create_statements.extend(hash_chain_statements(self.datastore.schema, self.events_table_name))

    def _insert_events(self, curs: Cursor, stored_events: Sequence[Any], **kwargs: Any) -> None:
        positions: list[ConsumerPosition] = kwargs.get("consumer_positions") or []
        save_positions(curs, self.datastore.schema, positions)
        record_claims(curs, self.datastore.schema, kwargs.get("unique_claims") or [])
        if kwargs.get("idempotent_request") is not None:
            record_request(curs, self.datastore.schema, kwargs["idempotent_request"])
        super()._insert_events(curs, stored_events, **kwargs)


class ServiceFactory(PostgresFactory):
    application_recorder_class = PositionTrackingRecorder


class InMemoryRecorder(POPOApplicationRecorder):
    """The same promises as PositionTrackingRecorder, in memory, for unit tests of commands and rules: unique
    claims refuse a second owner and idempotency keys are kept, atomically with the events (consumer positions
    have no meaning without Kafka and are dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: dict[tuple[str, str], UUID] = {}
        self.requests: dict[tuple[str, str], str] = {}

    def _insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        with self._database_lock:
            claims = list(kwargs.get("unique_claims") or [])
            if any(self.claims.get((c.kind, c.value), c.owner) != c.owner for c in claims):
                raise IntegrityError("a unique value is claimed by another owner")
            notification_ids = super()._insert_events(stored_events, **kwargs)
            self.claims.update({(c.kind, c.value): c.owner for c in claims})
            if (request := kwargs.get("idempotent_request")) is not None:
                self.requests.setdefault((request.actor, request.key), request.digest)
            return notification_ids


class InMemoryFactory(POPOFactory):
    def application_recorder(self) -> InMemoryRecorder:
        return InMemoryRecorder()


class ServiceApplication(Application):
    service: ClassVar[str]
    # Internal domain event class -> public contract. Every stored event must have one.
    published: ClassVar[dict[type, type[EventPayload]]]

    def __init__(self, settings: Settings | None = None, env: dict[str, str] | None = None, *,
                 in_memory: bool = False) -> None:
        self.settings = settings or get_settings()
        self.name = self.service
        if in_memory:  # no database at all: for unit tests of commands and rules
            super().__init__(env={"PERSISTENCE_MODULE": f"{InMemoryFactory.__module__}:{InMemoryFactory.__qualname__}"})
            return
        base_env = self.settings.postgres_env(self.service)
        base_env["PERSISTENCE_MODULE"] = f"{ServiceFactory.__module__}:{ServiceFactory.__qualname__}"
        with ddl_lock(self.settings.database_url, self.schema):
            super().__init__(env={**base_env, **(env or {})})

    @classmethod
    def in_memory(cls, settings: Settings | None = None) -> "ServiceApplication":
        """The application on eventsourcing's in-memory persistence, with the same rules."""
        return cls(settings or Settings(ERP_ENV="test"), in_memory=True)

    @property
    def is_in_memory(self) -> bool:
        return isinstance(self.recorder, InMemoryRecorder)

    @property
    def schema(self) -> str:
        return self.settings.schema_for(self.service)

    @property
    def topic(self) -> str:
        return self.settings.topic_for(self.service)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @classmethod
    def to_payload(cls, event: DomainEvent) -> EventPayload:
        # Besides its own, every service's log may hold events about operating it (shared.events.ops).
        contract = {**OPS_CONTRACTS, **cls.published}[type(event)]
        fields = {k: v for k, v in vars(event).items() if k not in _BASE_EVENT_FIELDS}
        fields[contract.subject_field] = event.originator_id
        return contract.model_validate(fields)

    def envelope(self, notification: Notification) -> CloudEvent:
        event = self.mapper.to_domain_event(notification)
        payload = self.to_payload(event)
        meta = event.meta
        return CloudEvent(
            id=f"{self.service}-{notification.id}",
            source=f"/erp/{self.service}",
            type=payload.event_type(),
            subject=str(event.originator_id),
            time=event.timestamp,
            aggregateid=str(event.originator_id),
            aggregateversion=event.originator_version,
            position=notification.id,
            correlationid=meta["correlation_id"],
            causationid=meta.get("causation_id"),
            reason=meta.get("reason"),
            actor=meta["actor"],
            schemaversion=payload.schema_version,
            data=payload.model_dump(mode="json"),
        )

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save as the library does, with the request's Idempotency-Key (if any) in the same transaction;
        `unique_claims=[UniqueClaim(...)]` claims values only one aggregate may hold, or fails the whole save."""
        request = current_request.get()
        if request is not None:
            kwargs.setdefault("idempotent_request", request)
        return super().save(*objs, **kwargs)

    def claimant(self, kind: str, value: str) -> UUID | None:
        """Who holds a unique claim (see `save`), or None."""
        if isinstance(self.recorder, InMemoryRecorder):
            return self.recorder.claims.get((kind, value))
        with self.recorder.datastore.transaction(commit=False) as cur:
            return claimed_by(cur, self.schema, kind, value)

    def recorded_request(self, actor: str, key: str) -> str | None:
        """The digest of the request recorded under this person's Idempotency-Key, or None."""
        if isinstance(self.recorder, InMemoryRecorder):
            return self.recorder.requests.get((actor, key))
        with self.recorder.datastore.transaction(commit=False) as cur:
            return recorded_digest(cur, self.schema, actor, key)

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def get_aggregate(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate, or None when there is none of that kind with this id (a 404, not a 500)."""
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

