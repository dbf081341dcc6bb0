"""Analytics on PostgreSQL: the sales read model (services/analytics/projections/sales.py) fed invoices, credit
notes, 票折 discounts, orders priced by awards, hospitals, distributors and products, in any order across topics.
For random events, every figure of every grouping equals a recomputation straight from the events; and through the
API, a distributor's user sees only what went through it, a figure drills into its lines, a period backwards is a
422 naming the field, and the export is the report."""

import csv
import io
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import uuid4

from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from stdnum import ean

from services.analytics import queries
from services.analytics.domain.sales import GROUPS, channel_of, month_of, spread
from services.analytics.domain.stock import status_of
from services.analytics.projections.promotions import Promotions
from services.analytics.projections.recalls import RecallStatus
from services.analytics.projections.returns import Returns
from services.analytics.projections.sales import Sales
from services.analytics.projections.stock import Stock
from shared.domain.business_day import business_day
from shared.events import EventPayload
from shared.events.billing import (
    CreditNoteIssued, CreditNoteLine, InvoiceDiscount, InvoiceLine, InvoiceRaised, ReversedDiscount,
)
from shared.events.channel import DistributorRegistered, HospitalRegistered, PromotionCreated
from shared.events.inventory import (
    AllocatedStockShipped, ItemRegistered, LotAllocation, LotHeld, LotHoldReleased, LotInspected, LotReceived,
    ProductGroupSet, ReturnedLine, ShipmentReturned, StockAdjusted, StockMoved, StockReturned,
)
from shared.events.order import OrderLine, OrderPlaced, PromotionBudgetOpened, PromotionBudgetSpent
from shared.events.traceability import (
    AdverseEventReported, AdverseEventSubmitted, RecallAcknowledged, RecallClosed, RecallConsigneeNotified,
    RecalledLot, RecallOpened, RecallUnitsReturned,
)
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels
from tests.integration.conftest import _api
from tests.unit.inventory_world import envelope_of

analytics_api = _api("analytics")
GTINS = [f"0690000000{n:03d}" + ean.calc_check_digit(f"0690000000{n:03d}") for n in range(1, 4)]
PROVINCES = ["上海市", "江苏省", "四川省"]
GRADES = ["3A", "2B"]
ALL_TIME = queries.SalesFilter(start=date(2020, 1, 1), end=date(2030, 12, 31))
topics = count()


class World:
    """Parties, products and the events of one example, with the recomputation the read model must equal."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.hospitals = {uuid4(): (rng.choice(PROVINCES), rng.choice([None, "某市"]), rng.choice(GRADES))
                          for _ in range(3)}
        self.distributors = [uuid4(), uuid4()]
        self.billing: list[EventPayload] = []
        self.orders: list[EventPayload] = []
        self.channel: list[EventPayload] = [
            *(HospitalRegistered(hospital_id=h, name=f"医院{n}", province=p, city=c, grade=g)
              for n, (h, (p, c, g)) in enumerate(self.hospitals.items())),
            *(DistributorRegistered(distributor_id=d, name=f"经销商{n}", region="江苏省", tier="gold")
              for n, d in enumerate(self.distributors))]
        self.inventory: list[EventPayload] = [
            *(ItemRegistered(item_id=uuid4(), gtin=g, name=f"产品{n}", device_class=2) for n, g in enumerate(GTINS)),
            ProductGroupSet(item_id=uuid4(), gtin=GTINS[0], group="冠脉支架")]
        self.invoices: list[InvoiceRaised] = []

    def invoice(self, lines: int, through_distributor: bool, awarded: bool, discount: bool, day: date) -> None:
        order_id, hospital = uuid4(), self.rng.choice(list(self.hospitals))
        distributor = self.rng.choice(self.distributors) if through_distributor else None
        billed = []
        for _ in range(lines):
            quantity, net = self.rng.randint(1, 9), Decimal(self.rng.randint(100, 99_999)) / 100
            vat = (net * Decimal("0.13")).quantize(Decimal("0.01"))
            billed.append(InvoiceLine(gtin=self.rng.choice(GTINS), lot=f"L{self.rng.randint(1, 5)}", quantity=quantity,
                                      unit_price=net, net_amount=net, vat_rate=Decimal("0.13"), vat_amount=vat,
                                      gross_amount=net + vat))
        off = -Decimal(self.rng.randint(1, 5_000)) / 100  # cents that rarely divide evenly among channels
        off_vat = (off * Decimal("0.13")).quantize(Decimal("0.01"))
        discounts = [InvoiceDiscount(vat_rate=Decimal("0.13"), net_amount=off, vat_amount=off_vat,
                                     gross_amount=off + off_vat, settlements=["a:b"])] if discount else []
        net = sum((x.net_amount for x in billed), Decimal(0)) + sum((x.net_amount for x in discounts), Decimal(0))
        vat = sum((x.vat_amount for x in billed), Decimal(0)) + sum((x.vat_amount for x in discounts), Decimal(0))
        invoice = InvoiceRaised(invoice_id=uuid4(), order_id=order_id, shipment_id=uuid4(), hospital_id=hospital,
                                bill_to_distributor_id=distributor, currency="CNY", lines=billed, discounts=discounts,
                                net_total=net, vat_total=vat, gross_total=net + vat, issued_on=day)
        self.billing.append(invoice)
        self.invoices.append(invoice)
        self.orders.append(OrderPlaced(order_id=order_id, hospital_id=hospital, currency="CNY", lines=[
            OrderLine(line_no=n, gtin=line.gtin, quantity=line.quantity, unit_price=line.unit_price,
                      price_source="award" if awarded and n == 1 else "list")
            for n, line in enumerate(billed, start=1)]))

    def credit(self, which: int, day: date, full: bool = False) -> None:
        """A credit note of one unit of the first line; `full`: of every line, with the 票折 given back."""
        if not self.invoices:
            return
        invoice = self.invoices[which % len(self.invoices)]
        credited = [CreditNoteLine(line_no=n, gtin=line.gtin, lot=line.lot, quantity=line.quantity,
                                   net_amount=-line.net_amount, vat_rate=line.vat_rate, vat_amount=-line.vat_amount,
                                   gross_amount=-line.gross_amount) for n, line in enumerate(invoice.lines, start=1)]
        if not full:
            line = invoice.lines[0]
            credited = [CreditNoteLine(line_no=1, gtin=line.gtin, lot=line.lot, quantity=1,
                                       net_amount=-line.unit_price, vat_rate=line.vat_rate,
                                       vat_amount=Decimal("0.00"), gross_amount=-line.unit_price)]
        back = [ReversedDiscount(vat_rate=d.vat_rate, net_amount=-d.net_amount, vat_amount=-d.vat_amount,
                                 gross_amount=-d.gross_amount, settlements=d.settlements)
                for d in invoice.discounts] if full else []
        both = [*credited, *back]
        self.billing.append(CreditNoteIssued(
            invoice_id=invoice.invoice_id, credit_note_id=uuid4(), number=f"CN-{uuid4().hex[:6]}", reason="return",
            lines=credited, discounts=back, net_total=sum((x.net_amount for x in both), Decimal(0)),
            vat_total=sum((x.vat_amount for x in both), Decimal(0)),
            gross_total=sum((x.gross_amount for x in both), Decimal(0)), issued_on=max(day, invoice.issued_on)))

    def deliveries(self) -> list[Delivery]:
        """Each topic in its own order, the topics interleaved at random (a consumer of four topics sees that)."""
        streams = []
        for events in (self.billing, self.orders, self.channel, self.inventory):
            topic = f"analytics-{next(topics)}-{uuid4().hex[:6]}"
            streams.append([Delivery(topic, 0, n, envelope_of(e, position=n + 1)) for n, e in enumerate(events)])
        merged = []
        while any(streams):
            stream = self.rng.choice([s for s in streams if s])
            merged.append(stream.pop(0))
        return merged

    @staticmethod
    def spread_rows(invoice: InvoiceRaised, discounts: list, day: date, awarded: set) -> list[tuple]:
        """票折 (or its reversal) spread over the invoice's lines' channels by their net amounts."""
        if not discounts:
            return []
        weights: dict[str, Decimal] = defaultdict(Decimal)
        for line in invoice.lines:
            weights[channel_of(invoice.bill_to_distributor_id, "award" if (
                invoice.order_id, line.gtin) in awarded else None)] += line.net_amount
        own = channel_of(invoice.bill_to_distributor_id, None)
        net = sum((d.net_amount for d in discounts), Decimal(0))
        gross = sum((d.gross_amount for d in discounts), Decimal(0))
        nets, grosses = spread(net, weights) or {own: net}, spread(gross, weights) or {own: gross}
        return [(invoice, None, grosses[c], nets[c], 0, 0, day, c) for c in nets]

    def recomputed(self, group: str, scope: DataScope = EVERYTHING) -> dict[str, tuple[Decimal, Decimal, int, int]]:
        """Every group's (amount, net, units, invoice lines), folded from the events."""
        awarded = {(e.order_id, line.gtin) for e in self.orders for line in e.lines if line.price_source == "award"}
        by_invoice = {i.invoice_id: i for i in self.invoices}
        groups: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0])
        rows = []
        for event in self.billing:
            if isinstance(event, InvoiceRaised):
                rows += [(event, line.gtin, line.gross_amount, line.net_amount, line.quantity, 1, event.issued_on)
                         for line in event.lines]
                rows += self.spread_rows(event, event.discounts, event.issued_on, awarded)
            elif isinstance(event, CreditNoteIssued):
                invoice = by_invoice[event.invoice_id]
                rows += [(invoice, line.gtin, line.gross_amount, line.net_amount, -line.quantity, 0, event.issued_on)
                         for line in event.lines]
                rows += self.spread_rows(invoice, event.discounts, event.issued_on, awarded)
        for invoice, gtin, gross, net, units, lines, day, *spread_to in rows:
            province, city, grade = self.hospitals[invoice.hospital_id]
            distributor = invoice.bill_to_distributor_id
            billed_hospital = invoice.hospital_id if distributor is None else None  # a hospital sees its own bills
            if not scope.covers(hospitals=[billed_hospital], distributors=[distributor], regions=[province]):
                continue
            channel = spread_to[0] if spread_to else channel_of(
                distributor, "award" if (invoice.order_id, gtin) in awarded else None)
            key = {"region": province, "city": city or "", "channel": channel, "distributor": str(distributor or ""),
                   "hospital": str(invoice.hospital_id), "hospital_grade": grade, "product": gtin or "",
                   "product_group": "冠脉支架" if gtin == GTINS[0] else "", "month": month_of(day)}[group]
            figures = groups[key]
            figures[0] += gross
            figures[1] += net
            figures[2] += units
            figures[3] += lines
        return {key: tuple(figures) for key, figures in groups.items()}


def reported(read: ReadModels, group: str, scope: DataScope = EVERYTHING) -> dict[str, tuple]:
    rows, total, sums = queries.sales_by(read, group, ALL_TIME, scope, PageRequest(limit=500, offset=0))
    assert total == len(rows)
    assert sums["amount"] == sum((r["amount"] for r in rows), Decimal(0))
    return {r["key"]: (r["amount"], r["net_amount"], r["units"], r["lines"]) for r in rows}


operations = st.lists(st.one_of(
    st.tuples(st.just("invoice"), st.integers(1, 3), st.booleans(), st.booleans(), st.booleans(), st.integers(0, 400)),
    st.tuples(st.just("credit"), st.integers(0, 30), st.booleans(), st.just(False), st.just(False),
              st.integers(0, 400))), min_size=1, max_size=20)


def fed(world: World, pool, schema: str) -> ReadModels:  # noqa: ANN001 - a connection pool
    projection = Sales(pool, schema)
    projection.setup()
    with pool.connection() as conn:
        conn.execute(f"TRUNCATE {schema}.sales_facts, {schema}.sales_daily, {schema}.sales_invoices,"
                     f" {schema}.sales_award_lines, {schema}.sales_hospitals, {schema}.sales_distributors,"
                     f" {schema}.sales_products")
    deliveries = world.deliveries()
    for start in range(0, len(deliveries), 7):  # in batches, as a consumer gets them
        projection.handle_batch(deliveries[start:start + 7])
    return ReadModels(pool, schema)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, seed=st.integers(0, 10_000))
def test_every_figure_of_every_grouping_equals_the_recomputation_from_the_events(ops, seed, settings, pool):
    world = World(random.Random(seed))
    for kind, a, b, c, d, days in ops:
        day = date.fromordinal(date(2025, 1, 1).toordinal() + days)
        if kind == "invoice":
            world.invoice(a, b, c, d, day)
        else:
            world.credit(a, day, full=b)
    read = fed(world, pool, settings.schema_for("analytics"))
    for group in GROUPS:
        assert reported(read, group) == world.recomputed(group), group
    distributor = DataScope(everything=False, distributors=frozenset({world.distributors[0]}))
    assert reported(read, "product", distributor) == world.recomputed("product", distributor)
    hospital = DataScope(everything=False, hospitals=frozenset({next(iter(world.hospitals))}))
    assert reported(read, "month", hospital) == world.recomputed("month", hospital)
    region = DataScope(everything=False, regions=frozenset({"江苏省"}))
    assert reported(read, "hospital", region) == world.recomputed("hospital", region)


def _token(role: str, scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('analyst', [role], scopes=scopes)}"}


def test_through_the_api_a_distributor_sees_its_own_figures_drills_into_them_and_exports_them(settings, pool,
                                                                                               analytics_api):
    world = World(random.Random(7))
    for n in range(12):
        world.invoice(2, n % 2 == 0, n % 3 == 0, n == 4, date(2026, 1 + n % 6, 10))
    world.credit(0, date(2026, 7, 1))
    fed(world, pool, settings.schema_for("analytics"))
    period = {"from": "2025-12-01", "to": "2026-11-30"}

    everything = analytics_api.get("/sales", params={**period, "group": "distributor"}, headers=_token("finance"))
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["from"] == "2025-12-01" and body["currency"] == "CNY"
    expected = world.recomputed("distributor")
    assert {g["key"]: Decimal(g["amount"]) for g in body["items"]} == {k: v[0] for k, v in expected.items()}
    named = {g["key"]: g["name"] for g in body["items"]}
    assert named[str(world.distributors[0])] == "经销商0" and named[""] is None

    mine = world.distributors[0]
    own = analytics_api.get("/sales", params={**period, "group": "distributor"},
                            headers=_token("distributor_user", [f"distributor:{mine}"])).json()
    assert [g["key"] for g in own["items"]] == [str(mine)]
    assert Decimal(own["amount"]) == expected[str(mine)][0]
    # Another distributor's id as a filter finds nothing of theirs: the scope still applies.
    other = analytics_api.get("/sales", params={**period, "distributor_id": str(world.distributors[1])},
                              headers=_token("distributor_user", [f"distributor:{mine}"])).json()
    assert other["items"] == [] and Decimal(other["amount"]) == 0

    lines = analytics_api.get("/sales/lines", params={**period, "group": "distributor", "key": str(mine),
                                                      "limit": 500}, headers=_token("channel_manager")).json()
    assert lines["total"] == len(lines["items"]) > 0
    assert {line["distributor_id"] for line in lines["items"]} == {str(mine)}
    assert sum(Decimal(line["amount"]) for line in lines["items"]) == expected[str(mine)][0]
    assert {line["distributor_name"] for line in lines["items"]} == {"经销商0"}

    by_region = world.recomputed("region")
    for province, figures in by_region.items():  # drilling into a province: its hospitals' lines
        drilled = analytics_api.get("/sales/lines", params={**period, "group": "region", "key": province,
                                                            "limit": 500}, headers=_token("finance")).json()
        assert sum(Decimal(line["amount"]) for line in drilled["items"]) == figures[0]
        assert {line["region"] for line in drilled["items"]} == {province}

    backwards = analytics_api.get("/sales", params={"from": "2026-05-01", "to": "2026-04-30"},
                                  headers=_token("finance"))
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "to"
    assert analytics_api.get("/sales", params=period, headers=_token("order_desk")).status_code == 403
    nothing = analytics_api.get("/sales", params=period, headers=_token("hospital_user")).json()  # no scope
    assert nothing["items"] == [] and nothing["total"] == 0

    months = analytics_api.get("/sales", params={**period, "group": "month"}, headers=_token("finance")).json()
    assert [g["key"] for g in months["items"]] == sorted(g["key"] for g in months["items"])
    exported = analytics_api.get("/sales/export", params={**period, "group": "month", "format": "csv"},
                                 headers=_token("finance"))
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][0] == "分组" and [row[0] for row in table[1:]] == [g["key"] for g in months["items"]]
    assert [Decimal(row[2]) for row in table[1:]] == [Decimal(g["amount"]) for g in months["items"]]
    book = load_workbook(io.BytesIO(analytics_api.get(
        "/sales/export", params={**period, "group": "region", "format": "xlsx", "lang": "en"},
        headers=_token("finance")).content))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["group", "name", "amount", "net amount", "units", "lines"]
    assert {sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)} == set(world.recomputed("region"))



def test_returned_units_by_reason_product_lot_and_province_are_the_returns_events_within_the_caller_s_scope(
        settings, pool, analytics_api):
    rng = random.Random(11)
    world = World(rng)
    returns = [ShipmentReturned(fulfilment_id=uuid4(), order_id=uuid4(), return_id=uuid4(), shipment_id=uuid4(),
                                ship_to_hospital_id=rng.choice(list(world.hospitals)),
                                reason=rng.choice(["damaged", "expired", "wrong_item", "recall", "other"]),
                                disposition=rng.choice(["restock", "quarantine", "scrap"]), warehouse="WH-RET",
                                lines=[ReturnedLine(gtin=rng.choice(GTINS), lot=f"L{rng.randint(1, 3)}",
                                                    expiry=date(2028, 1, 1), quantity=rng.randint(1, 5))
                                       for _ in range(rng.randint(1, 3))])
               for _ in range(15)]
    fed(world, pool, settings.schema_for("analytics"))  # the hospitals and products
    projection = Returns(pool, settings.schema_for("analytics"))
    projection.setup()
    topic = f"analytics-returns-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n, envelope_of(r, position=n + 1)) for n, r in enumerate(returns)])

    def expected(key_of, keep=lambda r: True) -> dict[str, int]:  # noqa: ANN001 - functions of a return (and line)
        units: dict[str, int] = defaultdict(int)
        for r in returns:
            for line in r.lines:
                if keep(r):
                    units[key_of(r, line)] += line.quantity
        return dict(units)

    def reported(params: dict, headers: dict) -> dict[str, int]:
        answer = analytics_api.get("/returns/reasons", params={**params, "limit": 500}, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["units"] == sum(g["units"] for g in body["items"]) and body["total"] == len(body["items"])
        return {g["key"]: g["units"] for g in body["items"]}

    finance = _token("finance")
    assert reported({"group": "reason"}, finance) == expected(lambda r, line: r.reason)
    assert reported({"group": "lot"}, finance) == expected(lambda r, line: f"{line.gtin} {line.lot}")
    assert reported({"group": "region"}, finance) == expected(lambda r, line: world.hospitals[r.ship_to_hospital_id][0])
    hospital = returns[0].ship_to_hospital_id
    own = _token("hospital_user", [f"hospital:{hospital}"])
    assert reported({"group": "product"}, own) == expected(lambda r, line: line.gtin,
                                                            lambda r: r.ship_to_hospital_id == hospital)
    assert reported({"group": "reason"}, _token("distributor_user", [f"distributor:{world.distributors[0]}"])) == {}
    damaged = analytics_api.get("/returns/lines", params={"group": "reason", "key": returns[0].reason, "limit": 500},
                                headers=finance).json()
    assert {line["reason"] for line in damaged["items"]} == {returns[0].reason}
    assert sum(line["units"] for line in damaged["items"]) == expected(lambda r, line: r.reason)[returns[0].reason]
    assert all(line["hospital_name"] for line in damaged["items"])


stock_operations = st.lists(st.tuples(
    st.sampled_from(["receive", "inspect", "hold", "release", "ship", "move", "adjust", "return"]),
    st.integers(0, 5), st.integers(1, 9), st.booleans()), min_size=1, max_size=30)


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=stock_operations)
def test_inventory_health_equals_the_stock_folded_from_the_events(ops, settings, pool, analytics_api):
    today = business_day(datetime.now(UTC))  # the API's today is China's
    lots = [(GTINS[n % 2], f"LOT{n}", today + timedelta(days=(-20, 10, 45, 100, 400, 5)[n])) for n in range(6)]
    events: list[EventPayload] = []
    stock: dict[tuple, list] = {}  # (gtin, lot, warehouse) -> [expiry, on_hand, quality]
    held: set[tuple] = set()
    shipped: dict[str, int] = defaultdict(int)
    written_off_expired = 0
    for kind, which, quantity, flag in ops:
        gtin, lot, expiry = lots[which]
        warehouse = "WH-A" if flag else "WH-B"
        here = stock.get((gtin, lot, warehouse))
        item = uuid4()
        if kind == "receive":
            events.append(LotReceived(item_id=item, gtin=gtin, lot=lot, expiry=expiry, quantity=quantity,
                                      warehouse=warehouse, status="quarantine" if flag else "available"))
            if here is None:
                stock[(gtin, lot, warehouse)] = [expiry, quantity, "quarantine" if flag else "available"]
            else:
                here[1] += quantity
        elif kind == "inspect" and here is not None:
            events.append(LotInspected(item_id=item, gtin=gtin, lot=lot, warehouse=warehouse,
                                       result="released" if quantity % 3 else "rejected"))
            here[2] = "available" if quantity % 3 else "rejected"
        elif kind == "hold":
            events.append(LotHeld(item_id=item, gtin=gtin, lot=lot, reason="检查"))
            held.add((gtin, lot))
        elif kind == "release":
            events.append(LotHoldReleased(item_id=item, gtin=gtin, lot=lot, reason="放行"))
            held.discard((gtin, lot))
        elif kind == "ship" and here is not None and here[1] >= quantity:
            events.append(AllocatedStockShipped(item_id=item, gtin=gtin, order_id=uuid4(), shipment_id=uuid4(),
                                                allocations=[LotAllocation(lot=lot, expiry=expiry,
                                                                           warehouse=warehouse, quantity=quantity)]))
            here[1] -= quantity
            shipped[gtin] += quantity
        elif kind == "move" and here is not None and here[1] >= quantity:
            other = "WH-B" if flag else "WH-A"
            events.append(StockMoved(item_id=item, gtin=gtin, lot=lot, expiry=expiry, quantity=quantity,
                                     from_warehouse=warehouse, to_warehouse=other))
            here[1] -= quantity
            there = stock.setdefault((gtin, lot, other), [expiry, 0, "available"])
            there[1] += quantity
        elif kind == "adjust" and here is not None:
            after = max(0, here[1] - quantity)
            events.append(StockAdjusted(item_id=item, gtin=gtin, lot=lot, warehouse=warehouse,
                                        quantity_change=after - here[1], on_hand=after, reason="盘点"))
            if after < here[1] and expiry < today:
                written_off_expired += here[1] - after
            here[1] = after
        elif kind == "return":
            events.append(StockReturned(item_id=item, gtin=gtin, lot=lot, expiry=expiry, warehouse=warehouse,
                                        quantity=quantity, return_id=uuid4(), order_id=uuid4(), shipment_id=uuid4(),
                                        reason="damaged", disposition="restock" if flag else "scrap",
                                        status="quarantine" if flag else "scrapped"))
            if flag:
                if here is None:
                    stock[(gtin, lot, warehouse)] = [expiry, quantity, "quarantine"]
                else:
                    here[1] += quantity
    schema = settings.schema_for("analytics")
    projection = Stock(pool, schema)
    projection.setup()
    Sales(pool, schema).setup()  # its products and prices are joined
    with pool.connection() as conn:
        conn.execute(f"TRUNCATE {schema}.stock_lots, {schema}.stock_holds, {schema}.stock_shipped,"
                     f" {schema}.stock_write_offs")
    topic = f"analytics-stock-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n, envelope_of(e, position=n + 1)) for n, e in enumerate(events)])

    health = analytics_api.get("/inventory/health", params={"near_expiry": [7, 60]}, headers=_token("warehouse"))
    assert health.status_code == 200, health.text
    body = health.json()
    by_status: dict[str, int] = defaultdict(int)
    for (gtin, lot, _), (expiry, on_hand, quality) in stock.items():
        if on_hand:
            by_status[status_of(expiry, quality, (gtin, lot) in held, today)] += on_hand
    assert {s: f["units"] for s, f in body["by_status"].items() if f["units"]} == dict(by_status)
    for near in body["near_expiry"]:
        assert near["units"] == sum(on_hand for (expiry, on_hand, _) in stock.values()
                                    if expiry >= today and (expiry - today).days <= near["days"])
    assert body["written_off_expired"]["units"] == written_off_expired
    items = analytics_api.get("/inventory/health/items", params={"limit": 500, "near_expiry": 60},
                              headers=_token("channel_manager")).json()["items"]
    on_hand: dict[str, int] = defaultdict(int)
    for (gtin, _, _), (_, units, _) in stock.items():
        on_hand[gtin] += units
    assert {i["gtin"]: (i["on_hand"], i["shipped_90"]) for i in items} == {
        g: (units, shipped[g]) for g, units in on_hand.items() if units > 0}
    assert all(i["slow_mover"] == (i["shipped_90"] == 0) for i in items)
    expired = analytics_api.get("/inventory/health/lots", params={"status": "expired", "limit": 500},
                                headers=_token("quality")).json()
    assert sum(lot["on_hand"] for lot in expired["items"]) == by_status.get("expired", 0)
    assert analytics_api.get("/inventory/health", headers=_token("distributor_user", [
        f"distributor:{uuid4()}"])).status_code == 403  # company data: not for portals


def test_recall_and_adverse_event_status_count_what_the_events_say(settings, pool, analytics_api):
    rng = random.Random(5)
    now = datetime.now(UTC)
    events: list[EventPayload] = []
    expected_cases = {}
    for n in range(8):
        recall, level = uuid4(), rng.choice([1, 2, 3])
        decided = now - timedelta(days=rng.randint(0, 10))
        events.append(RecallOpened(recall_id=recall, title=f"召回{n}", scheme="NMPA", level=level, reason="缺陷",
                                   decided_at=decided, notify_by=decided + timedelta(days=(1, 3, 7)[level - 1]),
                                   lots=[RecalledLot(gtin=GTINS[0], lot=f"L{n}")], number=f"RC-2026-{n:04d}"))
        consignees = [uuid4() for _ in range(rng.randint(0, 4))]
        acknowledged = consignees[:rng.randint(0, len(consignees))]
        for c in consignees:
            events.append(RecallConsigneeNotified(recall_id=recall, consignee_id=c, notified_at=decided,
                                                  method="phone"))
            events.append(RecallConsigneeNotified(recall_id=recall, consignee_id=c, notified_at=now,
                                                  method="email"))  # told twice: one consignee still
        for c in acknowledged:
            events.append(RecallAcknowledged(recall_id=recall, consignee_id=c, acknowledged_at=now,
                                             acknowledged_by="设备科"))
        returned = rng.randint(0, 5) if acknowledged else 0
        if returned:
            events.append(RecallUnitsReturned(recall_id=recall, consignee_id=acknowledged[0], gtin=GTINS[0],
                                              lot=f"L{n}", quantity=returned, return_id=uuid4(),
                                              returned_at=now))
        closed = n % 3 == 0
        if closed:
            events.append(RecallClosed(recall_id=recall, closed_at=now, summary="完成", effectiveness={
                "consignees_to_notify": len(consignees), "consignees_notified": len(consignees),
                "consignees_acknowledged": len(acknowledged), "units_to_recover": returned,
                "units_recovered": returned}))
        expected_cases[str(recall)] = (level, len(consignees), len(acknowledged), returned,
                                       "closed" if closed else "open",
                                       not closed and decided + timedelta(days=(1, 3, 7)[level - 1]) < now)
    adverse = []
    for n in range(6):
        aware = now - timedelta(days=n * 5)
        outcome = ("death", "serious_injury", "other")[n % 3]
        due = {"death": aware + timedelta(days=7), "serious_injury": aware + timedelta(days=20)}.get(outcome)
        event = AdverseEventReported(adverse_event_id=uuid4(), gtin=GTINS[1], lot="L1", outcome=outcome,
                                     description="不良事件", became_aware_at=aware, report_due_at=due)
        events.append(event)
        submitted = n % 2 == 0
        if submitted:
            events.append(AdverseEventSubmitted(adverse_event_id=event.adverse_event_id, submitted_at=now,
                                                regulator_reference=f"NMPA-{n}"))
        adverse.append((outcome, submitted, due is not None and due < now and not submitted))
    schema = settings.schema_for("analytics")
    Sales(pool, schema).setup()
    projection = RecallStatus(pool, schema)
    projection.setup()
    topic = f"analytics-recalls-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n, envelope_of(e, position=n + 1)) for n, e in enumerate(events)])

    officer = _token("recall_officer")
    summary = analytics_api.get("/recall-status", headers=officer).json()
    for level in summary["recalls"]:
        mine = [c for c in expected_cases.values() if c[0] == level["level"]]
        assert (level["open"], level["closed"], level["past_deadline"], level["units_returned"]) == (
            sum(c[4] == "open" for c in mine), sum(c[4] == "closed" for c in mine), sum(c[5] for c in mine),
            sum(c[3] for c in mine))
    assert sum(level["open"] + level["closed"] for level in summary["recalls"]) == len(expected_cases)
    for figures in summary["adverse_events"]:
        mine = [a for a in adverse if a[0] == figures["outcome"]]
        assert (figures["open"], figures["submitted"], figures["overdue"]) == (
            sum(not a[1] for a in mine), sum(a[1] for a in mine), sum(a[2] for a in mine))
    cases = analytics_api.get("/recall-status/cases", params={"limit": 500}, headers=officer).json()["items"]
    assert {c["recall_id"]: (c["level"], c["notified"], c["acknowledged"], c["units_returned"], c["status"],
                             c["past_deadline"]) for c in cases} == expected_cases
    assert [c["status"] == "closed" for c in cases] == sorted(c["status"] == "closed" for c in cases)
    waiting = analytics_api.get("/adverse-event-status", params={"open": "true"},
                                headers=_token("quality")).json()["items"]
    assert len(waiting) == sum(not a[1] for a in adverse) and all(w["submitted_at"] is None for w in waiting)
    assert analytics_api.get("/recall-status", headers=_token("finance")).status_code == 403


scopes = st.fixed_dictionaries({}, optional={
    "grades": st.lists(st.sampled_from(GRADES), max_size=2), "channels": st.lists(
        st.sampled_from(["direct", "distributor"]), max_size=1), "provinces": st.lists(st.sampled_from(PROVINCES),
                                                                                     max_size=2),
    "cities": st.lists(st.just("某市"), max_size=1), "gtins": st.lists(st.sampled_from(GTINS), max_size=2),
    "groups": st.lists(st.just("冠脉支架"), max_size=1), "tiers": st.lists(st.just("gold"), max_size=1),
    "min_quantity": st.integers(1, 5), "max_quantity": st.integers(3, 9)})


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scope=scopes, seed=st.integers(0, 1000), customer=st.booleans())
def test_a_promotion_s_scope_selects_the_sales_the_pricing_engine_would_have_given_it(scope, seed, customer,
                                                                                      settings, pool):
    from dataclasses import replace

    from shared.domain.pricing import Line, rule_of

    world = World(random.Random(seed))
    for n in range(12):
        world.invoice(3, n % 2 == 0, False, n == 3, date(2026, 3, 1 + n))
    world.credit(1, date(2026, 3, 20))
    if customer:
        scope = {**scope, "customers": [str(next(iter(world.hospitals)))]}
    read = fed(world, pool, settings.schema_for("analytics"))
    rows, total = queries.sales_lines(read, None, None, ALL_TIME, EVERYTHING, PageRequest(limit=500, offset=0),
                                      extra=queries.scope_conditions(scope))
    engine_scope = rule_of({"rule_id": "r", "name": "r", "priority": 1, "scope": scope, "valid_from": None,
                            "valid_to": None, "effect": {"kind": "discount_percent", "value": "5"}}).scope
    expected = set()
    for event in world.billing:
        invoice = event if isinstance(event, InvoiceRaised) else next(i for i in world.invoices
                                                                      if i.invoice_id == event.invoice_id)
        province, city, grade = world.hospitals[invoice.hospital_id]
        lines = [(n, line.gtin, line.quantity if isinstance(event, InvoiceRaised) else None)
                 for n, line in enumerate(event.lines, start=1)]
        if isinstance(event, InvoiceRaised):
            lines += [(len(event.lines) + n, "", None) for n in range(1, len(event.discounts) + 1)]
        for line_no, gtin, quantity in lines:
            line = Line(gtin=gtin, quantity=quantity if quantity is not None else 1,
                        on=date(2026, 3, 1), customer_id=str(invoice.hospital_id), hospital_grade=grade,
                        distributor_tier=None, channel="distributor" if invoice.bill_to_distributor_id else "direct",
                        province=province, city=city, product_groups=frozenset({"冠脉支架"} if gtin == GTINS[0]
                                                                               else set()))
            # Credit notes and discounts are not lines sold: the scope's quantity bounds do not apply to them.
            judged = engine_scope if quantity is not None else replace(engine_scope, min_quantity=1, max_quantity=None)
            within = judged.mismatch(line) is None
            if within:
                document = event.invoice_id if isinstance(event, InvoiceRaised) else event.credit_note_id
                expected.add((str(document), line_no))
    assert total == len(rows)
    assert {(str(r["document_id"]), r["line_no"]) for r in rows} == expected



def test_a_promotion_s_effect_is_its_scope_s_sales_while_it_ran_against_as_many_days_before(settings, pool,
                                                                                            analytics_api):
    today = business_day(datetime.now(UTC))  # the API's today is China's

    def in_scope(start: date, end: date) -> Decimal:
        return sum((line.gross_amount for i in world.invoices if i.bill_to_distributor_id and start <= i.issued_on
                    <= end for line in i.lines if line.gtin == GTINS[0]), Decimal(0))

    for seed in range(100):  # a world with sales in scope both before it and while it ran
        world = World(random.Random(seed))
        for n in range(20):  # ten days before it, ten while it runs
            world.invoice(2, n % 2 == 0, False, False, today - timedelta(days=19 - n))
        if in_scope(today - timedelta(days=19), today - timedelta(days=10)) and in_scope(today - timedelta(days=9),
                                                                                         today):
            break
    fed(world, pool, settings.schema_for("analytics"))
    promotion_id, budget_id = uuid4(), uuid4()
    scope = {"gtins": [GTINS[0]], "channels": ["distributor"]}
    orders = [uuid4(), uuid4(), uuid4()]
    events = [PromotionCreated(promotion_id=promotion_id, number="PROMO-1", name="冬季促销", rule_id="promo-winter",
                               budget=Decimal("1000.00"), valid_from=today - timedelta(days=9),
                               valid_to=today + timedelta(days=20), scope=scope,
                               effect={"kind": "discount_percent", "value": "5"}, owner="华东大区"),
              PromotionBudgetOpened(budget_id=budget_id, rule_id="promo-winter", budget=Decimal("1000.00")),
              PromotionBudgetSpent(budget_id=budget_id, order_id=orders[0], amount=Decimal("30.00")),
              PromotionBudgetSpent(budget_id=budget_id, order_id=orders[1], amount=Decimal("20.00")),
              PromotionBudgetSpent(budget_id=budget_id, order_id=orders[0], amount=Decimal("25.00")),  # amended
              PromotionBudgetSpent(budget_id=budget_id, order_id=orders[2], amount=Decimal("0.00"))]  # cancelled
    projection = Promotions(pool, settings.schema_for("analytics"))
    projection.setup()
    topic = f"analytics-promotions-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n, envelope_of(e, position=n + 1)) for n, e in enumerate(events)])

    answer = analytics_api.get(f"/promotions/{promotion_id}/effect", headers=_token("pricing_manager"))
    assert answer.status_code == 200, answer.text
    effect = answer.json()
    ran, before = in_scope(today - timedelta(days=9), today), in_scope(today - timedelta(days=19),
                                                                       today - timedelta(days=10))
    assert effect["ran"] == [str(today - timedelta(days=9)), str(today)]
    assert effect["baseline"] == [str(today - timedelta(days=19)), str(today - timedelta(days=10))]
    assert (Decimal(effect["amount"]), Decimal(effect["baseline_amount"])) == (ran, before)
    assert Decimal(effect["uplift"]) == ((ran - before) / before).quantize(Decimal("0.0001"))
    assert (Decimal(effect["discount_given"]), effect["orders"], Decimal(effect["budget_used"])) == (
        Decimal("45.00"), 2, Decimal("0.0450"))
    lines = analytics_api.get(f"/promotions/{promotion_id}/lines", params={"window": "baseline", "limit": 500},
                              headers=_token("channel_manager")).json()
    assert sum(Decimal(line["amount"]) for line in lines["items"]) == before
    assert {line["gtin"] for line in lines["items"]} == {GTINS[0]}
    listed = analytics_api.get("/promotions/effect", headers=_token("auditor")).json()
    assert [p["promotion_id"] for p in listed["items"]] == [str(promotion_id)]
    assert analytics_api.get(f"/promotions/{uuid4()}/effect", headers=_token("finance")).status_code == 404
    assert analytics_api.get("/promotions/effect", headers=_token(
        "distributor_user", [f"distributor:{world.distributors[0]}"])).status_code == 403
