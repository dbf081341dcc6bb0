"""PostgreSQL stopped while the services run: the APIs answer 503 problem+json at once (not 500, not a hang,
also when many requests wait for the pool), store nothing, and recover by themselves when it is back; relays
and workers carry on from where they were.

The server is a throwaway one of this test (tests/faults/servers.py), never the shared one.
"""

import asyncio
import time

import httpx
import psycopg

from shared.platform.namespace import drop_namespace
from tests.faults.system import client, fault_settings, new_stack
from tests.items import registered_item_via_api

SERVICES = ("channel", "order")
# Inventory's API and relay too, for the item the orders name: the order service accepts an order only for an item
# it knows, with a registration certificate (its worker learns both from inventory's events).
ITEM_SERVICE = "inventory"
GTIN = "09506000134352"
HANG = 10.0  # seconds: an answer slower than this is a hang (a client would have given up)


def hospital(n: int) -> dict:
    return {"name": f"Outage hospital {n}", "province": "上海市", "grade": "3A"}


def order(hospital_id: str) -> dict:
    return {"hospital_id": hospital_id, "lines": [{"gtin": GTIN, "quantity": 1, "unit_price": "10.00"}]}


def known_hospitals(settings, table: str = "known_hospitals") -> int:  # noqa: ANN001
    try:
        with psycopg.connect(settings.database_url, connect_timeout=2) as conn:
            return conn.execute(f"SELECT count(*) FROM {settings.schema_for('order')}.{table}").fetchone()[0]
    except psycopg.Error:
        return 0


async def until(probe, what: str, timeout: float = 60):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await probe():
            return result
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_apis_answer_503_while_the_database_is_down_and_recover_by_themselves(infrastructure, own_postgres, tmp_path,
                                                                               rounds):
    settings = fault_settings(own_postgres.database_url, infrastructure.kafka_bootstrap_servers)
    stack = new_stack(settings, tmp_path / "logs", services=(*SERVICES, ITEM_SERVICE))
    channel, orders = (stack.url(s) for s in SERVICES)

    async def timed(http: httpx.AsyncClient, method: str, url: str, **kwargs) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = await http.request(method, url, **kwargs)
        return response, time.monotonic() - started

    async def during_outage(http: httpx.AsyncClient, hospital_id: str, order_id: str, n: int) -> list:
        # Many at once: more than the pools hold, so some wait for a connection that never comes (pool timeout).
        requests = [("POST", f"{channel}/hospitals", {"json": hospital(1000 + n * 100 + i),
                                                      "headers": {"Idempotency-Key": f"outage-{n}-{i}"}}) for i in range(8)]
        requests += [("POST", f"{orders}/orders", {"json": order(hospital_id),
                                                   "headers": {"Idempotency-Key": f"outage-order-{n}-{i}"}}) for i in range(8)]
        requests += [("GET", f"{channel}/hospitals", {}), ("GET", f"{orders}/orders/{order_id}", {}),
                     ("GET", f"{orders}/orders", {})] * 3
        return await asyncio.gather(*(timed(http, m, u, **kw) for m, u, kw in requests))

    async def scenario() -> list[str]:
        notes = []
        async with client() as http:
            http.timeout = httpx.Timeout(60)  # long enough to see a hang as a slow answer, not a client timeout
            first = (await http.post(f"{channel}/hospitals", json=hospital(0), headers={"Idempotency-Key": "h-0"})).json()
            await asyncio.to_thread(registered_item_via_api, httpx.Client(headers=http.headers), None, GTIN,
                                    base_url=stack.url(ITEM_SERVICE))
            await until(lambda: asyncio.to_thread(known_hospitals, settings), "the order service to know the hospital")
            await until(lambda: asyncio.to_thread(known_hospitals, settings, "known_items WHERE certificate IS NOT NULL"),
                        "the order service to know the item and its certificate")
            placed = await http.post(f"{orders}/orders", json=order(first["hospital_id"]), headers={"Idempotency-Key": "o-0"})
            assert placed.status_code == 201, placed.text
            for n in range(max(1, rounds // 2)):
                await asyncio.to_thread(own_postgres.stop)
                answers = await during_outage(http, first["hospital_id"], placed.json()["order_id"], n)
                for response, elapsed in answers:
                    where = f"{response.request.method} {response.request.url.path}"
                    assert response.status_code == 503, f"{where}: {response.status_code} {response.text}"
                    assert response.headers["content-type"] == "application/problem+json", where
                    assert response.json()["title"] == "Service unavailable", where
                    assert response.headers["Retry-After"] == "2", where
                    assert elapsed < HANG, f"{where} took {elapsed:.1f}s to answer"
                ready = await http.get(f"{channel}/ready")
                assert ready.status_code == 503 and not ready.json()["checks"]["database"]["ok"]
                notes.append(f"outage {n}: {len(answers)} requests, slowest answer {max(e for _, e in answers):.2f}s")

                await asyncio.to_thread(own_postgres.start)
                # Back by themselves: the refused command was not stored, so its key now creates (201, not 200).
                retried = await until(lambda: _created(http, f"{channel}/hospitals", hospital(1000 + n * 100),
                                                       f"outage-{n}-0"), "the channel API to accept commands again", 30)
                await until(lambda: asyncio.to_thread(lambda: known_hospitals(settings) >= 2 + n),
                            "the relay and the worker to carry the new hospital to the order service")
                again = await http.post(f"{orders}/orders", json=order(retried["hospital_id"]),
                                        headers={"Idempotency-Key": f"outage-order-{n}-0"})
                assert again.status_code == 201, again.text
        return notes

    try:
        for service in SERVICES:
            for role in ("web", "relay", "worker"):
                stack.start(service, role)
        for role in ("web", "relay"):
            stack.start(ITEM_SERVICE, role)
        stack.wait_until_ready(services=list(SERVICES))
        notes = asyncio.run(scenario())
        stack.check_alive()  # nothing crashed or was restarted
        print("; ".join(notes))
    finally:
        stack.stop_all()
        own_postgres.start()  # if the test failed during an outage; the namespace's topics are on the shared broker
        asyncio.run(drop_namespace(settings))


async def _created(http: httpx.AsyncClient, url: str, body: dict, key: str) -> dict | None:
    response = await http.post(url, json=body, headers={"Idempotency-Key": key})
    if response.status_code == 503:
        return None
    assert response.status_code == 201, f"{response.status_code} {response.text}"
    return response.json()
