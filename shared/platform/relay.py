"""Transactional outbox relay: the service's stored events, in position order, onto `<service>.events`.

Rules (README, "The event backbone"): one active relay per service (a PostgreSQL advisory lock; others wait as
standbys); idempotent producer with acks=all; the position is recorded only after the broker
acknowledged every event up to it; after a crash it resends from the recorded position, so
duplicates on the wire are possible and loss is not (consumers skip resends by position).
"""

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from shared.events.envelope import STRUCTURED_CONTENT_TYPE
from shared.platform.audit import sign_checkpoint
from shared.platform.eventstore import ServiceApplication
from shared.platform.kafka import ensure_topics, new_producer

log = logging.getLogger(__name__)


class Relay:
    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self.settings = app.settings
        self.published_up_to = 0
        self.leadership: psycopg.Connection | None = None
        self.checkpointed_up_to = 0
        self.last_checkpoint_at = float("-inf")

    def _load_position(self) -> int:
        row = self.leadership.execute(
            sql.SQL("SELECT position FROM {}.relay_positions WHERE topic = %s").format(sql.Identifier(self.app.schema)),
            (self.app.topic,),
        ).fetchone()
        return row[0] if row else 0

    def _save_position(self, position: int) -> None:
        self.leadership.execute(
            sql.SQL(
                "INSERT INTO {}.relay_positions (topic, position) VALUES (%s, %s)"
                " ON CONFLICT (topic) DO UPDATE SET position = EXCLUDED.position, updated_at = now()"
            ).format(sql.Identifier(self.app.schema)),
            (self.app.topic, position),
        )

    async def _acquire_leadership(self, stop: asyncio.Event) -> psycopg.Connection | None:
        """A connection holding this service's relay lock, once we get it (None if stopped first)."""
        conn = await asyncio.to_thread(psycopg.connect, self.settings.database_url, autocommit=True)
        key = f"relay:{self.app.schema}"
        while not stop.is_set():
            row = await asyncio.to_thread(lambda: conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone())
            if row and row[0]:
                log.info("relay for %s is active", self.app.service)
                return conn
            log.info("another relay for %s is active; standing by", self.app.service)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=2)
        conn.close()
        return None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.leadership = await self._acquire_leadership(stop)
                if self.leadership is None:
                    return
                # The position is read and written on the connection that holds the lock: if that
                # connection is lost, so is the lock, and this relay must win it again before going on.
                with self.leadership:
                    await self._publish_until_stopped(stop)
            except Exception:  # broker or database away: back off, then resend from the recorded position
                log.exception("relay for %s failed; restarting from the recorded position", self.app.service)
                await asyncio.sleep(1)

    async def _publish_until_stopped(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.settings, [self.app.topic, self.settings.checkpoint_topic])
        producer = new_producer(self.settings)
        await producer.start()
        try:
            self.published_up_to = await asyncio.to_thread(self._load_position)
            while not stop.is_set():
                published = await self.publish_next_batch(producer)
                await self.publish_checkpoint_when_due(producer)
                if not published:
                    await asyncio.sleep(self.settings.poll_interval_seconds)
        finally:
            await producer.stop()

    async def publish_next_batch(self, producer) -> int:  # noqa: ANN001
        notifications = await asyncio.to_thread(
            self.app.recorder.select_notifications,
            start=self.published_up_to + 1,
            limit=self.settings.relay_batch_size,
        )
        if not notifications:
            return 0
        acks = []
        for notification in notifications:
            envelope = self.app.envelope(notification)
            acks.append(
                await producer.send(
                    self.app.topic,
                    value=envelope.to_bytes(),
                    key=envelope.aggregateid.encode(),
                    # Structured mode, said so (Kafka protocol binding §3): the whole envelope is the value.
                    headers=[("content-type", STRUCTURED_CONTENT_TYPE.encode())],
                )
            )
        await asyncio.gather(*acks)
        last = notifications[-1].id
        await asyncio.to_thread(self._save_position, last)
        self.published_up_to = last
        return len(notifications)

    async def publish_checkpoint_when_due(self, producer) -> None:  # noqa: ANN001
        """Sign (position, head hash, time) of what has been published, at most once per interval."""
        due = time.monotonic() - self.last_checkpoint_at >= self.settings.audit_checkpoint_interval_seconds
        if not due or self.published_up_to <= self.checkpointed_up_to:
            return
        position = self.published_up_to
        row = await asyncio.to_thread(lambda: self.leadership.execute(
            sql.SQL("SELECT hash FROM {}.{} WHERE notification_id = %s").format(
                sql.Identifier(self.app.schema), sql.Identifier(self.app.recorder.events_table_name)),
            (position,)).fetchone())
        if row is None or row[0] is None:
            return
        checkpoint = sign_checkpoint(self.settings.audit_signing_key, self.app.service, position, bytes(row[0]),
                                     datetime.now(UTC))
        await producer.send_and_wait(self.settings.checkpoint_topic, value=checkpoint.model_dump_json().encode(),
                                     key=self.app.service.encode())
        self.checkpointed_up_to, self.last_checkpoint_at = position, time.monotonic()
