"""The relay's records as a standard CloudEvents consumer reads them: the official Python SDK (Kafka binding)
finds structured mode by the `content-type` header and reads back the same envelope, extensions included."""

import json

from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from shared.events.envelope import STRUCTURED_CONTENT_TYPE, CloudEvent
from shared.platform.kafka import read_whole_topic
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually
from tests.integration.test_backbone import register_hospitals


async def test_the_cloudevents_sdk_reads_every_relayed_record_as_the_envelope_we_sent(settings, channel):
    register_hospitals(channel, 3)
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    await eventually(lambda: relay.published_up_to == 3, what="the relay to publish 3 events")
    await running.stop()

    found = await read_whole_topic(settings, channel.topic)
    assert len(found) == 3
    for record in found:
        headers = {name: value for name, value in record.headers}
        assert headers == {"content-type": STRUCTURED_CONTENT_TYPE.encode()}  # no ce_ header: not binary mode
        ours = CloudEvent.from_bytes(record.value)
        event = from_kafka_event(KafkaMessage(headers=headers, key=record.key, value=record.value))
        attributes = event.get_attributes()
        assert (attributes["id"], attributes["type"], attributes["source"], attributes["subject"]) == (
            ours.id, ours.type, ours.source, ours.subject)
        assert attributes["specversion"] == "1.0" and attributes["time"] == ours.time
        # The 64-bit log position travels as a String extension; the other extensions as sent.
        assert (attributes["position"], attributes["actor"], attributes["correlationid"]) == (
            str(ours.position), ours.actor, ours.correlationid)
        assert event.get_data() == json.loads(record.value)["data"] == ours.data
