"""Importing the orders still open in the old system (services/order/imports.py) on eventsourcing's in-memory
persistence, with the facts the rules ask kept in the test: an order is its rows, wherever they are in the file,
placed once through the same placement as `POST /orders` (licences, authorizations, prices), kept under the old
order number, refused whole naming the row and column, and imported again as unchanged."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from services.order.application import OrderApplication, OrderUnitOfWork
from services.order.domain import SalesOrder
from services.order.domain.compliance import HospitalFacts
from services.order.imports import OPEN_ORDERS, SCOPE_CHECKS, order_id_for
from shared.platform.access import DataScope
from shared.platform.imports import run_import
from shared.platform.settings import Settings
from tests.price_facts import InMemoryCreditFacts
from tests.unit.test_order_commands import (
    AUTHORIZATION, CATHETER, DISTRIBUTOR, GAUZE, HOSPITAL, STENT, TODAY, KnownFacts, priced_facts,
)

DUE = (TODAY + timedelta(days=10)).isoformat()
ORDERED = (TODAY - timedelta(days=5)).isoformat()


@dataclass
class NamedFacts(KnownFacts):
    """The facts, with the hospital's name as the order service's copy of the channel knows it."""

    def hospitals_named(self, name_key: str) -> list:
        return [h for h in self.hospitals if name_key == "浙江省人民医院"]


class Orders:
    """The order service in memory, and the import run against it as the route runs it."""

    def __init__(self) -> None:
        self.facts = NamedFacts()
        self.app = OrderApplication.in_memory(Settings(ERP_ENV="test"))
        self.prices, self.credit = priced_facts(), InMemoryCreditFacts()

    def uow(self, deferred: bool) -> OrderUnitOfWork:
        return OrderUnitOfWork(self.app, deferred=deferred, sale_facts=self.facts, price_facts=self.prices,
                               credit_facts=self.credit)

    def run(self, csv: str, dry_run: bool = False, scope: DataScope | None = None):  # noqa: ANN201
        check = None
        if scope is not None:
            check = lambda row, uow: SCOPE_CHECKS["open-orders"](row, scope, uow)  # noqa: E731
        return run_import(OPEN_ORDERS, "open.csv", csv.encode(), "alice", self.uow, dry_run=dry_run, check=check)

    def order(self, reference: str) -> SalesOrder | None:
        return self.app.repository.get(order_id_for(reference)) if self.stored() else None

    def stored(self) -> list[str]:
        return [n.topic.rsplit(".", 1)[-1] for n in self.app.recorder.select_notifications(start=1, limit=100)]


@pytest.fixture
def orders():
    world = Orders()
    yield world
    world.app.close()


TWO_ORDERS = (
    "原订单号,医院名称,要求到货日期,下单日期,客户PO号,产品标识,未交数量\n"
    f"SO-1,浙江省人民医院,{DUE},{ORDERED},PO-77,{STENT},5\n"
    f"SO-2,{HOSPITAL},{DUE},,,{GAUZE},1\n"
    f"SO-1,,,,,{CATHETER},3\n")  # SO-1's second line, after another order's; its header said once


def test_an_order_of_non_adjacent_rows_is_placed_once_with_both_lines_and_its_old_number_and_again_unchanged(orders):
    report = orders.run(TWO_ORDERS)
    assert (report.rows, report.created, report.errors) == (3, 2, [])
    order = orders.order("SO-1")
    assert [(line["gtin"], line["quantity"]) for line in order.lines] == [(STENT, 5), (CATHETER, 3)]
    assert (order.hospital_id, order.customer_reference, order.status) == (HOSPITAL, "PO-77", "placed")
    assert (order.legacy_reference, order.legacy_order_date.isoformat()) == ("SO-1", ORDERED)
    assert [line["price_source"] for line in order.lines] == ["list", "list"]  # priced by the system
    assert orders.order("SO-2").hospital_id == HOSPITAL  # the hospital by its id
    placed = list(orders.app.events.get(order.id))[0]
    assert placed.meta["reason"] == f"import open-orders rows 2, 4 of open.csv (sha256 {report.sha256})"
    payload = orders.app.to_payload(placed)
    assert (payload.legacy_reference, payload.legacy_order_date.isoformat()) == ("SO-1", ORDERED)
    stored = orders.stored()
    assert stored == ["Placed", "Placed"]

    again = orders.run(TWO_ORDERS)
    assert (again.created, again.changed, again.unchanged, again.errors) == (0, 0, 2, [])
    assert orders.stored() == stored  # nothing more recorded

    other_lines = TWO_ORDERS.replace(f"{CATHETER},3", f"{CATHETER},4")
    changed = orders.run(other_lines)
    assert [(e.row, e.column, e.rule) for e in changed.errors] == [
        (2, "order_reference", "open-order-on-record"), (4, None, "group-refused")]
    assert changed.unchanged == 1 and orders.stored() == stored


def test_a_dry_run_checks_every_order_and_stores_nothing(orders):
    report = orders.run(TWO_ORDERS, dry_run=True)
    assert (report.created, report.errors) == (2, [])
    assert orders.stored() == []


def test_an_order_is_refused_whole_naming_the_row_and_column_that_broke_placing_s_rules(orders):
    orders.facts.licence("distribution_licence")
    orders.facts.distributors[DISTRIBUTOR].authorizations[:] = [{**AUTHORIZATION, "gtins": [STENT]}]
    csv = ("order_reference,hospital,distributor_id,requested_delivery_date,gtin,quantity\n"
           f"SO-1,无名医院,,{DUE},{STENT},1\n"
           f"SO-2,浙江省人民医院,{DISTRIBUTOR},{DUE},{STENT},1\n"
           f"SO-3,浙江省人民医院,,{DUE},09506000134390,1\n"  # a GTIN no item has
           f"SO-2,浙江省人民医院,{DISTRIBUTOR},{DUE},{CATHETER},2\n"  # not in the distributor's authorization
           f"SO-4,浙江省人民医院,,{DUE},{STENT},0\n"
           f"SO-5,浙江省人民医院,,{DUE},{STENT},1\n"
           f"SO-5,另一家医院,,{DUE},{GAUZE},1\n")
    report = orders.run(csv)
    assert report.created == 0
    assert [(e.row, e.column, e.rule) for e in report.errors] == [
        (2, "hospital", "registered-hospital"), (3, None, "group-refused"), (4, "gtin", "registered-item"),
        (5, "distributor_id", "distributor-authorized"), (6, "quantity", "greater-than"), (7, None, "group-refused"),
        (8, "hospital", "one-value-per-order")]
    assert next(e for e in report.errors if e.row == 3).message.startswith("refused with row 5")
    assert orders.stored() == []

    orders.facts.standing[HOSPITAL] = HospitalFacts(HOSPITAL, "浙江省人民医院", [])  # no practice licence
    unlicensed = orders.run(f"order_reference,hospital,requested_delivery_date,gtin,quantity\n"
                            f"SO-6,浙江省人民医院,{DUE},{STENT},1\n")
    assert [(e.row, e.column, e.rule) for e in unlicensed.errors] == [(2, "hospital", "hospital-licensed")]


def test_an_old_price_other_than_the_system_s_holds_the_order_for_approval_an_equal_one_does_not(orders):
    csv = ("order_reference,hospital,requested_delivery_date,gtin,quantity,unit_price\n"
           f"SO-1,浙江省人民医院,{DUE},{STENT},2,1200.00\n"
           f"SO-2,浙江省人民医院,{DUE},{STENT},2,1280.00\n")  # the list's 1,446.40 含税 is 1,280.00 net
    report = orders.run(csv)
    assert report.created == 2
    held, same = orders.order("SO-1"), orders.order("SO-2")
    assert (held.status, held.holds, held.lines[0]["price_source"]) == ("on_hold", ["price_approval"], "manual")
    assert held.lines[0]["unit_price"] == Decimal("1200.00")
    assert (same.status, same.holds, same.lines[0]["price_source"]) == ("placed", [], "list")


def test_a_caller_with_a_data_scope_imports_orders_of_its_own_customers_only(orders):
    csv = ("order_reference,hospital,requested_delivery_date,gtin,quantity\n"
           f"SO-1,浙江省人民医院,{DUE},{STENT},2\n")
    outside = orders.run(csv, scope=DataScope(everything=False, regions=frozenset({"江苏省"})))
    assert [(e.row, e.column, e.rule) for e in outside.errors] == [(2, "hospital", "registered-hospital")]
    assert orders.stored() == []
    inside = orders.run(csv, scope=DataScope(everything=False, regions=frozenset({"浙江省"})))
    assert inside.created == 1


def test_an_imported_order_s_golden_example_keeps_its_old_number_and_older_examples_read_without_one():
    import json

    from shared.events import CloudEvent, payload_of
    from tests.contract.golden import GOLDEN_DIR, golden

    imported = CloudEvent.model_validate(json.loads((GOLDEN_DIR / "erp.order.OrderPlaced.v1.imported.json").read_text()))
    payload = payload_of(imported)
    assert (payload.legacy_reference, str(payload.legacy_order_date)) == ("SO-2026-00042", "2026-11-20")
    older = payload_of(golden("erp.order.OrderPlaced"))
    assert (older.legacy_reference, older.legacy_order_date) == (None, None)


def test_the_old_number_is_a_reference_and_a_hospital_is_refused_at_the_row_that_names_it(orders):
    long_number = "SO-" + "9" * 100
    csv = ("order_reference,hospital,requested_delivery_date,gtin,quantity\n"
           f"{long_number},浙江省人民医院,{DUE},{STENT},1\n"
           f"SO-7,,{DUE},{STENT},1\n"
           f"SO-7,无名医院,,{GAUZE},1\n")  # the order's hospital, said on its second row only
    report = orders.run(csv)
    assert [(e.row, e.column, e.rule) for e in report.errors] == [
        (2, "order_reference", "string-too-long"), (3, None, "group-refused"), (4, "hospital", "registered-hospital")]
    assert orders.stored() == []
