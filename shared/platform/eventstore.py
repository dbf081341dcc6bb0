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
from eventsourcing.utils import Environment, retry
from psycopg import Cursor, sql

from shared.events import CloudEvent, EventPayload
from shared.platform.aggregate import DateAsISO
from shared.platform.audit import grant_event_table, hash_chain_statements
from shared.platform.db import Roles, ddl_lock, role_name
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


# Two-key advisory locks live apart from the one-key locks taken elsewhere (ddl:, relay:, rebuild:), so a hash
# collision with one of those (a relay holds its lock for hours) can never stall event inserts.
_INSERT_LOCK_CLASS = 1_702_000_001


class PositionTrackingRecorder(PostgresApplicationRecorder):
    insert_events = _store_retry(PostgresApplicationRecorder.insert_events.__wrapped__)
    select_events = _store_retry(PostgresAggregateRecorder.select_events.__wrapped__)
    select_notifications = _store_retry(PostgresApplicationRecorder.select_notifications.__wrapped__)
    max_notification_id = _store_retry(PostgresApplicationRecorder.max_notification_id.__wrapped__)

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = self.datastore.schema
        # `create_table` (the library's) makes the event table, its sequence, row type and indexes; with these, the
        # triggers that chain and freeze its rows. What the owner role runs (see ServiceApplication).
        self.sql_create_statements.extend(hash_chain_statements(schema, self.events_table_name))
        # Tables the application role writes in the events' transaction and updates, so it creates and owns them.
        self.application_table_statements = [*create_positions_tables(schema), *create_request_records_tables(schema)]
        # The library serialises inserters with LOCK TABLE ... IN EXCLUSIVE MODE, so that notification ids commit in
        # the order they are issued (a reader tailing the log, the relay, must never pass a gap that fills in later;
        # the hash chain needs the same order). PostgreSQL 15 grants that lock mode only to roles with UPDATE, DELETE
        # or TRUNCATE on the table, which the application role must not have. A transaction-level advisory lock on
        # a key derived from the table's qualified name serialises every inserter the same way (each takes it before
        # its first nextval and holds it to commit or rollback) and needs no privilege. Unlike the table lock it does
        # not hold back a writer that bypasses this recorder; the application role only inserts through it.
        qualified = sql.Identifier(schema, self.events_table_name).as_string(None)
        self.lock_table_statements = [
            sql.SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            sql.SQL("SELECT pg_advisory_xact_lock({0}, hashtext({1}))").format(_INSERT_LOCK_CLASS,
                                                                               sql.Literal(qualified)),
        ]

    def create_table(self) -> None:
        """Everything, as one role: for a database with no owner role apart from the application's."""
        super().create_table()
        self.create_application_tables()

    def create_event_tables(self) -> None:
        """The event table and what its immutability rests on: run on the owner role's credentials."""
        super().create_table()

    def create_application_tables(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.application_table_statements:
                curs.execute(statement, prepare=False)

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
        roles = Roles.of(self.settings)
        with ddl_lock(roles, self.schema) as owner:
            # The owner makes the event table first, so the application's recorder finds its row type; the
            # application's connection then makes only the tables it owns (README, "Database roles").
            self._create_event_tables(roles)
            super().__init__(env={**base_env, **(env or {}), "CREATE_TABLE": "n"})
            self.recorder.create_application_tables()
            grant_event_table(owner, self.schema, self.recorder.events_table_name, role_name(roles.app),
                              role_name(roles.auditor))

    def _create_event_tables(self, roles: Roles) -> None:
        """The event table, its row type, sequence and triggers, made through a recorder on the owner's credentials
        (the same role as the application's when DATABASE_OWNER_URL is unset)."""
        owner_settings = self.settings.model_copy(update={"database_url": roles.owner})
        env = {**owner_settings.postgres_env(self.service), "CREATE_TABLE": "n", "POSTGRES_POOL_SIZE": "1",
               "POSTGRES_MAX_OVERFLOW": "0"}
        factory = ServiceFactory(Environment(self.name, env))
        try:
            factory.application_recorder().create_event_tables()
        finally:
            factory.close()

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

