"""Realistic traffic through the public HTTP APIs, shared by the pipeline benchmark and the fault suite.

`seed` creates what orders need, as a client would: hospitals (channel), items, a qualified supplier, a goods
receipt released by quality inspection (inventory). `Traffic` then places orders for many hospitals and
dispatches each once inventory has reserved it (billing invoices the shipment by itself; traceability records
the shipped lots). `LagWatcher` sees, in one query per poll, when each accepted command's effect shows up in
each downstream read model, so the lag measured is what a reader of that read model experiences.

Run with INVENTORY_PICKING_REQUIRED=false in the services' environment: picking by UDI scan is its own
workload, not the pipeline's.

A share of the orders (`sellout_share`, BENCH_SELLOUT_SHARE in the benchmark: 0.2) is delivered through a
distributor; once traceability has recorded the shipment, the distributor reports selling the units on to the
hospital (`POST /sellout-reports`, one report per order, its reference the idempotency key), as distributors'
流向 reports do.
"""

import asyncio
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import psycopg
from stdnum import ean

from shared.platform.auth import issue_token
from shared.platform.settings import Settings
from shared.domain.business_day import business_today

PROVINCES = ("上海市", "北京市", "广东省", "四川省", "浙江省", "江苏省", "湖北省", "山东省")
# Retried with the same Idempotency-Key, as a client does after a timeout or a 503 (the database or the API
# briefly away): the command is applied once whatever happened to the first attempt.
RETRYABLE_STATUS = {502, 503, 504}


def gtin(n: int) -> str:
    body = f"0695000{n:06d}"
    return body + ean.calc_check_digit(body)


def in_days(days: int) -> str:
    return (business_today() + timedelta(days=days)).isoformat()


def bearer() -> dict[str, str]:
    roles = ["master_data", "warehouse", "quality", "order_desk", "recall_officer", "pricing_manager",
             "channel_manager"]  # channel managers grant the distributors their authorizations
    return {"Authorization": f"Bearer {issue_token('load-generator', roles, name='Load generator')}"}


class ClientPool:
    """Requests spread round-robin over several httpx AsyncClients with small pools.

    One AsyncClient with a large pool queues requests inside httpcore's pool: at 30 orders/s (about 100 requests
    in flight) it added about a second of client-side waiting to every command (measured: client p50 ~1,000 ms
    while the server's own histogram said ~110 ms, and a separate client pinging /health saw ~100 ms). Sixteen
    clients of 25 connections each brought the client-side p50 down to ~240 ms on the same run.
    """

    def __init__(self, clients: int = 16, connections: int = 25, timeout: float = 30) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.clients = [httpx.AsyncClient(headers=bearer(), timeout=timeout, limits=limits) for _ in range(clients)]
        self._next = 0

    def _client(self) -> httpx.AsyncClient:
        self._next = (self._next + 1) % len(self.clients)
        return self.clients[self._next]

    async def post(self, url: str, **kwargs) -> httpx.Response:  # noqa: ANN003
        return await self._client().post(url, **kwargs)

    async def get(self, url: str, **kwargs) -> httpx.Response:  # noqa: ANN003
        return await self._client().get(url, **kwargs)

    async def put(self, url: str, **kwargs) -> httpx.Response:  # noqa: ANN003
        return await self._client().put(url, **kwargs)

    async def __aenter__(self) -> "ClientPool":
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients))


@dataclass
class Seeded:
    hospitals: list[str]
    gtins: list[str]
    distributors: list[str] = field(default_factory=list)


async def seed(http: "httpx.AsyncClient | ClientPool", urls: dict[str, str], settings: Settings, *, hospitals: int, items: int,
               units: int = 1_000_000) -> Seeded:
    """Master data and stock for the traffic, through the APIs; returns once the order service knows the hospitals."""
    async def post(url: str, body: dict, key: str | None = None) -> dict:
        headers = {"Idempotency-Key": key} if key else {}
        response = await http.post(url, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"seeding: {url} answered {response.status_code}: {response.text}")
        return response.json()

    hospital_ids = [(await post(f"{urls['channel']}/hospitals", {
        "name": f"Load hospital {n:04d}", "province": PROVINCES[n % len(PROVINCES)], "city": "市辖区", "grade": "3A"},
        key=f"load-hospital-{n}"))["hospital_id"] for n in range(hospitals)]
    for hospital_id in hospital_ids:  # a hospital buys under its practice licence (医疗机构执业许可证)
        await post(f"{urls['channel']}/hospitals/{hospital_id}/licences", {
            "number": f"PDY-LOAD-{hospital_id[:8]}", "valid_from": in_days(-365), "valid_to": in_days(3650)})
    distributor_ids = [(await post(f"{urls['channel']}/distributors", {
        "name": f"Load distributor {n:02d}", "region": PROVINCES[n % len(PROVINCES)], "tier": "gold"},
        key=f"load-distributor-{n}"))["distributor_id"] for n in range(max(1, hospitals // 20))]
    for distributor_id in distributor_ids:  # the load's class II devices go through distributors under a filing
        await post(f"{urls['channel']}/distributors/{distributor_id}/licences", {
            "document_type": "filing_certificate", "number": f"LOAD-FILING-{distributor_id[:8]}",
            "valid_from": in_days(-365), "valid_to": in_days(3650)})
    supplier = await post(f"{urls['inventory']}/suppliers", {"name": "Load supplier"}, key="load-supplier")
    for document_type, number in (("business_licence", "91320500MA1LOAD00A"), ("production_licence", "LOAD-PROD-1")):
        await post(f"{urls['inventory']}/suppliers/{supplier['supplier_id']}/qualifications",
                   {"document_type": document_type, "number": number, "valid_from": "2024-01-01",
                    "valid_to": in_days(3650)})
    codes = [gtin(n) for n in range(items)]
    for distributor_id in distributor_ids:  # and sells the load's items in every province under its authorization
        await post(f"{urls['channel']}/distributors/{distributor_id}/authorizations", {
            "number": f"SQ-LOAD-{distributor_id[:8]}", "gtins": codes, "provinces": list(PROVINCES),
            "valid_from": in_days(-30), "valid_to": in_days(1000)})
    for code in codes:
        await post(f"{urls['inventory']}/items", {"gtin": code, "name": f"Load device {code}", "device_class": 2},
                   key=f"load-item-{code}")
        response = await http.put(f"{urls['inventory']}/items/{code}/registration-certificate", json={
            "number": f"国械注准LOAD{code[-6:]}", "holder": "Load supplier", "valid_from": in_days(-365),
            "valid_to": in_days(3650)})
        if response.status_code >= 300:
            raise RuntimeError(f"seeding: certificate answered {response.status_code}: {response.text}")
    await post(f"{urls['inventory']}/goods-receipts", {"supplier_id": supplier["supplier_id"], "lines": [
        {"gtin": code, "lot": "LOAD-1", "expiry": in_days(900), "quantity": units, "warehouse": "WH-LOAD",
         "location": "A-01-01"} for code in codes]})
    for code in codes:
        await post(f"{urls['inventory']}/quality/inspections",
                   {"gtin": code, "lot": "LOAD-1", "warehouse": "WH-LOAD", "result": "released"})
    # Orders are priced by the system: a list price per item (tax-inclusive), as a pricing manager keeps them.
    price_list = await post(f"{urls['channel']}/price-lists", {"name": "Load list"}, key="load-price-list")
    for n, code in enumerate(codes):
        await post(f"{urls['channel']}/price-lists/{price_list['price_list_id']}/prices",
                   {"gtin": code, "price": f"{113 * (1 + n % 40)}.00", "valid_from": in_days(-30)})
    order_schema = settings.schema_for("order")
    known = (f"SELECT (SELECT count(*) FROM {order_schema}.known_hospitals)"
             f" + (SELECT count(*) FROM {order_schema}.known_distributors)"
             f" + (SELECT count(*) FROM {order_schema}.known_items WHERE certificate IS NOT NULL)"
             f" + (SELECT count(DISTINCT distributor_id) FROM {order_schema}.distributor_licences)"
             f" + (SELECT count(DISTINCT hospital_id) FROM {order_schema}.hospital_licences)"
             f" + (SELECT count(DISTINCT distributor_id) FROM {order_schema}.distributor_authorizations)"
             f" + (SELECT count(*) FROM {order_schema}.list_prices)")
    deadline = time.monotonic() + 60
    expected = 2 * hospitals + 3 * len(distributor_ids) + 2 * items
    while await asyncio.to_thread(_scalar, settings.database_url, known) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError("the order service did not learn the seeded hospitals, distributors, their licences"
                               " and authorizations, the items' certificates and list prices within 60 s")
        await asyncio.sleep(0.2)
    return Seeded(hospital_ids, codes, distributor_ids)


def _scalar(database_url: str, query: str) -> int:
    try:
        with psycopg.connect(database_url) as conn:
            return conn.execute(query).fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


@dataclass(frozen=True)
class Probe:
    """When the effect of an accepted command (`after`) is visible: a query returning the ids that are."""

    name: str
    after: str  # the command: "place_order" or "dispatch"
    sql: str  # "{schema:<service>}" is replaced; %(ids)s is the array of pending order ids

    def query(self, settings: Settings) -> str:
        service = self.sql.split("{schema:")[1].split("}")[0]
        return self.sql.replace(f"{{schema:{service}}}", settings.schema_for(service))


PROBES = (
    Probe("order.order_list", "place_order", "SELECT order_id FROM {schema:order}.order_list WHERE order_id = ANY(%(ids)s)"),
    Probe("billing.order_terms", "place_order",
          "SELECT order_id FROM {schema:billing}.order_terms WHERE order_id = ANY(%(ids)s)"),
    # Two hops: inventory reserves (a process manager), the order service records it, its read model shows it.
    Probe("order.order_list:reserved", "place_order", "SELECT order_id FROM {schema:order}.order_list"
          " WHERE order_id = ANY(%(ids)s) AND status IN ('reserved', 'shipped')"),
    Probe("traceability.shipped_lots", "dispatch",
          "SELECT DISTINCT order_id FROM {schema:traceability}.shipped_lots WHERE order_id = ANY(%(ids)s)"),
    # Two hops: billing raises the invoice (a process manager), its read model shows it.
    Probe("billing.invoice_list", "dispatch",
          "SELECT order_id FROM {schema:billing}.invoice_list WHERE order_id = ANY(%(ids)s)"),
    Probe("order.order_list:shipped", "dispatch",
          "SELECT order_id FROM {schema:order}.order_list WHERE order_id = ANY(%(ids)s) AND status = 'shipped'"),
    # A distributor's sell-out report (referenced "SO-<order id>") in traceability's read model.
    Probe("traceability.sellout_reports", "sellout_report",
          "SELECT substr(report_reference, 4)::uuid AS order_id FROM {schema:traceability}.sellout_reports"
          " WHERE report_reference = ANY(SELECT 'SO-' || id::text FROM unnest(%(ids)s::uuid[]) AS id)"),
)


class LagWatcher:
    """Polls every read model for the pending commands' effects; one round trip per poll."""

    def __init__(self, settings: Settings, poll_seconds: float = 0.01) -> None:
        self.settings = settings
        self.poll_seconds = poll_seconds
        # probe -> order id -> accepted at; ids kept as UUIDs, converted once, not at every poll
        self.pending: dict[str, dict[uuid.UUID, float]] = {p.name: {} for p in PROBES}
        self.lags: dict[str, list[float]] = defaultdict(list)  # probe -> seconds
        self.seen_callbacks: dict[str, Callable[[str], None]] = {}
        self.polls = 0

    def accepted(self, command: str, order_id: str, at: float) -> None:
        key = uuid.UUID(order_id)
        for probe in PROBES:
            if probe.after == command:
                self.pending[probe.name][key] = at

    def on_seen(self, probe: str, callback: Callable[[str], None]) -> None:
        self.seen_callbacks[probe] = callback

    def outstanding(self) -> int:
        return sum(map(len, self.pending.values()))

    async def run(self, stop: asyncio.Event) -> None:
        conn = await psycopg.AsyncConnection.connect(self.settings.database_url, autocommit=True)
        queries = {p.name: p.query(self.settings) for p in PROBES}
        try:
            while not stop.is_set():
                started = time.monotonic()
                await self._poll(conn, queries)
                await asyncio.sleep(max(0.0, self.poll_seconds - (time.monotonic() - started)))
        finally:
            await conn.close()

    async def _poll(self, conn: psycopg.AsyncConnection, queries: dict[str, str]) -> None:
        active = {name: list(ids) for name, ids in self.pending.items() if ids}
        if not active:
            return
        parts, params = [], {}
        for n, (name, ids) in enumerate(active.items()):
            parts.append(f"SELECT {n} AS probe, order_id FROM ({queries[name].replace('%(ids)s', f'%(ids{n})s')}) q{n}")
            params[f"ids{n}"] = ids
        try:
            rows = await (await conn.execute(" UNION ALL ".join(parts), params)).fetchall()
        except psycopg.errors.UndefinedTable:
            return  # a read model not created yet
        now = time.monotonic()
        names = list(active)
        self.polls += 1
        for probe_index, order_id in rows:
            name = names[probe_index]
            accepted_at = self.pending[name].pop(order_id, None)
            if accepted_at is None:
                continue
            self.lags[name].append(now - accepted_at)
            if name in self.seen_callbacks:
                self.seen_callbacks[name](str(order_id))


@dataclass
class Traffic:
    """Orders for many hospitals, each dispatched once reserved. Records every acknowledged (2xx) command."""

    http: "httpx.AsyncClient | ClientPool"
    urls: dict[str, str]
    seeded: Seeded
    watcher: LagWatcher
    rng: random.Random = field(default_factory=lambda: random.Random(20261125))
    max_attempts: int = 1  # > 1: retry 5xx and transport errors with the same Idempotency-Key, as clients do
    sellout_share: float = 0.0  # of the orders, delivered through a distributor that reports its sell-out
    # Per command, the time each answer took, by class: `latencies` every answer as before, `accepted_latencies`
    # the 2xx, `shed_latencies` the 503s of a process at its bound (shared/platform/load_shedding.py), which the
    # client retries after their Retry-After, as it is told.
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    accepted_latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    shed_latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acknowledged: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # command -> order ids
    reserved: dict[str, asyncio.Future] = field(default_factory=dict)
    traced: dict[str, asyncio.Future] = field(default_factory=dict)  # shipments traceability has recorded
    through_distributor: dict[str, dict] = field(default_factory=dict)  # order id -> its order body

    def __post_init__(self) -> None:
        self.watcher.on_seen("order.order_list:reserved", lambda order_id: _resolve(self.reserved, order_id))
        self.watcher.on_seen("traceability.shipped_lots", lambda order_id: _resolve(self.traced, order_id))

    async def _post(self, command: str, url: str, body: dict, key: str | None = None,
                    as_: dict[str, str] | None = None) -> httpx.Response | None:
        """POST, timed (as the load generator, or `as_` another principal's headers); None when no attempt was
        acknowledged."""
        headers = {**({"Idempotency-Key": key} if key else {}), **(as_ or {})}
        attempt = 0
        for _ in range(self.max_attempts + 20):  # conflicts and shedding are retried too, not counted as attempts
            if attempt >= self.max_attempts:
                break
            started = time.monotonic()
            try:
                response = await self.http.post(url, json=body, headers=headers)
            except httpx.TransportError as error:  # refused, reset, timed out: the outcome is unknown, so retry
                self.failures[f"{command}:{type(error).__name__}"] += 1
            else:
                took = time.monotonic() - started
                self.latencies[command].append(took)
                if response.status_code < 300:
                    self.accepted_latencies[command].append(took)
                elif response.status_code == 503 and "max-in-flight" in response.text:
                    # Refused at once, nothing stored: come back when told, without spending an attempt on it.
                    self.shed_latencies[command].append(took)
                    self.failures[f"{command}:shed"] += 1
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")) * self.rng.uniform(1, 1.5))
                    continue
                if response.status_code == 409 and "version-conflict" in response.text:
                    # Someone changed the same aggregate at that moment; nothing was stored: clients read and retry.
                    self.failures[f"{command}:version-conflict-retried"] += 1
                    await asyncio.sleep(self.rng.uniform(0.005, 0.05))
                    continue
                if response.status_code < 300 or response.status_code not in RETRYABLE_STATUS:
                    if response.status_code >= 300:
                        self.failures[f"{command}:{response.status_code}"] += 1
                    return response
                self.failures[f"{command}:{response.status_code}"] += 1
            attempt += 1
            if attempt < self.max_attempts:
                await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
        return None

    def _accepted(self, command: str, order_id: str) -> None:
        """The command acknowledged for the order: recorded as such, and its effect awaited by the watcher from now."""
        self.acknowledged[command].add(order_id)
        self.watcher.accepted(command, order_id, time.monotonic())

    async def place_order(self, n: int) -> str | None:
        body = {"hospital_id": self.rng.choice(self.seeded.hospitals), "customer_reference": f"PO-LOAD-{n}",
                "lines": [{"gtin": code, "quantity": self.rng.randint(1, 5)}  # priced by the system: the list price
                          for code in self.rng.sample(self.seeded.gtins, k=min(2, len(self.seeded.gtins)))]}
        if self.seeded.distributors and self.rng.random() < self.sellout_share:
            body["ship_to_distributor_id"] = self.rng.choice(self.seeded.distributors)
        response = await self._post("place_order", f"{self.urls['order']}/orders", body, key=f"load-order-{n}")
        if response is None or response.status_code >= 300:
            return None
        order_id = response.json()["order_id"]
        if "ship_to_distributor_id" in body:
            self.through_distributor[order_id] = body
        self._accepted("place_order", order_id)
        return order_id

    async def dispatch(self, order_id: str) -> bool:
        body = {"carrier": "SF Express", "tracking_number": f"SF{order_id[:8]}"}
        response = await self._post("dispatch", f"{self.urls['inventory']}/fulfilments/{order_id}/dispatch", body)
        # A 409 after an unacknowledged attempt means that attempt shipped it (dispatch-reserved-only).
        if response is None or response.status_code >= 300:
            return False
        self._accepted("dispatch", order_id)
        return True

    async def sellout_report(self, order_id: str) -> bool:
        """The distributor reports delivering the order's units to its hospital (lot LOAD-1, as seeded)."""
        order, today = self.through_distributor[order_id], business_today()
        body = {"distributor_id": order["ship_to_distributor_id"], "report_reference": f"SO-{order_id}",
                "period": {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()},
                "lines": [{"hospital_id": order["hospital_id"], "gtin": line["gtin"], "lot": "LOAD-1",
                           "quantity": line["quantity"], "sold_at": today.isoformat()} for line in order["lines"]]}
        # Reported through the distributor's portal: a distributor_user whose scope is that distributor.
        portal = {"Authorization": "Bearer " + issue_token(f"portal-{order['ship_to_distributor_id']}",
                                                           ["distributor_user"],
                                                           scopes=[f"distributor:{order['ship_to_distributor_id']}"])}
        response = await self._post("sellout_report", f"{self.urls['traceability']}/sellout-reports", body,
                                    as_=portal)
        if response is None or response.status_code >= 300:
            return False
        self._accepted("sellout_report", order_id)
        return True

    async def order_lifecycle(self, n: int, reservation_timeout: float = 60) -> None:
        order_id = await self.place_order(n)
        if order_id is None:
            return
        # No await since place_order recorded it as pending, so the watcher cannot have seen it yet.
        if not await self._seen(self.reserved, order_id, reservation_timeout, "dispatch:never-reserved"):
            return
        through_distributor = order_id in self.through_distributor
        if through_distributor:  # registered before the dispatch, so the watcher cannot have seen it yet
            self.traced[order_id] = asyncio.get_running_loop().create_future()
        if not await self.dispatch(order_id):
            self.traced.pop(order_id, None)
            return
        # The report is checked against what the lineage knows the distributor received: once it knows.
        if through_distributor and await self._seen(self.traced, order_id, reservation_timeout,
                                                    "sellout_report:never-traced"):
            await self.sellout_report(order_id)

    async def _seen(self, waiting: dict[str, asyncio.Future], order_id: str, timeout: float, failure: str) -> bool:
        waiter = waiting.setdefault(order_id, asyncio.get_running_loop().create_future())
        try:
            await asyncio.wait_for(waiter, timeout=timeout)
            return True
        except TimeoutError:
            waiting.pop(order_id, None)
            self.failures[failure] += 1
            return False


async def drive(traffic: Traffic, rate: float, seconds: float, *, max_in_flight: int = 2000,
                first: int = 0) -> dict:
    """Start `rate` order lifecycles per second for `seconds` (open loop: a slow system gets no breather).

    Returns how many were started and how many the in-flight cap skipped. Awaits the lifecycles it started.
    """
    tasks: set[asyncio.Task] = set()
    started = skipped = 0
    began = time.monotonic()
    n = first
    while (elapsed := time.monotonic() - began) < seconds:
        due = int(elapsed * rate) - (started + skipped)
        for _ in range(due):
            if len(tasks) >= max_in_flight:
                skipped += 1
                continue
            task = asyncio.create_task(traffic.order_lifecycle(n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            started += 1
            n += 1
        await asyncio.sleep(0.005)
    offered_for = time.monotonic() - began
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"started": started, "skipped_in_flight_cap": skipped, "offered_seconds": offered_for, "next": n}


def _resolve(waiting: dict[str, asyncio.Future], order_id: str) -> None:
    waiter = waiting.pop(order_id, None)
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
