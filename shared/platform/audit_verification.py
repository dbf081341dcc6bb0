"""Verifying a service's log as it is stored now: its rows, read as the auditor role, recomputed into the hash chain
and checked against the signed checkpoints on Kafka. One check for `erp audit verify` and the auditor's API."""

from shared.platform.audit import Checkpoint, Verdict, events_table, public_key_b64, stored_rows, verify
from shared.platform.db import Roles
from shared.platform.kafka import read_whole_topic
from shared.platform.settings import Settings


async def checkpoints_of(settings: Settings, service: str) -> list[Checkpoint]:
    records = await read_whole_topic(settings, settings.checkpoint_topic)
    return [c for c in (Checkpoint.model_validate_json(r.value) for r in records) if c.service == service]


def verify_log(settings: Settings, service: str, checkpoints: list[Checkpoint],
               public_key: str | None = None) -> Verdict:
    # As the read-only auditor role when there is one (AUDITOR_DATABASE_URL): verifying needs nothing more.
    rows = stored_rows(Roles.of(settings).auditor, settings.schema_for(service), events_table(service))
    return verify(rows, checkpoints, public_key or public_key_b64(settings.audit_signing_key))
