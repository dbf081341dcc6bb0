"""The order desk's part in the platform connector: it maps a platform's hospital and distributor codes to the
parties registered here, and places a refused platform order again once it has fixed what refused it (the routes:
services/order/api/platforms.py; the list of platform orders: services/order/queries.py `platform_orders`).

Both are narrowed to the caller's data scope like any order: a party outside it looks unregistered (the 422 a
mistyped id gets), a platform order outside it does not exist (404)."""

import threading
from collections.abc import Callable
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.order.application import OrderUnitOfWork
from services.order.domain import SalesOrder
from services.order.domain.price_facts import Customer, PriceFacts
from services.order.platforms import sync
from services.order.platforms.ledger import PostgresPlatformLedger
from services.order.platforms.sync import PlatformLedger, PlatformOrderRecord
from shared.domain.rules import InvalidReference, NotFound
from shared.platform.access import DataScope
from shared.platform.context import EventMeta

PARTY_KINDS = ("hospital", "distributor")  # what a platform names by its own codes (医院编码, 配送企业编码)

_ready: set[tuple[int, str]] = set()
_ready_lock = threading.Lock()


def ledger_of(pool: ConnectionPool, schema: str) -> PostgresPlatformLedger:
    """The ledger, its tables created once per process: the API may answer before the platform process first ran
    (CREATE TABLE IF NOT EXISTS, but not on every request)."""
    ledger = PostgresPlatformLedger(pool, schema)
    key = (id(pool), schema)
    if key not in _ready:
        with _ready_lock:
            if key not in _ready:
                ledger.create_tables()
                _ready.add(key)
    return ledger


def map_party(ledger: PlatformLedger, facts: PriceFacts, scope: DataScope, platform: str, kind: str, code: str,
              party_id: UUID, meta: EventMeta | None = None) -> Customer:
    """The platform's `code` for a `kind` of party means `party_id` from now on (a second mapping replaces the
    first; orders already placed keep their party), kept with who mapped it and why (`meta`). The party must be
    registered, of that kind, and within the caller's scope (outside it, it looks unregistered)."""
    if kind not in PARTY_KINDS:
        raise InvalidReference("kind", "platform-party-kind", f"one of {', '.join(PARTY_KINDS)}",
                               f"a platform names hospitals and distributors by code, not {kind!r}")
    party = facts.customer(party_id)
    if (party is None or party.kind != kind
            or not scope.covers(hospitals=[party_id], distributors=[party_id], regions=[party.province])):
        raise InvalidReference("party_id", f"registered-{kind}", f"name a registered {kind}",
                               f"no {kind} {party_id} is registered")
    ledger.map_party(platform, kind, code, party_id, by=meta and meta.actor, reason=meta and meta.reason)
    return party


def retry(platform: str, platform_order_id: str, ledger: PlatformLedger,
          unit_of_work: Callable[[], OrderUnitOfWork], scope: DataScope, meta: EventMeta) -> PlatformOrderRecord:
    """Place a refused platform order again, by the desk, with its reason (sync.retry_refused: the same rules
    again). Idempotent: an order already placed (by the platform, or by an earlier retry) answers as it is."""
    record = ledger.order(platform, platform_order_id)
    if record is None:
        raise NotFound("Platform order", f"{platform}:{platform_order_id}")
    _require_within(record, ledger, unit_of_work, scope)
    if record.status == "placed":
        return record
    return sync.retry_refused(platform, platform_order_id, ledger, unit_of_work, meta)


def _require_within(record: PlatformOrderRecord, ledger: PlatformLedger,
                    unit_of_work: Callable[[], OrderUnitOfWork], scope: DataScope) -> None:
    """404 for a platform order outside the scope: placed, the order's hospital and distributor; refused, the
    parties its codes are mapped to now (none mapped: nobody's but the company's)."""
    if scope.everything:
        return
    uow = unit_of_work()
    order = uow.get(record.order_id, SalesOrder) if record.order_id else None
    if order is not None:
        hospital, distributor = order.hospital_id, order.ship_to_distributor_id
    else:
        hospital = ledger.party_for(record.platform, "hospital", record.hospital_code or "")
        distributor_code = (record.order or {}).get("distributor_code")
        distributor = ledger.party_for(record.platform, "distributor", distributor_code) if distributor_code else None
    customer = uow.price_facts.customer(hospital) if hospital else None
    scope.require("Platform order", f"{record.platform}:{record.platform_order_id}", hospitals=[hospital],
                  distributors=[distributor], regions=[customer.province if customer else None])


__all__ = ["PARTY_KINDS", "ledger_of", "map_party", "retry"]
