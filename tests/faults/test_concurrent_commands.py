"""Racing and duplicated commands over HTTP against the running processes.

- 50 commands at once on one aggregate: each version is written once, the losers get 409 problem+json (a
  version conflict or the rule the winner made true), and nothing of a loser is stored — the aggregate's
  history holds exactly the winners' events, in contiguous versions.
- The same command sent many times at once with one Idempotency-Key is applied once: one aggregate, one
  event, and every answer names it.
"""

import asyncio
import uuid

import httpx
import psycopg
import pytest
from psycopg import sql

from bench.load import bearer, gtin, seed
from shared.platform.audit import events_table
from tests.faults.system import client
from tests.waiting import wait_for
from tests.items import registered_item_via_api
from tests.apitools import approve_typed_prices

RACERS = 50
SERVICES = ("channel", "order", "inventory")


@pytest.fixture
def running(system):  # noqa: ANN001
    for service in SERVICES:
        for role in ("web", "relay", "worker"):
            system.start(service, role)
    system.wait_until_ready(services=list(SERVICES))
    return system


def history(settings, service: str, aggregate_id: str) -> list[tuple[int, str]]:  # noqa: ANN001
    """(version, event topic) of every stored event of the aggregate, oldest first."""
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(sql.SQL("SELECT originator_version, topic FROM {}.{} WHERE originator_id = %s"
                                    " ORDER BY originator_version").format(
            sql.Identifier(settings.schema_for(service)), sql.Identifier(events_table(service))),
            (uuid.UUID(aggregate_id),)).fetchall()


async def at_once(requests: list) -> list[httpx.Response]:  # noqa: ANN001 - coroutines
    return await asyncio.gather(*requests)


def losers_are_conflicts(responses: list[httpx.Response], winning: int) -> list[httpx.Response]:
    winners = [r for r in responses if r.status_code == winning]
    losers = [r for r in responses if r.status_code != winning]
    for r in losers:
        assert r.status_code == 409, f"{r.status_code} {r.text}"
        assert r.headers["content-type"] == "application/problem+json"
    return winners


def test_fifty_qualifications_racing_on_one_supplier_each_version_written_once(running, shared_settings):
    url = running.url("inventory")

    async def race():
        async with client() as http:
            supplier = (await http.post(f"{url}/suppliers", json={"name": "Racing supplier"})).json()
            responses = await at_once([http.post(f"{url}/suppliers/{supplier['supplier_id']}/qualifications", json={
                "document_type": "business_licence", "number": f"RACE-{n:02d}", "valid_from": "2024-01-01",
                "valid_to": "2030-12-31"}) for n in range(RACERS)])
            final = (await http.get(f"{url}/suppliers/{supplier['supplier_id']}")).json()
            return supplier, responses, final

    supplier, responses, final = asyncio.run(race())
    winners = losers_are_conflicts(responses, 201)
    assert winners, "no racer won"
    assert len(winners) < RACERS, "no two racers overlapped: the race proved nothing"
    assert all(r.json()["title"] == "Version conflict" for r in responses if r.status_code == 409)
    events = history(shared_settings, "inventory", supplier["supplier_id"])
    assert [v for v, _ in events] == list(range(1, len(winners) + 2)), "versions must be contiguous, each once"
    assert final["version"] == len(winners) + 1
    # Each winner saw its own number recorded, at a distinct version: nothing of a loser was stored.
    assert len({r.json()["version"] for r in winners}) == len(winners)
    assert final["documents"][0]["number"] in {r.json()["documents"][0]["number"] for r in winners}


def test_fifty_dispatches_of_one_order_racing_ship_it_once(running, shared_settings):
    urls = {s: running.url(s) for s in SERVICES}

    async def race():
        async with client() as http:
            seeded = await seed(http, urls, shared_settings, hospitals=1, items=1, units=100)
            order = (await http.post(f"{urls['order']}/orders", json={"hospital_id": seeded.hospitals[0], "lines": [
                {"gtin": seeded.gtins[0], "quantity": 7, "unit_price": "10.00"}]})).json()
            await asyncio.to_thread(approve_typed_prices, httpx.Client(), order, urls["order"])
            await asyncio.to_thread(wait_for, lambda: httpx.get(
                f"{urls['inventory']}/fulfilments/{order['order_id']}", headers=http.headers).status_code == 200,
                "the reservation")
            responses = await at_once([http.post(f"{urls['inventory']}/fulfilments/{order['order_id']}/dispatch",
                                                 json={"carrier": "SF", "tracking_number": f"SF{n}"}) for n in range(RACERS)])
            fulfilment = (await http.get(f"{urls['inventory']}/fulfilments/{order['order_id']}")).json()
            return responses, fulfilment, seeded.gtins[0]

    responses, fulfilment, code = asyncio.run(race())
    winners = losers_are_conflicts(responses, 200)
    assert len(winners) == 1, [r.status_code for r in responses]
    assert len(fulfilment["shipments"]) == 1
    # The read model's on-hand (100 received) went down by the 7 units once.
    assert wait_for(lambda: sum(row["on_hand"] for row in httpx.get(
        f"{running.url('inventory')}/stock", params={"gtin": code}, headers=bearer()).json()["items"])
        == 93 or None, "the stock read model to show the shipment")
    shipped = [topic for _, topic in history(shared_settings, "inventory", fulfilment["fulfilment_id"])
               if "Dispatched" in topic or "Shipped" in topic]
    assert len(shipped) == 1, shipped


def test_a_command_sent_many_times_at_once_with_one_idempotency_key_is_applied_once(running, shared_settings):
    urls = {s: running.url(s) for s in SERVICES}

    async def duplicates():
        async with client() as http:
            hospital = [http.post(f"{urls['channel']}/hospitals", headers={"Idempotency-Key": "dup-hospital"},
                                  json={"name": "Duplicated hospital", "province": "上海市", "grade": "3A"})
                        for _ in range(RACERS)]
            hospitals = await at_once(hospital)
            hospital_id = hospitals[0].json()["hospital_id"]
            await asyncio.to_thread(registered_item_via_api, httpx.Client(headers=http.headers), None, gtin(0),
                                    base_url=urls["inventory"])
            await asyncio.to_thread(wait_for, lambda: (httpx.post(
                f"{urls['order']}/orders", headers={**http.headers, "Idempotency-Key": "probe"},
                json={"hospital_id": hospital_id, "lines": [{"gtin": gtin(0), "quantity": 1, "unit_price": "1.00"}]},
            ).status_code == 201), "the order service to know the hospital")
            orders = await at_once([http.post(f"{urls['order']}/orders", headers={"Idempotency-Key": "dup-order"}, json={
                "hospital_id": hospital_id, "lines": [{"gtin": gtin(0), "quantity": 3, "unit_price": "12.50"}]})
                for _ in range(RACERS)])
            again = await http.post(f"{urls['order']}/orders", headers={"Idempotency-Key": "dup-order"}, json={
                "hospital_id": hospital_id, "lines": [{"gtin": gtin(0), "quantity": 3, "unit_price": "12.50"}]})
            return hospitals, orders, again

    hospitals, orders, again = asyncio.run(duplicates())
    for responses, key in ((hospitals, "hospital_id"), (orders, "order_id")):
        assert all(r.status_code in (200, 201) for r in responses), [r.status_code for r in responses]
        assert len({r.json()[key] for r in responses}) == 1, f"one {key} for every duplicate"
        assert [r.status_code for r in responses].count(201) >= 1
    assert again.status_code == 200 and again.json()["order_id"] == orders[0].json()["order_id"]
    assert len(history(shared_settings, "channel", hospitals[0].json()["hospital_id"])) == 1
    # One Placed (inventory's answer, a backorder as nothing is in stock, comes after it, once).
    placed = [topic for _, topic in history(shared_settings, "order", orders[0].json()["order_id"])]
    assert [t.rsplit(".", 1)[1] for t in placed][:1] == ["Placed"] and placed.count(placed[0]) == 1, placed
    wait_for(lambda: httpx.get(f"{urls['order']}/orders", params={"hospital_id": hospitals[0].json()["hospital_id"]},
                               headers=bearer()).json()["total"] == 2, "the order list to show both orders")
    directory = httpx.get(f"{urls['channel']}/hospitals", params={"name": "Duplicated hospital"}, headers=bearer())
    assert directory.json()["total"] == 1


def race_with_dispatches(running, settings, command, orders_count: int = 8, quantity: int = 5):  # noqa: ANN001, ANN201
    """Orders of `quantity` reserved, then each sent `command(http, urls, order, gtin)` (a request to the order
    service, which reaches inventory through Kafka) while the warehouse dispatches it directly, staggered so that
    sometimes one wins and sometimes the other. The orders, every answer, the GTIN and the URLs."""
    urls = {s: running.url(s) for s in SERVICES}

    async def race():
        async with client() as http:
            seeded = await seed(http, urls, settings, hospitals=1, items=1, units=100)
            orders = [(await http.post(f"{urls['order']}/orders", json={"hospital_id": seeded.hospitals[0], "lines": [
                {"gtin": seeded.gtins[0], "quantity": quantity}]})).json() for _ in range(orders_count)]
            for order in orders:
                await asyncio.to_thread(wait_for, lambda o=order: httpx.get(
                    f"{urls['inventory']}/fulfilments/{o['order_id']}", headers=http.headers).json().get("status")
                    == "reserved", "the reservation")

            async def dispatch_later(order: dict, delay: float) -> httpx.Response:
                await asyncio.sleep(delay)
                return await http.post(f"{urls['inventory']}/fulfilments/{order['order_id']}/dispatch",
                                       json={"carrier": "SF", "tracking_number": f"SF-{order['order_id'][:8]}"})

            answers = await at_once([*(command(http, urls, o, seeded.gtins[0]) for o in orders),
                                     *(dispatch_later(o, 0.025 * n) for n, o in enumerate(orders))])
            return orders, answers, seeded.gtins[0]

    orders, answers, code = asyncio.run(race())
    assert all(a.status_code in (200, 202, 409) for a in answers), [(a.status_code, a.text) for a in answers]
    return orders, code, urls


def stock_settles_at(urls: dict, code: str, expected: tuple[int, int]) -> None:
    """The stock read model comes to (on hand, allocated) = expected."""
    def stock() -> tuple[int, int] | None:
        rows = httpx.get(f"{urls['inventory']}/stock", params={"gtin": code}, headers=bearer()).json()["items"]
        found = (sum(r["on_hand"] for r in rows), sum(r["allocated"] for r in rows))
        return found if found == expected else None

    assert wait_for(stock, f"the stock read model to show {expected}") == expected


def test_cancellations_racing_dispatches_never_release_a_unit_that_ships(running, shared_settings):
    """Whichever wins, an order ends shipped or cancelled in both services alike, and every unit either shipped or
    available again."""
    orders, code, urls = race_with_dispatches(running, shared_settings, lambda http, urls, o, gtin: http.post(
        f"{urls['order']}/orders/{o['order_id']}/cancel", json={"reason": "客户取消"}))

    def settled(order_id: str) -> dict | None:
        order = httpx.get(f"{urls['order']}/orders/{order_id}", headers=bearer()).json()
        return order if order["status"] in ("shipped", "cancelled") and not order["cancellation_requested"] else None

    outcomes = {o["order_id"]: wait_for(lambda o=o: settled(o["order_id"]), "the order to settle")["status"]
                for o in orders}
    for order_id, outcome in outcomes.items():
        fulfilment = httpx.get(f"{urls['inventory']}/fulfilments/{order_id}", headers=bearer()).json()
        assert fulfilment["status"] == outcome, (order_id, fulfilment["status"], outcome)
    shipped = sum(1 for outcome in outcomes.values() if outcome == "shipped")
    stock_settles_at(urls, code, (100 - 5 * shipped, 0))
    print(f"cancellations racing dispatches: {shipped} shipped, {len(orders) - shipped} cancelled")


def test_amendments_racing_dispatches_ship_what_the_order_finally_says_and_nothing_twice(running, shared_settings):
    """Each order of 5 is amended to 3. Whichever wins, what shipped (or stays reserved) is what the order finally
    says, and every unit is shipped, reserved or available: none released and shipped both."""
    orders, code, urls = race_with_dispatches(running, shared_settings, lambda http, urls, o, gtin: http.post(
        f"{urls['order']}/orders/{o['order_id']}/amendments", json={"lines": [{"gtin": gtin, "quantity": 3}],
                                                                    "reason": "客户减量"}))

    def settled(order_id: str) -> dict | None:
        order = httpx.get(f"{urls['order']}/orders/{order_id}", headers=bearer()).json()
        fulfilment = httpx.get(f"{urls['inventory']}/fulfilments/{order_id}", headers=bearer()).json()
        if order["pending_amendment"] is not None or fulfilment["status"] not in ("reserved", "shipped"):
            return None
        if fulfilment["status"] == "shipped" and order["status"] != "shipped":
            return None  # the order service has not heard of the shipment yet
        return {"order": order, "fulfilment": fulfilment}

    shipped_units = reserved_units = amended = 0
    for o in orders:
        state = wait_for(lambda o=o: settled(o["order_id"]), "the order to settle")
        ordered = state["order"]["lines"][0]["quantity"]
        amended += ordered == 3
        fulfilment = state["fulfilment"]
        if fulfilment["status"] == "shipped":
            sent = sum(line["quantity"] for shipment in fulfilment["shipments"] for line in shipment["lines"])
            assert sent == ordered, (o["order_id"], sent, ordered)
            shipped_units += sent
        else:
            kept = sum(line["quantity"] for line in fulfilment["reserved"])
            assert kept == ordered, (o["order_id"], kept, ordered)
            reserved_units += kept
    stock_settles_at(urls, code, (100 - shipped_units, reserved_units))
    print(f"amendments racing dispatches: {amended} amended, {len(orders) - amended} shipped as placed")
