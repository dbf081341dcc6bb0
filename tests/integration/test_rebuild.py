"""Rebuilding a projection on real PostgreSQL and Kafka, while events keep coming and readers keep reading.

The channel directory's per-province counters are incremented, not recomputed: an event applied twice
or lost around the switch would show as a difference from a build from scratch.
"""

import asyncio
import threading
import time

import psycopg
from typer.testing import CliRunner

from services.channel.application import ChannelApplication
from services.channel.projections.directory import ChannelDirectory
from shared.platform.catalog import CatalogEntry, find
from shared.platform.cli import app as cli
from shared.platform.cli.projections import statuses
from shared.platform.consumer import ConsumerRunner
from shared.platform.db import new_pool
from shared.platform.paging import PageRequest, fetch_page
from shared.platform.rebuild import Rebuild, projection_tables, shadow_schema
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually
from tests.integration.test_backbone import register_hospitals


def tables(entry: CatalogEntry) -> list[str]:
    return projection_tables(entry.projection(None))


def snapshot(settings, entry: CatalogEntry, schema: str) -> dict[str, list]:
    with psycopg.connect(settings.database_url) as conn:
        return {t: conn.execute(f"SELECT * FROM {schema}.{t} ORDER BY 1").fetchall() for t in tables(entry)}


def hospital_rows(settings, schema: str) -> int:
    try:
        with psycopg.connect(settings.database_url) as conn:
            return conn.execute(f"SELECT count(*) FROM {schema}.hospitals").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def table_oid(settings, schema: str, table: str) -> int:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute("SELECT to_regclass(%s)::oid", (f"{schema}.{table}",)).fetchone()[0]


async def build_from_scratch(settings, entry: CatalogEntry, expected: int) -> dict[str, list]:
    """The projection built by a plain consumer into a schema of its own: what the live tables must equal."""
    schema = f"{settings.namespace}scratch"
    pool = new_pool(settings, name="scratch")
    try:
        running = Running()
        running.start(ConsumerRunner(entry.projection(pool, schema, name=f"{entry.name}-scratch"), settings).run)
        await eventually(lambda: hospital_rows(settings, schema) >= expected, what=f"{expected} built from scratch")
        await running.stop()
        return snapshot(settings, entry, schema)
    finally:
        pool.close()


class Writer(threading.Thread):
    """Registers hospitals until stopped, as the channel API would."""

    def __init__(self, settings) -> None:
        super().__init__()
        self.app = ChannelApplication(settings)
        self.stop = threading.Event()
        self.registered = 0

    def run(self) -> None:
        while not self.stop.is_set():
            register_hospitals(self.app, 3, actor="user:writer")
            self.registered += 3
            time.sleep(0.01)
        self.app.close()


class Reader(threading.Thread):
    """Reads the live tables in a loop as the list APIs do, counting what fails."""

    def __init__(self, settings, entry: CatalogEntry) -> None:
        super().__init__()
        self.pool = new_pool(settings, name="reader")
        self.entry = entry
        self.stop = threading.Event()
        self.reads = 0
        self.failures: list[str] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    fetch_page(self.pool, f"{self.entry.schema}.hospitals", PageRequest(limit=20, offset=0),
                               where={}, order_by="name, hospital_id")
                    with self.pool.connection() as conn:
                        for table in tables(self.entry):
                            conn.execute(f"SELECT count(*) FROM {self.entry.schema}.{table}").fetchone()
                    self.reads += 1
                except Exception as error:  # noqa: BLE001 - counted: the test says there must be none
                    self.failures.append(repr(error))
        finally:
            self.pool.close()


async def start_live(settings, channel, pool, entry: CatalogEntry, history: int) -> Running:
    register_hospitals(channel, history)
    running = Running()
    running.start(Relay(channel).run)
    live = ChannelDirectory(pool, entry.schema)
    live.setup()
    running.start(ConsumerRunner(live, settings).run)
    await eventually(lambda: hospital_rows(settings, entry.schema) == history, what=f"{history} applied live")
    return running


async def test_a_rebuild_while_events_keep_coming_switches_without_a_failed_read(settings, channel, pool):
    entry = find(settings, "channel-directory")
    running = await start_live(settings, channel, pool, entry, history=600)
    old_table = table_oid(settings, entry.schema, "hospitals")
    writer, reader = Writer(settings), Reader(settings, entry)
    writer.start()
    reader.start()
    try:
        # Small batches: the rebuild takes many transactions and rounds while the writer goes on.
        assert await Rebuild(entry, settings, batch_size=50).run()
        during = writer.registered
        assert during > 0, "the writer had not started before the switch"
        await eventually(lambda: writer.registered >= during + 30, what="more hospitals after the switch")
    finally:
        writer.stop.set()
        await asyncio.to_thread(writer.join)
    total = 600 + writer.registered
    await eventually(lambda: hospital_rows(settings, entry.schema) == total, what=f"the live worker to apply all {total}")
    await asyncio.sleep(1)  # a double apply would land now
    reader.stop.set()
    await asyncio.to_thread(reader.join)
    await running.stop()

    assert reader.failures == []
    assert reader.reads > 0
    assert table_oid(settings, entry.schema, "hospitals") != old_table  # the live name is on the rebuilt table
    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s",
                            (f"{entry.schema}\\_\\_%",)).fetchone()[0] == 0  # no shadow or old tables left
    assert snapshot(settings, entry, entry.schema) == await build_from_scratch(settings, entry, total)


async def test_an_interrupted_rebuild_continues_where_it_stopped(settings, channel, pool):
    entry = find(settings, "channel-directory")
    running = await start_live(settings, channel, pool, entry, history=400)
    stop = asyncio.Event()

    def stop_midway(applied: int, total: int) -> None:
        if applied >= 100:
            stop.set()

    assert not await Rebuild(entry, settings, batch_size=20, on_progress=stop_midway).run(stop)
    partial = hospital_rows(settings, shadow_schema(entry))
    assert 0 < partial < 400
    assert [s.state for s in await statuses(settings) if s.entry.name == entry.name] == ["rebuilding"]

    reported: list[tuple[int, int]] = []
    assert await Rebuild(entry, settings, batch_size=20, on_progress=lambda *p: reported.append(p)).run()
    assert reported[0] == (0, 400 - partial)  # it went on from where the first run stopped
    register_hospitals(channel, 6)  # and the live worker goes on from the switch
    await eventually(lambda: hospital_rows(settings, entry.schema) == 406, what="406 applied live")
    await running.stop()
    assert snapshot(settings, entry, entry.schema) == await build_from_scratch(settings, entry, 406)


def test_erp_projections_list_shows_lag_and_state_and_rebuild_switches(settings, channel):
    register_hospitals(channel, 12)

    async def publish() -> None:
        running = Running()
        relay = Relay(channel)
        running.start(relay.run)
        await eventually(lambda: relay.published_up_to == 12, what="12 published")
        await running.stop()

    asyncio.run(publish())
    runner = CliRunner()
    listed = runner.invoke(cli, ["projections", "list"])
    assert listed.exit_code == 0, listed.output
    directory = next(line for line in listed.output.splitlines() if "channel-directory" in line)
    assert "not started" in directory

    rebuilt = runner.invoke(cli, ["projections", "rebuild", "channel-directory"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "channel-directory: switched to the rebuilt tables" in rebuilt.output
    assert hospital_rows(settings, settings.schema_for("channel")) == 12

    status = next(s for s in asyncio.run(statuses(settings)) if s.entry.name == "channel-directory")
    assert status.state == "caught up"
    assert sum(p.head for p in status.partitions) == 12 and {p.lag for p in status.partitions} == {0}

    unknown = runner.invoke(cli, ["projections", "rebuild", "no-such-projection"])
    assert unknown.exit_code != 0 and "channel-directory" in unknown.output


async def test_the_switch_waits_for_a_reader_in_a_long_transaction_and_fails_no_one(settings, channel, pool):
    entry = find(settings, "channel-directory")
    running = await start_live(settings, channel, pool, entry, history=50)
    with psycopg.connect(settings.database_url) as reader:
        # A transaction that has read the live table holds a lock on it until it ends.
        assert reader.execute(f"SELECT count(*) FROM {entry.schema}.hospitals").fetchone()[0] == 50
        rebuild = asyncio.ensure_future(Rebuild(entry, settings, batch_size=20).run())
        await asyncio.sleep(2)
        assert not rebuild.done()  # the switch gave up its locks and is trying again
        register_hospitals(channel, 3)  # meanwhile the live worker goes on, between the attempts
        await eventually(lambda: hospital_rows(settings, entry.schema) == 53, what="53 applied live")
        # The reader goes on reading the table it has locked, which is still the live one.
        assert reader.execute(f"SELECT count(*) FROM {entry.schema}.hospitals").fetchone()[0] == 53
        reader.commit()
        assert await rebuild
    register_hospitals(channel, 3)
    await eventually(lambda: hospital_rows(settings, entry.schema) == 56, what="56 applied live")
    await running.stop()
    assert snapshot(settings, entry, entry.schema) == await build_from_scratch(settings, entry, 56)
