"""Property: the recall lookup the API runs equals a brute-force walk over every event.

A random history of a few thousand envelopes — shipments of component and kit lots (some serialised) to
random hospitals or distributors, returns of part of them, kit assemblies of component lots and of other kits
(kits of kits), lot numbers shared across GTINs, distributors' sell-out reports of what they received (and of
what they did not: over-reports), to registered hospitals and unknown ones — is applied through the lineage
projection on real PostgreSQL in batches. Then, for random lots (with and without their GTIN) and serials,
`recall_lookup` must answer what a plain Python walk over the generated events finds.
"""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from stdnum import ean

from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.queries import recall_lookup
from shared.events import CloudEvent
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.events.inventory import KitAssembled, ShipmentDispatched, ShipmentReturned
from shared.events.traceability import SellOutReported
from shared.platform.consumer import Delivery
from tests.apps import web_app

SEED = 20261125
BATCH = 500


def gtin(n: int) -> str:
    body = f"0950600{n:06d}"
    return body + ean.calc_check_digit(body)


class History:
    """Generates the events and keeps the plain facts a brute-force walk needs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.uuid = lambda: UUID(int=rng.getrandbits(128), version=4)
        self.positions: dict[str, int] = defaultdict(int)
        self.envelopes: list[CloudEvent] = []
        self.events: list = []  # the payloads, in order
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)

    def emit(self, payload) -> None:  # noqa: ANN001
        producer = type(payload).producer
        self.positions[producer] += 1
        position = self.positions[producer]
        self.clock += timedelta(minutes=1)
        subject = str(getattr(payload, type(payload).subject_field))
        self.envelopes.append(CloudEvent(
            id=f"{producer}-{position}", source=f"/erp/{producer}", type=f"erp.{producer}.{type(payload).event_name}",
            subject=subject, time=self.clock, aggregateid=subject, aggregateversion=1, position=position,
            correlationid=str(self.uuid()), actor="user:property", schemaversion=type(payload).schema_version,
            data=payload.model_dump(mode="json")))
        self.events.append(payload)


def generate(rng: random.Random, n_shipments: int = 1800) -> History:
    h = History(rng)
    hospitals = [h.uuid() for _ in range(25)]
    for i, hospital in enumerate(hospitals[:20]):  # five stay unregistered: the lookup still lists them
        h.emit(HospitalRegistered(hospital_id=hospital, name=f"医院{rng.randint(0, 9)}-{i}", province="四川省",
                                  grade="3A"))
    distributors = [h.uuid() for _ in range(4)]
    for i, distributor in enumerate(distributors):
        h.emit(DistributorRegistered(distributor_id=distributor, name=f"配送商{rng.randint(0, 9)}-{i}", region="江苏省",
                                     tier="gold"))
    received: dict[UUID, list[tuple[str, str, list[str]]]] = defaultdict(list)  # distributor -> (gtin, lot, serials)
    component_gtins = [gtin(i) for i in range(1, 6)]
    kit_gtins = [gtin(i) for i in range(100, 104)]
    lot_no = lambda: f"L{rng.randint(1, 60)}"  # noqa: E731 - shared across GTINs, so `?lot=` spans several
    levels: list[list[tuple[str, str]]] = [list({(rng.choice(component_gtins), lot_no()) for _ in range(150)})]
    expiry = date(2028, 1, 1)
    shipped_lines: list[tuple[ShipmentDispatched, int]] = []  # (shipment, line index)
    returned: dict[tuple[UUID, int], int] = defaultdict(int)
    serial_counter = 0
    actions = ["ship"] * 6 + ["return"] * 2 + ["kit"] + ["sellout"] * 2
    for _ in range(n_shipments + n_shipments // 2):
        action = rng.choice(actions)
        if action == "kit":
            level = rng.randint(1, min(3, len(levels)))
            if level == len(levels):
                levels.append([])
            kit = (rng.choice(kit_gtins), lot_no())
            sources = levels[level - 1] + (levels[level - 2] if level >= 2 else [])
            components = {rng.choice(sources) for _ in range(rng.randint(1, 3))} - {kit}
            if not components:
                continue
            levels[level].append(kit)
            h.emit(KitAssembled(item_id=h.uuid(), gtin=kit[0], assembly_id=h.uuid(), lot=kit[1], expiry=expiry,
                                quantity=rng.randint(1, 10), warehouse="WH", components=[
                                    {"gtin": g, "lot": lot, "expiry": expiry, "warehouse": "WH",
                                     "quantity": rng.randint(1, 5)} for g, lot in sorted(components)]))
        elif action == "sellout":
            distributor = rng.choice(distributors)
            got, everything = received[distributor], [lot for level in levels for lot in level]
            lines = []
            for n in range(rng.randint(1, 4)):
                if got and rng.random() < 0.85:
                    g, lot, serials = rng.choice(got)
                else:  # a lot it never received: an over-report
                    (g, lot), serials = rng.choice(everything), []
                quantity = rng.randint(1, 6)
                named = rng.sample(serials, quantity) if len(serials) >= quantity and rng.random() < 0.5 else None
                lines.append({"line_no": n + 1, "hospital_id": rng.choice(hospitals), "gtin": g, "lot": lot,
                              "serials": named, "quantity": quantity, "sold_at": date(2026, 1, 15), "received": 0,
                              "over_reported": False, "excess": 0, "unknown_hospital": False})
            h.emit(SellOutReported(report_id=h.uuid(), distributor_id=distributor, report_reference=f"R{len(h.events)}",
                                   period={"start": date(2026, 1, 1), "end": date(2026, 1, 31)}, source="api",
                                   lines=lines))
        elif action == "return" and shipped_lines:
            shipment, index = rng.choice(shipped_lines)
            line = shipment.lines[index]
            left = line.quantity - returned[(shipment.shipment_id, index)]
            if left <= 0:
                continue
            quantity = rng.randint(1, left)
            serials = None
            if line.serials:
                done = returned[(shipment.shipment_id, index)]
                serials = line.serials[done:done + quantity]
            returned[(shipment.shipment_id, index)] += quantity
            h.emit(ShipmentReturned(
                fulfilment_id=h.uuid(), order_id=shipment.order_id, return_id=h.uuid(),
                shipment_id=shipment.shipment_id, ship_to_hospital_id=shipment.ship_to_hospital_id,
                reason=rng.choice(["damaged", "recall", "other"]), disposition=rng.choice(["restock", "quarantine", "scrap"]),
                warehouse="WH", lines=[{"gtin": line.gtin, "lot": line.lot, "expiry": line.expiry,
                                        "quantity": quantity, "serials": serials}]))
        else:
            pool = [lot for level in levels for lot in level]
            lines = []
            for g, lot in {rng.choice(pool) for _ in range(rng.randint(1, 3))}:
                quantity = rng.randint(1, 8)
                serials = None
                if rng.random() < 0.3:
                    serials = [f"S{serial_counter + i}" for i in range(quantity)]
                    serial_counter += quantity
                    if rng.random() < 0.1 and serial_counter > 50:  # a unit shipped again (after a return, say)
                        serials[0] = f"S{rng.randint(0, serial_counter - 50)}"
                lines.append({"gtin": g, "lot": lot, "expiry": expiry, "quantity": quantity, "serials": serials})
            distributor = rng.choice(distributors) if rng.random() < 0.3 else None
            shipment = ShipmentDispatched(
                fulfilment_id=h.uuid(), order_id=h.uuid(), shipment_id=h.uuid(), ship_to_hospital_id=rng.choice(hospitals),
                ship_to_distributor_id=distributor, ship_from_warehouse="WH", carrier="SF", tracking_number="SF1",
                dispatched_at=h.clock, lines=lines)
            h.emit(shipment)
            if distributor is not None:
                received[distributor].extend((line["gtin"], line["lot"], line["serials"] or []) for line in lines)
            shipped_lines.extend((shipment, i) for i in range(len(lines)))
    return h


class BruteForce:
    """Answers by walking every generated event, as a recall officer with the whole log would."""

    def __init__(self, events: list) -> None:
        self.events = events
        self.names = {e.hospital_id: e.name for e in events if isinstance(e, HospitalRegistered)}
        self.names |= {e.distributor_id: e.name for e in events if isinstance(e, DistributorRegistered)}
        self.distributors = {e.distributor_id for e in events if isinstance(e, DistributorRegistered)}
        # A shipment goes to the distributor the order was delivered through, else to the hospital; a return comes
        # back from whoever the shipment went to.
        self.consignee = {e.shipment_id: getattr(e, "ship_to_distributor_id", None) or e.ship_to_hospital_id
                          for e in events if isinstance(e, ShipmentDispatched)}
        self.kits: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for e in events:
            if isinstance(e, KitAssembled):
                for c in e.components:
                    self.kits[(c.gtin, c.lot)].add((e.gtin, e.lot))

    def all_lots(self) -> set[tuple[str, str]]:
        lots = {(line.gtin, line.lot) for e in self.events if isinstance(e, ShipmentDispatched | SellOutReported)
                for line in e.lines}
        return lots | set(self.kits) | {k for ks in self.kits.values() for k in ks}

    def reach(self, starts: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Every lot reachable from the starts through kit assemblies, with its distance (BFS)."""
        distance = {s: 0 for s in starts}
        frontier = list(starts)
        while frontier:
            following = []
            for lot in frontier:
                for kit in self.kits.get(lot, ()):
                    if kit not in distance:
                        distance[kit] = distance[lot] + 1
                        following.append(kit)
            frontier = following
        return distance

    def exposure(self, lots: set[tuple[str, str]]) -> dict[UUID, dict[tuple[str, str], list[int]]]:
        out: dict[UUID, dict[tuple[str, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for e in self.events:
            if isinstance(e, ShipmentDispatched | ShipmentReturned):
                for line in e.lines:
                    if (line.gtin, line.lot) in lots:
                        out[self.consignee.get(e.shipment_id, e.ship_to_hospital_id)][(line.gtin, line.lot)][
                            isinstance(e, ShipmentReturned)] += line.quantity
        return out

    def sold_on(self, lots: set[tuple[str, str]]) -> dict[tuple[UUID, UUID], dict[tuple[str, str], int]]:
        """Per (hospital, distributor), the units of each lot the distributor reported delivering to the hospital."""
        out: dict[tuple[UUID, UUID], dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        for e in self.events:
            if isinstance(e, SellOutReported):
                for line in e.lines:
                    if (line.gtin, line.lot) in lots:
                        out[(line.hospital_id, e.distributor_id)][(line.gtin, line.lot)] += line.quantity
        return out

    def sell_outs(self, lots: set[tuple[str, str]]) -> dict[tuple[UUID, UUID], set]:
        out: dict[tuple[UUID, UUID], set] = defaultdict(set)
        for e in self.events:
            if isinstance(e, SellOutReported):
                for line in e.lines:
                    if (line.gtin, line.lot) in lots:
                        out[(line.hospital_id, e.distributor_id)].add((e.report_id, line.line_no, line.quantity))
        return out

    def shipments(self, lots: set[tuple[str, str]]) -> dict[UUID, set]:
        out: dict[UUID, set] = defaultdict(set)
        for e in self.events:
            if isinstance(e, ShipmentDispatched):
                quantities: dict[tuple[str, str], int] = defaultdict(int)
                for line in e.lines:
                    quantities[(line.gtin, line.lot)] += line.quantity
                for key, quantity in quantities.items():
                    if key in lots:
                        out[self.consignee[e.shipment_id]].add((e.shipment_id, *key, quantity))
        return out

    def serial(self, gtin_: str, serial: str) -> dict[UUID, list[tuple[UUID, str, bool]]]:
        out: dict[UUID, list] = defaultdict(list)
        returned = set()
        for e in self.events:
            if isinstance(e, ShipmentReturned):
                returned |= {(e.shipment_id, s) for line in e.lines if line.gtin == gtin_ for s in line.serials or ()}
        for e in self.events:
            if isinstance(e, ShipmentDispatched):
                for line in e.lines:
                    if line.gtin == gtin_ and serial in (line.serials or ()):
                        out[self.consignee[e.shipment_id]].append(
                            (e.shipment_id, line.lot, (e.shipment_id, serial) in returned))
        return out

    def sold_serial(self, gtin_: str, serial: str) -> dict[tuple[UUID, UUID], list[tuple[UUID, int]]]:
        out: dict[tuple[UUID, UUID], list] = defaultdict(list)
        for e in self.events:
            if isinstance(e, SellOutReported):
                for line in e.lines:
                    if line.gtin == gtin_ and serial in (line.serials or ()):
                        out[(line.hospital_id, e.distributor_id)].append((e.report_id, line.line_no))
        return out


def check_lot_answer(answer, brute: BruteForce, starts: set[tuple[str, str]]) -> None:
    distance = brute.reach(starts)
    assert {(a.gtin, a.lot): len(a.via) - 1 for a in answer.affected_lots} == distance
    for a in answer.affected_lots:  # `via` is a path of real assemblies from a queried lot to this one
        path = [(v.gtin, v.lot) for v in a.via]
        assert path[0] in starts and path[-1] == (a.gtin, a.lot)
        assert all(b in brute.kits[c] for c, b in zip(path, path[1:], strict=False))
    reached = set(distance)
    exposure, sold_on = brute.exposure(reached), brute.sold_on(reached)
    # One row per consignee and path: (consignee, None) direct, (hospital, distributor) through a sell-out.
    expected = {(cid, None): {lot: tuple(q) for lot, q in lots.items()} for cid, lots in exposure.items()}
    expected |= {row: {lot: (q, 0) for lot, q in lots.items()} for row, lots in sold_on.items()}
    key = lambda c: (c.consignee_id, c.via_distributor.consignee_id if c.via_distributor else None)  # noqa: E731
    got = {key(c): {(a.gtin, a.lot): (a.quantity_shipped, a.quantity_returned) for a in c.affected_lots}
           for c in answer.consignees}
    assert got == expected
    totals = {row: (sum(q[0] for q in lots.values()), sum(q[1] for q in lots.values())) for row, lots in expected.items()}
    sold_by = defaultdict(int)
    for (_, distributor), lots in sold_on.items():
        sold_by[distributor] += sum(lots.values())
    for c in answer.consignees:
        assert (c.quantity_shipped, c.quantity_returned) == totals[key(c)]
        assert c.quantity_outstanding == c.quantity_shipped - c.quantity_returned
        assert all(a.quantity_outstanding == a.quantity_shipped - a.quantity_returned for a in c.affected_lots)
        if c.via_distributor is not None:
            assert c.kind == "hospital" and c.via_distributor.name == brute.names[c.via_distributor.consignee_id]
        elif c.consignee_id in brute.distributors:
            assert (c.kind, c.quantity_sold_on) == ("distributor", sold_by[c.consignee_id])
            assert c.quantity_in_stock == max(0, c.quantity_outstanding - sold_by[c.consignee_id])
        else:
            assert (c.quantity_sold_on, c.quantity_in_stock, c.sell_outs) == (0, None, [])
    assert [key(c) for c in answer.consignees] == sorted(
        totals, key=lambda row: (-totals[row][0], brute.names.get(row[0], ""), str(row[0]), str(row[1] or "")))
    shipments, sell_outs = brute.shipments(reached), brute.sell_outs(reached)
    assert {key(c): {(s.shipment_id, s.gtin, s.lot, s.quantity) for s in c.shipments} for c in answer.consignees} == {
        row: shipments[row[0]] if row[1] is None else set() for row in expected}
    assert {key(c): {(s.report_id, s.line_no, s.quantity) for s in c.sell_outs} for c in answer.consignees} == {
        row: sell_outs[row] if row[1] is not None else set() for row in expected}
    assert answer.total == len(expected)
    direct = [t for row, t in totals.items() if row[1] is None]
    assert answer.quantity_shipped == sum(t[0] for t in direct)
    assert answer.quantity_returned == sum(t[1] for t in direct)


def test_the_lookup_equals_a_brute_force_walk_over_a_random_history(settings, pool):
    rng = random.Random(SEED)
    history = generate(rng)
    assert len(history.envelopes) > 2000
    kit_gtins = {e.gtin for e in history.events if isinstance(e, KitAssembled)}
    assert any(c.gtin in kit_gtins for e in history.events if isinstance(e, KitAssembled) for c in e.components)
    schema = settings.schema_for("traceability")
    projection = ShipmentLineage(pool, schema)
    projection.setup()
    deliveries = [Delivery(settings.topic_for(e.source.removeprefix("/erp/")), 0, offset, e)
                  for offset, e in enumerate(history.envelopes)]
    for start in range(0, len(deliveries), BATCH):
        projection.handle_batch(deliveries[start:start + BATCH])

    brute = BruteForce(history.events)
    lots = sorted(brute.all_lots())
    with pool.connection() as conn:
        for gtin_, lot in rng.sample(lots, 120) + [(gtin(99), "NEVER")]:
            check_lot_answer(recall_lookup(conn, schema, gtin=gtin_, lot=lot, limit=1000), brute, {(gtin_, lot)})
        for lot in sorted({lot for _, lot in rng.sample(lots, 30)}):
            starts = {key for key in lots if key[1] == lot}
            check_lot_answer(recall_lookup(conn, schema, lot=lot, limit=1000), brute, starts)

        # Pages of three put together are the whole answer.
        gtin_, lot = max(lots, key=lambda key: len(brute.reach({key})))
        whole = recall_lookup(conn, schema, gtin=gtin_, lot=lot, limit=1000)
        paged = []
        for offset in range(0, whole.total + 3, 3):
            page = recall_lookup(conn, schema, gtin=gtin_, lot=lot, limit=3, offset=offset)
            assert page.total == whole.total
            paged += page.consignees
        assert paged == whole.consignees and len(brute.reach({(gtin_, lot)})) > 2

        serials = sorted({(line.gtin, s) for e in history.events if isinstance(e, ShipmentDispatched)
                          for line in e.lines for s in line.serials or ()})
        sold_serials = sorted({(line.gtin, s) for e in history.events if isinstance(e, SellOutReported)
                               for line in e.lines for s in line.serials or ()})
        assert len(sold_serials) > 20
        for gtin_, serial in rng.sample(serials, 40) + rng.sample(sold_serials, 20) + [(gtin(1), "NEVER")]:
            answer = recall_lookup(conn, schema, gtin=gtin_, serial=serial, limit=1000)
            expected, sold = brute.serial(gtin_, serial), brute.sold_serial(gtin_, serial)
            direct = [c for c in answer.consignees if c.via_distributor is None]
            assert {c.consignee_id: sorted((s.shipment_id, s.lot, s.quantity) for s in c.shipments)
                    for c in direct} == {cid: sorted((sid, lot, 1) for sid, lot, _ in rows)
                                         for cid, rows in expected.items()}
            assert {c.consignee_id: c.quantity_returned for c in direct} == {
                cid: sum(r for *_, r in rows) for cid, rows in expected.items()}
            assert {(c.consignee_id, c.via_distributor.consignee_id): sorted((s.report_id, s.line_no) for s in c.sell_outs)
                    for c in answer.consignees if c.via_distributor} == {row: sorted(v) for row, v in sold.items()}
            assert answer.total == len(expected) + len(sold)


def test_the_api_answers_the_same_and_refuses_a_question_it_cannot_answer(settings, pool):
    from fastapi.testclient import TestClient

    app = web_app("traceability")
    from shared.platform.auth import issue_token

    history = generate(random.Random(SEED), n_shipments=200)
    with TestClient(app) as client:  # its start-up creates the tables
        projection = ShipmentLineage(pool, settings.schema_for("traceability"))
        projection.handle_batch([Delivery(settings.topic_for(e.source.removeprefix("/erp/")), 0, offset, e)
                                 for offset, e in enumerate(history.envelopes)])
        headers = {"Authorization": f"Bearer {issue_token('alice', ['recall_officer'])}"}
        shipped = next(e for e in history.events if isinstance(e, ShipmentDispatched))
        line = shipped.lines[0]
        response = client.get("/recalls/lookup", headers=headers, params={"gtin": line.gtin, "lot": line.lot, "limit": 2})
        assert response.status_code == 200, response.text
        with pool.connection() as conn:
            expected = recall_lookup(conn, settings.schema_for("traceability"), gtin=line.gtin, lot=line.lot, limit=2)
        assert response.json() == expected.model_dump(mode="json")
        assert response.json()["consignees"][0]["affected_lots"][0]["via"][0] == {"gtin": line.gtin, "lot": line.lot}
        assert client.get("/recalls/lookup", headers=headers, params={"lot": line.lot}).status_code == 200
        for params in ({}, {"gtin": line.gtin}, {"serial": "S1"}, {"gtin": line.gtin, "lot": line.lot, "serial": "S1"}):
            refused = client.get("/recalls/lookup", headers=headers, params=params)
            assert refused.status_code == 422, params
            assert refused.json()["errors"][0]["rule"] == "recall-lookup-parameters"
