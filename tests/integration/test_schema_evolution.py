"""HospitalRegistered v2 on real PostgreSQL and Kafka, with history written by the build before it.

Before the upgrade the channel service stored `Hospital.Registered` v1 events (with `region`) and its
relay published them as v1 envelopes. Stored events and topics are kept forever, so after the upgrade
the application must still load those aggregates, and a consumer replaying the topic meets v1 and v2
envelopes mixed: the read model it builds must equal the one built from the same facts all in v2.
"""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from services.channel.application import ChannelApplication
from services.channel.domain import Hospital
from services.channel.projections.directory import ChannelDirectory
from shared.events import CloudEvent
from shared.platform.consumer import ConsumerRunner, Delivery
from shared.platform.context import acting_as
from shared.platform.db import Roles, create_application_schema
from shared.platform.kafka import ensure_topics, new_producer
from shared.platform.relay import Relay
from tests.contract.golden import golden
from tests.integration.helpers import Running, eventually, read_topic
from tests.parties import register_hospital, register_distributor

HOSPITAL_REGISTERED = "erp.channel.HospitalRegistered"


def v1_registration(app: ChannelApplication, hospital_id: UUID, name: str, region: str, at: datetime) -> StoredEvent:
    """A `Hospital.Registered` as the build before v2 stored it: `region`, and no `class_version`."""
    state = {"timestamp": at, "originator_topic": get_topic(Hospital),
             "meta": {"actor": "user:alice", "correlation_id": "corr-before-v2", "causation_id": None},
             "hospital_id": hospital_id, "name": name, "region": region, "grade": "3A"}
    return StoredEvent(originator_id=hospital_id, originator_version=1, topic=get_topic(Hospital.Registered),
                       state=app.mapper.transcoder.encode(state))


def as_published_before_v2(envelope: CloudEvent) -> CloudEvent:
    """The envelope the relay of the build before v2 published for the same stored event."""
    data = envelope.data
    v1 = {"hospital_id": data["hospital_id"], "name": data["name"], "region": data["province"], "grade": data["grade"]}
    return envelope.model_copy(update={"schemaversion": 1, "data": v1})


def store_history_before_v2(app: ChannelApplication, hospitals: list[tuple[UUID, str, str]]) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    app.recorder.insert_events([v1_registration(app, hospital_id, name, region, at + timedelta(minutes=n))
                                for n, (hospital_id, name, region) in enumerate(hospitals)])


async def publish_as_the_old_relay_did(settings, app: ChannelApplication) -> None:
    notifications = app.recorder.select_notifications(start=1, limit=100)
    await ensure_topics(settings, [app.topic])
    producer = new_producer(settings)
    await producer.start()
    try:
        for notification in notifications:
            envelope = as_published_before_v2(app.envelope(notification))
            await producer.send_and_wait(app.topic, value=envelope.to_bytes(), key=envelope.aggregateid.encode())
    finally:
        await producer.stop()
    with psycopg.connect(settings.database_url) as conn:  # the old relay recorded how far it got
        conn.execute(f"INSERT INTO {app.schema}.relay_positions (topic, position) VALUES (%s, %s)",
                     (app.topic, notifications[-1].id))


def directory(pool, schema: str) -> dict[str, list]:
    with pool.connection() as conn:
        return {
            "hospitals": conn.execute(f"SELECT * FROM {schema}.hospitals ORDER BY hospital_id").fetchall(),
            "distributors": conn.execute(f"SELECT * FROM {schema}.distributors ORDER BY distributor_id").fetchall(),
            "province_counts": conn.execute(f"SELECT * FROM {schema}.province_counts ORDER BY province").fetchall(),
        }


def hospitals_applied(pool, schema: str) -> int:
    with pool.connection() as conn:
        return conn.execute(f"SELECT coalesce(sum(hospitals), 0) AS n FROM {schema}.province_counts").fetchone()["n"]


def test_a_hospital_stored_as_v1_loads_through_the_application_and_is_published_as_v2(settings, channel):
    hospital_id = uuid4()
    store_history_before_v2(channel, [(hospital_id, "复旦大学附属中山医院", "上海市")])

    restarted = ChannelApplication(settings)  # a process of the new build, reading what the old one stored
    try:
        hospital = restarted.get_aggregate(hospital_id, Hospital)
        assert (hospital.name, hospital.province, hospital.city, hospital.grade, hospital.version) == (
            "复旦大学附属中山医院", "上海市", None, "3A", 1)
        with acting_as("user:bob"):  # registering it again finds the v1 aggregate: nothing new is stored
            again, created = register_hospital(restarted, hospital_id, "复旦大学附属中山医院", "上海市", "3A")
        assert (created, again.province) == (False, "上海市")
    finally:
        restarted.close()

    (stored,) = channel.recorder.select_events(hospital_id)  # the store still holds it as written: v1
    assert b'"region"' in stored.state and b"class_version" not in stored.state
    (notification,) = channel.recorder.select_notifications(start=1, limit=10)
    envelope = channel.envelope(notification)  # what the relay publishes for it now
    assert (envelope.schemaversion, envelope.data["province"], envelope.data["city"]) == (2, "上海市", None)


async def test_a_replay_over_mixed_versions_builds_the_same_directory_as_the_same_facts_all_in_v2(settings, channel, pool):
    # Before the upgrade: three v1 registrations, stored and published as v1.
    store_history_before_v2(channel, [(uuid4(), "复旦大学附属中山医院", "上海市"), (uuid4(), "四川大学华西医院", "四川省"),
                                      (uuid4(), "北京协和医院", "北京市")])
    await publish_as_the_old_relay_did(settings, channel)

    # After it: v2 registrations, one in a province v1 already counted; a distributor too.
    with acting_as("user:alice"):
        register_hospital(channel, uuid4(), "上海市第一人民医院", "上海市", "3A", city="上海市")
        register_hospital(channel, uuid4(), "成都市第三人民医院", "四川省", "3A", city="成都市")
        register_hospital(channel, uuid4(), "浙江大学附属第一医院", "浙江省", "3A")
        register_distributor(channel, uuid4(), "西南医疗器械有限公司", "四川省", "gold")

    projection = ChannelDirectory(pool, channel.schema)
    projection.setup()
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    running.start(ConsumerRunner(projection, settings).run)
    await eventually(lambda: hospitals_applied(pool, channel.schema) == 6, what="6 hospitals applied")
    await eventually(lambda: relay.published_up_to == 7, what="the relay to publish what the new build stored")
    await running.stop()

    on_the_topic = await read_topic(settings, channel.topic, expected=7)
    assert len(on_the_topic) == 7  # the relay went on from the old relay's position: nothing republished
    assert sorted(e.schemaversion for e in on_the_topic if e.type == HOSPITAL_REGISTERED) == [1, 1, 1, 2, 2, 2]
    mixed = directory(pool, channel.schema)
    assert {(r["province"], r["hospitals"], r["distributors"]) for r in mixed["province_counts"]} == {
        ("上海市", 2, 0), ("四川省", 2, 1), ("北京市", 1, 0), ("浙江省", 1, 0)}
    assert {(r["name"], r["city"]) for r in mixed["hospitals"] if r["province"] == "四川省"} == {
        ("四川大学华西医院", None), ("成都市第三人民医院", "成都市")}

    # The same facts all in v2: every stored event as the relay publishes it today, into a fresh directory.
    all_v2 = [channel.envelope(n) for n in channel.recorder.select_notifications(start=1, limit=100)]
    assert {e.schemaversion for e in all_v2 if e.type == HOSPITAL_REGISTERED} == {2}
    rebuilt = ChannelDirectory(pool, f"{settings.namespace}all_v2", name="channel-directory-all-v2")
    rebuilt.setup()
    rebuilt.handle_batch([Delivery(channel.topic, 0, offset, e) for offset, e in enumerate(all_v2)])
    assert directory(pool, rebuilt.schema) == mixed


def test_a_directory_built_before_v2_is_migrated_in_place_to_what_a_replay_would_build(settings, pool):
    schema = f"{settings.namespace}old_directory"
    hospital_id = uuid4()
    create_application_schema(Roles.of(settings), schema)  # by the owner role: the application's may not
    with pool.connection() as conn:  # the tables as the build before v2 created and filled them
        conn.execute(f"CREATE TABLE {schema}.hospitals (hospital_id uuid PRIMARY KEY, name text NOT NULL,"
                     " region text NOT NULL, grade text NOT NULL, registered_at timestamptz NOT NULL)")
        conn.execute(f"CREATE TABLE {schema}.region_counts (region text PRIMARY KEY,"
                     " hospitals int NOT NULL DEFAULT 0, distributors int NOT NULL DEFAULT 0)")
        conn.execute(f"INSERT INTO {schema}.hospitals VALUES (%s, '四川大学华西医院', '四川省', '3A', now())", (hospital_id,))
        conn.execute(f"INSERT INTO {schema}.region_counts VALUES ('四川省', 1, 0)")

    projection = ChannelDirectory(pool, schema)
    projection.setup()
    projection.setup()  # every process of the service runs it: the second time there is nothing to do

    after = directory(pool, schema)
    assert [(r["hospital_id"], r["province"], r["city"]) for r in after["hospitals"]] == [(hospital_id, "四川省", None)]
    assert [(r["province"], r["hospitals"]) for r in after["province_counts"]] == [("四川省", 1)]

    projection.handle_batch([Delivery(settings.topic_for("channel"), 0, 0, golden("erp.channel.HospitalRegistered", 2))])
    after = directory(pool, schema)
    assert {(r["province"], r["city"]) for r in after["hospitals"]} == {("四川省", None), ("上海市", "上海市")}
    assert {(r["province"], r["hospitals"]) for r in after["province_counts"]} == {("上海市", 1), ("四川省", 1)}
