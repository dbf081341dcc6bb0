"""The order and billing APIs on their own read models, on real PostgreSQL: a sale is checked against the order
service's copies of channel and inventory, and an invoice priced at billing's copy of the order's terms, through the
ports' SQL implementations (queries.py, wired by bootstrap.py); lists show the parties' names beside their ids.

The read models are fed the other services' events as the golden examples have them (validity moved to stay in
force), so this stands on the order and billing services alone."""

from collections.abc import Iterable
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from services.billing.bootstrap import BILLING
from services.order.bootstrap import ORDER
from shared.events import CloudEvent
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery, Handler
from shared.platform.eventstore import ServiceApplication
from tests.apitools import days
from tests.apps import web_app
from tests.contract.golden import golden
from tests.items import SETUP_ROLES

HOSPITAL = UUID("5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11")     # 上海市第一人民医院
DISTRIBUTOR = UUID("8e2f1c3a-4b5d-4e6f-8a7b-9c0d1e2f3a4b")  # 华东医疗器械有限公司
STENT = "09506000134352"                                    # class III


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('alice', SETUP_ROLES)}"}


def event(event_type: str, position: int, **data: object) -> CloudEvent:
    envelope = golden(event_type, 2 if event_type == "erp.channel.HospitalRegistered" else 1)
    return envelope.model_copy(update={"position": position, "data": {**envelope.data, **data}})


def feed(settings, handler: Handler, envelopes: Iterable[CloudEvent]) -> None:  # noqa: ANN001
    handler.setup()
    handler.handle_batch([Delivery(settings.topic_for(e.source.removeprefix("/erp/")), 0, offset, e)
                          for offset, e in enumerate(envelopes)])


def published(app: ServiceApplication) -> list[CloudEvent]:
    return [app.envelope(n) for n in app.recorder.select_notifications(start=1, limit=100)]


def projection(definition, pool, settings, name: str) -> Handler:  # noqa: ANN001
    (kind,) = [p for p in definition.projections if p.name == name]
    return kind(pool, settings.schema_for(definition.name))


def test_orders_are_checked_and_listed_and_their_shipments_invoiced_from_the_services_own_read_models(settings, pool):
    channel = [event("erp.channel.HospitalRegistered", 1), event("erp.channel.DistributorRegistered", 2),
               event("erp.channel.DistributorLicenceRecorded", 3, distributor_id=str(DISTRIBUTOR),
                     valid_from=days(-100), valid_to=days(1000))]
    inventory = [event("erp.inventory.ItemRegistered", 1),
                 event("erp.inventory.RegistrationCertificateSet", 2, valid_from=days(-100), valid_to=days(1000))]
    # The rulebook: the stent's list price, 1,446.40 含税 (1,280.00 net at 13%), from the day before yesterday.
    prices = [event("erp.channel.PriceListCreated", 4),
              event("erp.channel.ListPriceSet", 5, price="1446.4000", valid_from=days(-2), valid_to=None)]
    for name, events in (("order-known-hospitals", channel), ("order-known-distributors", channel),
                         ("order-distributor-licences", channel), ("order-known-items", inventory),
                         ("order-price-book", prices)):
        feed(settings, projection(ORDER, pool, settings, name), events)

    with TestClient(web_app("order")) as order_api:
        line = {"gtin": STENT, "quantity": 10}  # priced by the system: the list price
        direct = {"hospital_id": str(HOSPITAL), "customer_reference": "PO-1", "lines": [line]}
        first = order_api.post("/orders", headers={**auth(), "Idempotency-Key": "po-1"}, json=direct)
        again = order_api.post("/orders", headers={**auth(), "Idempotency-Key": "po-1"}, json=direct)
        assert (first.status_code, again.status_code) == (201, 200), first.text
        assert first.json()["order_id"] == again.json()["order_id"]
        through = order_api.post("/orders", headers=auth(), json={**direct, "ship_to_distributor_id": str(DISTRIBUTOR)})
        assert through.status_code == 201, through.text
        unknown_item = {**direct, "lines": [{**line, "gtin": "09506000134369"}]}
        unknown = order_api.post("/orders", headers=auth(), json=unknown_item)
        assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "lines[0].gtin")

        orders = order_api.app.state.service.application
        feed(settings, projection(ORDER, pool, settings, "order-list"), published(orders))
        listed = order_api.get("/orders", headers=auth(), params={"hospital_id": str(HOSPITAL)}).json()
        assert listed["total"] == 2
        assert {(r["hospital_name"], r["distributor_name"], r["total_amount"]) for r in listed["items"]} == {
            ("上海市第一人民医院", None, "12800.00"), ("上海市第一人民医院", "华东医疗器械有限公司", "12800.00")}
        (delivered_through,) = order_api.get("/orders", headers=auth(),
                                             params={"ship_to_distributor_id": str(DISTRIBUTOR)}).json()["items"]
        assert delivered_through["order_id"] == through.json()["order_id"]
        shown = order_api.get(f"/orders/{through.json()['order_id']}", headers=auth()).json()
        assert (shown["status"], shown["ship_to_distributor_id"]) == ("placed", str(DISTRIBUTOR))
        assert {k: shown["lines"][0][k] for k in ("unit_price", "gross_unit_price", "vat_rate", "price_source")} == {
            "unit_price": "1280.00", "gross_unit_price": "1446.4000", "vat_rate": "0.13", "price_source": "list"}
        assert order_api.get(f"/orders/{uuid4()}", headers=auth()).status_code == 404
        order_events = published(orders)

    shipment = uuid4()
    dispatched = event("erp.inventory.ShipmentDispatched", 1, order_id=through.json()["order_id"],
                       shipment_id=str(shipment), ship_to_distributor_id=str(DISTRIBUTOR))
    with TestClient(web_app("billing")) as billing_api:
        billing = billing_api.app.state.service.application
        feed(settings, projection(BILLING, pool, settings, "billing-order-terms"), order_events)
        feed(settings, projection(BILLING, pool, settings, "billing-known-parties"), channel)
        invoicer = next(m for m in BILLING.process_managers if m.name == "billing-shipment-invoicer")
        feed(settings, invoicer(billing, pool, lambda deferred: BILLING.unit_of_work(billing, pool, deferred)),
             [dispatched])
        feed(settings, projection(BILLING, pool, settings, "billing-invoice-list"), published(billing))

        invoices = billing_api.get("/invoices", headers=auth(), params={"order_id": through.json()["order_id"]}).json()
        (row,) = invoices["items"]
        assert (row["hospital_name"], row["distributor_name"], row["gross_total"]) == (
            "上海市第一人民医院", "华东医疗器械有限公司", "14464.00")
        invoice = billing_api.get(f"/invoices/{row['invoice_id']}", headers=auth()).json()
        assert (invoice["shipment_id"], invoice["bill_to_distributor_id"], invoice["lines"][0]["lot"]) == (
            str(shipment), str(DISTRIBUTOR), "L2701A")
        assert billing_api.get(f"/invoices/{uuid4()}", headers=auth()).status_code == 404
