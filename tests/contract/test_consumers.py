"""Consumers: each handler applies the golden examples of the events it subscribes to (on real PostgreSQL).

The golden examples tell one consistent story (hospital H orders 10 stents, lot L2701A ships
to H, invoice of 14,464.00 CNY), so each assertion checks the handler understood the contract.
H's registration has a golden example in each schema version; the channel consumers are fed each.
"""

from decimal import Decimal
from uuid import UUID

import pytest

from services.billing.application import BillingApplication, BillingUnitOfWork
from services.billing.domain import Invoice, invoice_id_for
from services.billing.projections.invoice_list import InvoiceList
from services.billing.projections.order_terms import OrderTerms
from services.billing.reactions import ShipmentInvoicer
from services.channel.projections.directory import ChannelDirectory
from services.inventory.application import InventoryApplication
from services.inventory.projections.stock import StockOnHand
from services.inventory.reactions import FulfilmentPlanner
from services.order.application import OrderApplication
from services.order.domain import SalesOrder
from services.order.projections.hospitals import KnownHospitals
from services.order.projections.order_list import OrderList
from services.order.reactions import OrderFulfilmentTracker
from services.traceability.projections.lineage import ShipmentLineage
from shared.platform.consumer import Delivery, Handler
from shared.platform.context import acting_as
from tests.contract.golden import golden, golden_from

H = UUID("5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11")
O = UUID("0f4e1c2b-3a59-4d68-b7c6-a5f4e3d2c1b0")
S = UUID("c3b2a190-8f7e-4d6c-a5b4-93827160f5e4")
SUPPLIER = UUID("8e7d6c5b-4a39-4b28-9c17-e6f5d4c3b2a1")  # 苏州医疗器械制造有限公司, L2701A's manufacturer
GTIN = "09506000134352"



def feed(handler: Handler, settings, *producers: str, hospital_version: int = 2) -> None:
    """The golden story, with H's registration in one schema version (the examples of both versions are
    the same event, so the story has it once)."""
    handler.setup()
    story = [e for e in golden_from(*producers)
             if e.type != "erp.channel.HospitalRegistered" or e.schemaversion == hospital_version]
    deliveries = [Delivery(settings.topic_for(e.source.removeprefix("/erp/")), 0, offset, e)
                  for offset, e in enumerate(story)]
    handler.handle_batch(deliveries)


def one(pool, query: str, *args):
    with pool.connection() as conn:
        return conn.execute(query, args).fetchone()


@pytest.mark.parametrize(("hospital_version", "city"), [(1, None), (2, "上海市")])
def test_channel_directory(settings, pool, hospital_version, city):
    schema = settings.schema_for("channel")
    feed(ChannelDirectory(pool, schema), settings, "channel", hospital_version=hospital_version)
    row = one(pool, f"SELECT name, province, city FROM {schema}.hospitals WHERE hospital_id = %s", H)
    assert (row["name"], row["province"], row["city"]) == ("上海市第一人民医院", "上海市", city)
    assert one(pool, f"SELECT tier FROM {schema}.distributors")["tier"] == "gold"
    assert one(pool, f"SELECT hospitals FROM {schema}.province_counts WHERE province = '上海市'")["hospitals"] == 1


@pytest.mark.parametrize("hospital_version", [1, 2])
def test_order_known_hospitals_and_order_list(settings, pool, hospital_version):
    schema = settings.schema_for("order")
    feed(KnownHospitals(pool, schema), settings, "channel", hospital_version=hospital_version)
    feed(OrderList(pool, schema), settings, "order")
    assert one(pool, f"SELECT region FROM {schema}.known_hospitals WHERE hospital_id = %s", H)["region"] == "上海市"
    row = one(pool, f"SELECT status, total_amount FROM {schema}.order_list WHERE order_id = %s", O)
    assert (row["status"], row["total_amount"]) == ("shipped", Decimal("12800.00"))


def test_order_fulfilment_tracker(settings, pool):
    app = OrderApplication(settings)
    placed = golden("erp.order.OrderPlaced").data
    with acting_as("user:alice"):  # the order as placed (the rules of placing it are not this test's subject)
        app.save(SalesOrder(order_id=O, hospital_id=H, customer_reference=placed["customer_reference"], currency="CNY",
                            lines=placed["lines"]))
    feed(OrderFulfilmentTracker(app, pool), settings, "inventory")
    order = app.get_aggregate(O, SalesOrder)
    assert order.status == "shipped"
    assert order.shipment_ids == [S]
    assert order.allocations[0]["lot"] == "L2701A"


def test_inventory_stock_on_hand(settings, pool):
    schema = settings.schema_for("inventory")
    feed(StockOnHand(pool, schema), settings, "inventory")
    row = one(pool, f"SELECT on_hand, allocated, quality, held FROM {schema}.stock_on_hand"
                    " WHERE gtin = %s AND lot = 'L2701A' AND warehouse = 'WH-SH'", GTIN)
    # Inspected (released), then held after a complaint and released again; 40 left after the shipment, 10 moved
    # to WH-BJ, and the cycle count found 29 (one written off).
    assert (row["on_hand"], row["allocated"], row["quality"], row["held"]) == (29, 0, "available", False)
    supplier = one(pool, f"SELECT name FROM {schema}.suppliers WHERE supplier_id = %s", SUPPLIER)
    assert supplier["name"] == "苏州医疗器械制造有限公司"
    document = one(pool, f"SELECT document_type, valid_to FROM {schema}.supplier_documents WHERE supplier_id = %s", SUPPLIER)
    assert (document["document_type"], str(document["valid_to"])) == ("production_licence", "2029-12-31")


def test_inventory_stock_on_hand_shows_a_held_lot_on_hold(settings, pool):
    schema = settings.schema_for("inventory")
    projection = StockOnHand(pool, schema)
    projection.setup()
    story = [e for e in golden_from("inventory") if e.type != "erp.inventory.LotHoldReleased"]
    projection.handle_batch([Delivery(settings.topic_for("inventory"), 0, offset, e) for offset, e in enumerate(story)])
    row = one(pool, f"SELECT held FROM {schema}.stock_on_hand WHERE gtin = %s AND lot = 'L2701A'", GTIN)
    assert row["held"] is True


def test_inventory_fulfilment_planner_rejects_an_order_it_has_no_stock_for(settings, pool):
    app = InventoryApplication(settings)
    feed(FulfilmentPlanner(app, pool), settings, "order")
    fulfilment = app.get_fulfilment(O)
    assert fulfilment.status == "rejected"
    assert fulfilment.ship_to_hospital_id == H


def test_billing_invoices_the_golden_shipment_as_the_golden_invoice(settings, pool):
    app = BillingApplication(settings)
    schema = settings.schema_for("billing")
    feed(OrderTerms(pool, schema), settings, "order")
    # The invoicer prices from billing's copy of the order's terms (the order-terms read model fed above).
    feed(ShipmentInvoicer(app, pool, lambda deferred: BillingUnitOfWork(app, pool, deferred=deferred)), settings,
         "inventory")
    invoice = app.get_aggregate(invoice_id_for(S), Invoice)
    expected = golden("erp.billing.InvoiceRaised").data
    assert str(invoice.gross_total) == expected["gross_total"]
    assert str(invoice.vat_total) == expected["vat_total"]
    feed(InvoiceList(pool, schema), settings, "billing")
    assert one(pool, f"SELECT gross_total FROM {schema}.invoice_list")["gross_total"] == Decimal("14464.00")


@pytest.mark.parametrize("hospital_version", [1, 2])
def test_traceability_lineage(settings, pool, hospital_version):
    schema = settings.schema_for("traceability")
    feed(ShipmentLineage(pool, schema), settings, "channel", "inventory", hospital_version=hospital_version)
    row = one(pool, f"SELECT s.quantity, c.name, c.region FROM {schema}.shipped_lots s JOIN {schema}.consignees c"
                    " ON c.consignee_id = s.consignee_id WHERE s.gtin = %s AND s.lot = 'L2701A'", GTIN)
    assert (row["quantity"], row["name"], row["region"]) == (10, "上海市第一人民医院", "上海市")


def test_inventory_stock_on_hand_follows_moves_counts_and_near_expiry_reports(settings, pool):
    schema = settings.schema_for("inventory")
    feed(StockOnHand(pool, schema), settings, "inventory")
    rows = {r["warehouse"]: r for r in l2701a_rows(pool, schema)}
    assert (rows["WH-BJ"]["on_hand"], rows["WH-BJ"]["quality"], rows["WH-BJ"]["location"]) == (10, "available", "BJ-A-01-01")
    assert (rows["WH-SH"]["on_hand"], rows["WH-SH"]["near_expiry_threshold"]) == (29, 90)
    assert rows["WH-BJ"]["near_expiry_threshold"] is None  # reported per warehouse; WH-BJ's stock was moved before


def l2701a_rows(pool, schema) -> list:
    with pool.connection() as conn:
        return conn.execute(f"SELECT * FROM {schema}.stock_on_hand WHERE gtin = %s AND lot = 'L2701A'", (GTIN,)).fetchall()
