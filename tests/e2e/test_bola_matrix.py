"""The BOLA matrix: every route with an object id in its path or body, for every role × data scope, asked for objects
inside and outside the scope, over HTTP against the running services.

Routes are enumerated from the services' own OpenAPI documents: a route whose data scope (x-data-scope) is not
"company" and that this test cannot build a request for fails it, so a new scoped route must be added here.
A request for an object outside the caller's scope must not succeed and must not return the object: reads are 404
(or 403 without the permission), commands 404 or the "unknown" 422 of their rule (an out-of-scope customer looks
unregistered), lists never contain it. Objects inside the scope are readable by roles holding the permission, so
that the test cannot pass by refusing everything.

The world: two provinces; in each a hospital, a distributor, a direct order and an order through the distributor,
both shipped and invoiced (两票制), the distributor's sell-out report, a quote sent to the hospital and a contract with
it that authorizes the distributor. Side A (浙江省) holds the scopes tried;
side B (四川省) is outside every one of them.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from services.demo import in_days, ship_order
from shared.platform.auth import issue_token
from shared.platform.permissions import PORTAL_ROLES, ROLES, permissions_of
from shared.platform.settings import SERVICES
from shared.platform.waiting import wait_for
from tests.items import registered_item_via_api
from shared.domain.business_day import business_today

GTIN = "09506000134352"
LOT = "BOLA-1"
A, B = "浙江省", "四川省"


@dataclass
class Side:
    hospital: str = ""
    distributor: str = ""
    direct_order: str = ""
    distributor_order: str = ""
    shipments: dict[str, str] = field(default_factory=dict)  # order id -> shipment id
    hospital_invoice: str = ""
    distributor_invoice: str = ""
    sellout_report: str = ""
    diversion_alert: str = ""
    quote: str = ""
    contract: str = ""
    payment: str = ""  # the hospital's
    statement: str = ""  # the hospital's
    recall: str = ""  # notified to the hospital and the distributor

    def ids(self) -> set[str]:
        return {self.hospital, self.distributor, self.direct_order, self.distributor_order,
                self.hospital_invoice, self.distributor_invoice, self.sellout_report, self.quote, self.contract,
                self.diversion_alert, self.payment, self.statement,
                *self.shipments.values()}


def build_side(http: httpx.Client, url, province: str) -> Side:  # noqa: ANN001
    side, key = Side(), "a" if province == A else "b"
    side.hospital = http.post(f"{url('channel')}/hospitals", json={
        "name": f"{province}人民医院", "province": province, "grade": "3A"}).raise_for_status().json()["hospital_id"]
    side.distributor = http.post(f"{url('channel')}/distributors", json={
        "name": f"{province}医疗器械有限公司", "region": province, "tier": "gold"}).raise_for_status().json()[
        "distributor_id"]
    http.post(f"{url('channel')}/distributors/{side.distributor}/licences", json={
        "document_type": "distribution_licence", "number": f"{province}械经营许1号", "valid_from": in_days(-10),
        "valid_to": in_days(1000)}).raise_for_status()
    urls = {s: url(s) for s in SERVICES}
    line = [{"gtin": GTIN, "quantity": 2, "unit_price": "100.00"}]
    side.direct_order = ship_order(http, urls, f"bola-{key}-direct", {"hospital_id": side.hospital,
                                                                           "lines": line})
    side.distributor_order = ship_order(http, urls, f"bola-{key}-via", {
        "hospital_id": side.hospital, "ship_to_distributor_id": side.distributor, "lines": line})
    for order_id in (side.direct_order, side.distributor_order):
        side.shipments[order_id] = http.get(f"{url('inventory')}/fulfilments/{order_id}").json()["shipments"][0][
            "shipment_id"]

    def invoice_of(order_id: str) -> str | None:
        items = http.get(f"{url('billing')}/invoices", params={"order_id": order_id}).json()["items"]
        return items[0]["invoice_id"] if items else None

    side.hospital_invoice = wait_for(lambda: invoice_of(side.direct_order), "the direct order's invoice")
    side.distributor_invoice = wait_for(lambda: invoice_of(side.distributor_order), "the distributor's invoice")

    def in_sales(invoice_id: str) -> bool:  # the analytics read model has caught up with it
        lines = http.get(f"{url('analytics')}/sales/lines", params={"limit": 500}).json()["items"]
        return invoice_id in {line["invoice_id"] for line in lines}

    for invoice_id in (side.hospital_invoice, side.distributor_invoice):
        wait_for(lambda: in_sales(invoice_id), "the invoice among the sales figures")
    today = business_today()
    side.payment = http.post(f"{url('billing')}/payments", json={
        "customer_id": side.hospital, "amount": "10.00", "currency": "CNY", "received_on": today.isoformat(),
        "bank_reference": f"BOLA-{key}", "payer": f"{province}人民医院", "allocate": False}).raise_for_status().json()[
        "payment_id"]
    side.statement = http.post(f"{url('billing')}/statements", json={
        "customer_id": side.hospital, "period_start": (today - timedelta(days=30)).isoformat(),
        "period_end": today.isoformat()}).raise_for_status().json()["statement_id"]
    first = http.get(f"{url('billing')}/invoices/{side.distributor_invoice}").json()["number"]
    wait_for(lambda: http.post(f"{url('billing')}/second-invoices", json={  # the distributor's invoice to the hospital
        "distributor_id": side.distributor, "number": f"BOLA-2-{key}", "hospital_id": side.hospital,
        "issued_on": today.isoformat(), "lines": [{"gtin": GTIN, "lot": LOT, "quantity": 1,
                                                   "first_invoice_number": first}]}).status_code in (200, 201),
             "billing to know the hospital")

    def reported() -> str | None:
        answer = http.post(f"{url('traceability')}/sellout-reports", json={
            "distributor_id": side.distributor, "report_reference": f"BOLA-{key}",
            "period": {"start": (today - timedelta(days=5)).isoformat(), "end": today.isoformat()},
            "lines": [{"hospital_id": side.hospital, "gtin": GTIN, "lot": LOT, "quantity": 1,
                       "sold_at": today.isoformat()},
                      # A name no hospital has: the report's line in the review queue.
                      {"hospital_name": f"BOLA未知医院-{key}", "gtin": GTIN, "lot": LOT, "quantity": 1,
                       "sold_at": today.isoformat()}]})
        return answer.json()["report_id"] if answer.status_code in (200, 201) else None

    side.sellout_report = wait_for(reported, "traceability to know the distributor")
    # The distributor holds no authorization (授权书): its sale on is diversion, an alert of its own.
    side.diversion_alert = wait_for(lambda: [a["alert_id"] for a in http.get(
        f"{url('channel')}/diversion-alerts", params={"distributor_id": side.distributor}).json()["items"]],
        "the diversion alert")[0]
    side.quote = wait_for(lambda: (r := http.post(f"{url('order')}/quotes", json={
        "customer_id": side.hospital, "valid_until": in_days(30), "lines": [{"gtin": GTIN, "quantity": 5}]})
    ).status_code == 201 and r.json()["quote_id"], "the order service to know the price list")
    for step in ("submit", "send"):  # priced by the rulebook: approved when submitted; sent, its customer sees it
        http.post(f"{url('order')}/quotes/{side.quote}/{step}").raise_for_status()
    side.contract = http.post(f"{url('order')}/contracts", json={
        "template": "framework", "customer_id": side.hospital, "valid_from": in_days(-1), "valid_to": in_days(300),
        "authorized_distributor_id": side.distributor,
        "lines": [{"gtin": GTIN, "committed_quantity": 100, "unit_price": "100.00"}]}).raise_for_status().json()[
        "contract_id"]
    return side


def build_world(http: httpx.Client, url) -> tuple[Side, Side]:  # noqa: ANN001
    registered_item_via_api(http, None, GTIN, base_url=url("inventory"))
    supplier = http.post(f"{url('inventory')}/suppliers", json={"name": "BOLA供应商"}).raise_for_status().json()
    for document_type, number in (("business_licence", "91330100MA1BOLA00A"), ("production_licence", "浙械生产许1号")):
        http.post(f"{url('inventory')}/suppliers/{supplier['supplier_id']}/qualifications", json={
            "document_type": document_type, "number": number, "valid_from": in_days(-10),
            "valid_to": in_days(3000)}).raise_for_status()
    http.post(f"{url('inventory')}/goods-receipts", json={"supplier_id": supplier["supplier_id"], "lines": [
        {"gtin": GTIN, "lot": LOT, "expiry": in_days(500), "quantity": 100, "warehouse": "WH"}]}).raise_for_status()
    http.post(f"{url('inventory')}/quality/inspections", json={
        "gtin": GTIN, "lot": LOT, "warehouse": "WH", "result": "released"}).raise_for_status()
    price_list = http.post(f"{url('channel')}/price-lists", json={"name": "BOLA价目表"}).raise_for_status().json()
    http.post(f"{url('channel')}/price-lists/{price_list['price_list_id']}/prices", json={
        "gtin": GTIN, "price": "113.00", "valid_from": in_days(-10)}).raise_for_status()
    a, b = build_side(http, url, A), build_side(http, url, B)
    a.recall = b.recall = notify_recall(http, url, [a.hospital, a.distributor, b.hospital, b.distributor])
    return a, b


def notify_recall(http: httpx.Client, url, consignees: list[str]) -> str:  # noqa: ANN001
    """A recall of the lot, its notice sent to each side's hospital and distributor (the portals' recall notices)."""
    decided = datetime.now(UTC) - timedelta(minutes=5)
    recall = http.post(f"{url('traceability')}/recalls", json={
        "title": "BOLA召回", "level": 2, "reason": "矩阵测试", "decided_at": decided.isoformat(),
        "lots": [{"gtin": GTIN, "lot": LOT}]}).raise_for_status().json()
    for consignee in consignees:
        wait_for(lambda c=consignee: http.post(f"{url('traceability')}/recalls/{recall['recall_id']}/notifications",
                                               json={"consignee_id": c, "notified_at": datetime.now(UTC).isoformat(),
                                                     "method": "phone"}).status_code == 200,
                 "the lineage to know the consignee")
    return recall["recall_id"]


def record_platform_orders(admin: httpx.Client, url, pool, settings, sides: tuple[Side, Side]) -> None:  # noqa: ANN001
    """Each side's orders as if pulled from a procurement platform (阳光采购): its hospital's code mapped through
    the desk's route, the ledger's records written as the platform process writes them (a placed record per order,
    named BOLA-<order id>), and a refusal for a product the platform names without a UDI-DI."""
    from uuid import UUID

    from services.order.platforms import sync
    from services.order.platforms.ledger import PostgresPlatformLedger

    ledger = PostgresPlatformLedger(pool, settings.schema_for("order"))
    ledger.create_tables()
    for key, side in zip(("a", "b"), sides, strict=True):
        admin.put(f"{url('order')}/platform-parties/bola/hospital/H-{key}", json={
            "party_id": side.hospital, "reason": "BOLA"}).raise_for_status()
        placed = [sync.PlatformOrderRecord(platform="bola", platform_order_id=f"BOLA-{order_id}", status="placed",
                                           order_id=UUID(order_id), hospital_code=f"H-{key}")
                  for order_id in (side.direct_order, side.distributor_order)]
        refused = sync.PlatformOrderRecord(platform="bola", platform_order_id=f"BOLA-{key}-refused",
                                           status="refused", hospital_code=f"H-{key}", rule="platform-line-udi-di",
                                           field="lines[0].udi_di", detail="no UDI-DI")
        ledger.record_batch("bola", sync.ORDERS, None, [*placed, refused], [])


def scopes_tried(a: Side) -> list[list[str]]:
    return [[], [f"hospital:{a.hospital}"], [f"distributor:{a.distributor}"], [f"region:{A}"]]


def covered(a: Side, scopes: list[str], kind: str) -> set[str]:
    """Side A's objects of this kind the scope reaches: the policy of shared/platform/access.py, spelled out."""
    if not scopes:
        return set()
    scope = scopes[0]
    by_hospital = scope.startswith("hospital:")
    by_distributor = scope.startswith("distributor:")
    orders = ({a.direct_order, a.distributor_order} if by_hospital else {a.distributor_order} if by_distributor
              else {a.direct_order, a.distributor_order})
    return {
        "order": orders,
        "fulfilment": orders,
        "invoice": ({a.hospital_invoice} if by_hospital else {a.distributor_invoice} if by_distributor
                    else {a.hospital_invoice, a.distributor_invoice}),
        "hospital": set() if by_distributor else {a.hospital},
        "distributor": set() if by_hospital else {a.distributor},
        "sellout": set() if by_hospital else {a.sellout_report},
        "recall-notice": {a.hospital} if by_hospital else {a.distributor} if by_distributor
        else {a.hospital, a.distributor},
        "quote": set() if by_distributor else {a.quote},  # a quote to the hospital is not its distributor's
        "diversion": set() if by_hospital else {a.diversion_alert},  # the distributor's
        "contract": {a.contract},  # the hospital's, and the distributor's it authorizes
        "payment": set() if by_distributor else {a.payment},  # the hospital's
        "statement": set() if by_distributor else {a.statement},
    }[kind]


@dataclass(frozen=True)
class Probe:
    method: str
    path: str  # the OpenAPI path template
    kind: str  # the kind of object the id names
    read_permission: str | None  # for reads: the permission that must let an in-scope caller see it


def reads() -> list[Probe]:
    return [Probe("GET", "/orders/{order_id}", "order", "order:read"),
            Probe("GET", "/fulfilments/{order_id}", "fulfilment", "fulfilment:read"),
            Probe("GET", "/invoices/{invoice_id}", "invoice", "invoice:read"),
            Probe("GET", "/hospitals/{hospital_id}", "hospital", "hospital:read"),
            Probe("GET", "/distributors/{distributor_id}", "distributor", "distributor:read"),
            Probe("GET", "/sellout-reports/{report_id}", "sellout", "sellout:read"),
            Probe("GET", "/quotes/{quote_id}", "quote", "quote:read"),
            Probe("GET", "/quotes/{quote_id}/pdf", "quote", "quote:read"),
            Probe("GET", "/contracts/{contract_id}", "contract", "contract:read"),
            Probe("GET", "/customers/{customer_id}/credit", "hospital", "credit:read"),
            Probe("GET", "/distributors/{distributor_id}/scorecard", "distributor", "rebate:read-own"),
            Probe("GET", "/rebate-allowances/{distributor_id}", "distributor", "invoice:read"),
            Probe("GET", "/payments/{payment_id}", "payment", "invoice:read"),
            Probe("GET", "/customers/{customer_id}/account", "hospital", "invoice:read"),
            Probe("GET", "/customers/{customer_id}/statement", "hospital", "invoice:read"),
            Probe("GET", "/statements/{statement_id}", "statement", "invoice:read"),
            Probe("GET", "/statements/{statement_id}/pdf", "statement", "invoice:read"),
            Probe("GET", "/statements/{statement_id}/xlsx", "statement", "invoice:read"),
            Probe("GET", "/invoices/{invoice_id}/pdf", "invoice", "invoice:read"),
            Probe("GET", "/invoices/{invoice_id}/chain", "invoice", "invoice:read")]


def command_request(probe: str, side: Side, target: str) -> tuple[str, str, dict]:
    """(method, path, request kwargs) of a valid command on `target` (an object of `side`)."""
    today = business_today().isoformat()
    shipment = side.shipments.get(target, "")
    return {
        "POST /orders": ("POST", "/orders", {"json": {"hospital_id": target, "lines": [
            {"gtin": GTIN, "quantity": 1, "unit_price": "1.00"}]}}),
        "PUT /hospitals/{hospital_id}/contact": ("PUT", f"/hospitals/{target}/contact",
                                                 {"json": {"name": "王五", "phone": "13800000000"}}),
        "PUT /distributors/{distributor_id}/contact": ("PUT", f"/distributors/{target}/contact",
                                                       {"json": {"name": "王五", "phone": "13800000000"}}),
        "POST /distributors/{distributor_id}/licences": ("POST", f"/distributors/{target}/licences", {"json": {
            "document_type": "business_licence", "number": "X-1", "valid_from": in_days(-1), "valid_to": in_days(9)}}),
        "POST /hospitals/{hospital_id}/licences": ("POST", f"/hospitals/{target}/licences", {"json": {
            "number": "PDY-BOLA", "valid_from": in_days(-1), "valid_to": in_days(9)}}),
        # Reactivating an active party changes nothing: the matrix's world stays as it was.
        "PUT /hospitals/{hospital_id}/active": ("PUT", f"/hospitals/{target}/active", {"json": {
            "active": True, "reason": "BOLA"}}),
        "PUT /distributors/{distributor_id}/active": ("PUT", f"/distributors/{target}/active", {"json": {
            "active": True, "reason": "BOLA"}}),
        "POST /distributors/{distributor_id}/authorizations": ("POST", f"/distributors/{target}/authorizations", {
            "json": {"number": "SQ-BOLA", "gtins": [GTIN], "provinces": ["四川省"], "valid_from": in_days(-1),
                     "valid_to": in_days(9)}}),
        "POST /distributors/{distributor_id}/authorizations/{number}/revoke": (
            "POST", f"/distributors/{target}/authorizations/SQ-NONE/revoke", {"json": {"reason": "BOLA"}}),
        "POST /orders/{order_id}/lines/{line_no}/cancel": ("POST", f"/orders/{target}/lines/1/cancel", {"json": {
            "reason": "BOLA"}}),
        "POST /fulfilments/{order_id}/picks": ("POST", f"/fulfilments/{target}/picks", {"json": {"scans": ["]d201"]}}),
        "POST /fulfilments/{order_id}/dispatch": ("POST", f"/fulfilments/{target}/dispatch",
                                                  {"json": {"carrier": "SF", "tracking_number": "X"}}),
        "POST /fulfilments/{order_id}/shipments/{shipment_id}/delivery": (
            "POST", f"/fulfilments/{target}/shipments/{shipment}/delivery", {"json": {"received_by": "张三"}}),
        "POST /fulfilments/{order_id}/shipments/{shipment_id}/acceptance": (
            "POST", f"/fulfilments/{target}/shipments/{shipment}/acceptance", {"json": {"accepted_by": "张三"}}),
        "POST /returns": ("POST", "/returns", {"json": {
            "order_id": target, "shipment_id": shipment, "reason": "damaged", "disposition": "scrap",
            "warehouse": "WH", "lines": [{"gtin": GTIN, "lot": LOT, "quantity": 1}]}}),
        "POST /sellout-reports": ("POST", "/sellout-reports", {"json": {
            "distributor_id": target, "report_reference": f"BOLA-X-{target[:8]}",
            "period": {"start": today, "end": today},
            "lines": [{"hospital_id": side.hospital, "gtin": GTIN, "lot": LOT, "quantity": 1, "sold_at": today}]}}),
        "POST /sellout-reports/upload": ("POST", "/sellout-reports/upload", {
            "data": {"distributor_id": target, "report_reference": f"BOLA-U-{target[:8]}", "period_start": today,
                     "period_end": today},
            "files": {"file": ("r.csv", f"hospital_id,gtin,lot,quantity,sold_at\n{side.hospital},{GTIN},{LOT},1,"
                                        f"{today}\n".encode(), "text/csv")}}),
        "POST /orders/{order_id}/price-decision": ("POST", f"/orders/{target}/price-decision", {"json": {
            "decision": "approve", "reason": "BOLA"}}),
        "POST /orders/validate": ("POST", "/orders/validate", {"json": {"hospital_id": target, "lines": [
            {"gtin": GTIN, "quantity": 1}]}}),
        "POST /orders/{order_id}/holds": ("POST", f"/orders/{target}/holds", {"json": {"hold": "manual",
                                                                                      "reason": "BOLA"}}),
        "POST /orders/{order_id}/cancel": ("POST", f"/orders/{target}/cancel", {"json": {"reason": "BOLA"}}),
        "POST /orders/{order_id}/amendments": ("POST", f"/orders/{target}/amendments", {"json": {
            "lines": [{"gtin": GTIN, "quantity": 1}], "reason": "BOLA"}}),
        **{f"POST /orders/{{order_id}}/holds/{hold}/release": (
            "POST", f"/orders/{target}/holds/{hold}/release", {"json": {"reason": "BOLA", "expires_on": in_days(9)}})
           for hold in ("credit", "compliance", "manual")},
        "PUT /customers/{customer_id}/credit-limit": ("PUT", f"/customers/{target}/credit-limit", {"json": {
            "limit": "1.00", "valid_from": in_days(-1), "reason": "BOLA"}}),
        "POST /quotes": ("POST", "/quotes", {"json": {"customer_id": target, "valid_until": in_days(9),
                                                      "lines": [{"gtin": GTIN, "quantity": 1}]}}),
        **{f"POST /quotes/{{quote_id}}/{step}": ("POST", f"/quotes/{target}/{step}", {"json": {"reason": "BOLA"}}
                                                 if step in ("approve", "reject") else {})
           for step in QUOTE_STEPS},
        "POST /contracts": ("POST", "/contracts", {"json": {
            "template": "framework", "customer_id": target, "valid_from": in_days(-1), "valid_to": in_days(9),
            "lines": [{"gtin": GTIN, "committed_quantity": 1, "unit_price": "1.00"}]}}),
        "POST /contracts/{contract_id}/sign": ("POST", f"/contracts/{target}/sign", {}),
        "POST /channel-inventory-reports": ("POST", "/channel-inventory-reports", {"json": {
            "distributor_id": target, "report_reference": f"BOLA-S-{target[:8]}", "as_of": today,
            "lines": [{"gtin": GTIN, "lot": LOT, "quantity": 1}]}}),
        "POST /channel-inventory-reports/upload": ("POST", "/channel-inventory-reports/upload", {
            "data": {"distributor_id": target, "report_reference": f"BOLA-SU-{target[:8]}", "as_of": today},
            "files": {"file": ("s.csv", f"gtin,lot,quantity\n{GTIN},{LOT},1\n".encode(), "text/csv")}}),
        "POST /hospitals/{hospital_id}/aliases": ("POST", f"/hospitals/{target}/aliases", {"json": {
            "alias": f"BOLA别名-{target[:8]}"}}),
        "PUT /distributors/{distributor_id}/placement": ("PUT", f"/distributors/{target}/placement", {"json": {
            "level": "delivery"}}),
        "PUT /distributors/{distributor_id}/targets/{period}": ("PUT", f"/distributors/{target}/targets/2026-Q4", {
            "json": {"units": 1}}),
        "POST /diversion-alerts/{alert_id}/resolve": ("POST", f"/diversion-alerts/{target}/resolve", {"json": {
            "outcome": "false_alarm", "reason": "BOLA"}}),
        "POST /invoices/{invoice_id}/credit-notes": ("POST", f"/invoices/{target}/credit-notes", {"json": {
            "reason": "invoicing_error", "lines": [{"line_no": 1, "quantity": 1}], "note": "BOLA"}}),
        "POST /payments": ("POST", "/payments", {"json": {
            "customer_id": target, "amount": "1.00", "currency": "CNY", "received_on": today,
            "bank_reference": "BOLA-X", "payer": "BOLA"}}),
        "POST /payments/{payment_id}/allocations": ("POST", f"/payments/{target}/allocations", {"json": {}}),
        "POST /payments/{payment_id}/reverse": ("POST", f"/payments/{target}/reverse", {"json": {"reason": "BOLA"}}),
        "POST /statements": ("POST", "/statements", {"json": {"customer_id": target, "period_start": in_days(-9),
                                                              "period_end": today}}),
        "POST /statements/{statement_id}/answer": ("POST", f"/statements/{target}/answer", {"json": {
            "confirm": True}}),
        "POST /statements/{statement_id}/lines/{line_no}/resolve": (
            "POST", f"/statements/{target}/lines/1/resolve", {"json": {"outcome": "rejected", "note": "BOLA"}}),
        "POST /recall-notices/{recall_id}/acknowledgement": (
            "POST", f"/recall-notices/{side.recall}/acknowledgement", {"json": {
                "acknowledged_by": "BOLA", "consignee_id": target}}),
        "POST /second-invoices": ("POST", "/second-invoices", {"json": {
            "distributor_id": target, "number": "BOLA-X", "hospital_id": side.hospital, "issued_on": today,
            "lines": [{"gtin": GTIN, "lot": LOT, "quantity": 1}]}}),
        "POST /sellout-reports/{report_id}/unmatched/{line_no}/match": (
            "POST", f"/sellout-reports/{target}/unmatched/2/match", {"json": {"hospital_id": side.hospital,
                                                                             "reason": "BOLA"}}),
        # The programme is any: the distributor the body names is judged first.
        "POST /rebate-programmes/{programme_id}/settlements": (
            "POST", f"/rebate-programmes/{side.contract}/settlements", {"json": {
                "distributor_id": target, "settlement_no": "RS-BOLA", "through_period": "2026-Q1",
                "mode": "invoice_discount"}}),
        "POST /rebate-programmes/{programme_id}/settlements/{settlement_no}/{decision}": (
            "POST", f"/rebate-programmes/{side.contract}/settlements/RS-BOLA/approve", {"json": {
                "distributor_id": target, "reason": "BOLA"}}),
        "POST /contracts/{contract_id}/amendments": ("POST", f"/contracts/{target}/amendments", {"json": {
            "payment_terms_days": 30, "reason": "BOLA"}}),
        "POST /contracts/{contract_id}/terminate": ("POST", f"/contracts/{target}/terminate", {"json": {
            "reason": "BOLA"}}),
        "PUT /platform-parties/{platform}/{kind}/{code}": ("PUT", f"/platform-parties/bola/hospital/X-{target[:8]}", {
            "json": {"party_id": target, "reason": "BOLA"}}),
        "POST /platform-orders/{platform}/{platform_order_id}/retry": (
            "POST", f"/platform-orders/bola/BOLA-{target}/retry", {"json": {"reason": "BOLA"}}),
    }[probe]


QUOTE_STEPS = ("submit", "approve", "reject", "send", "accept")


# The kind of object each command's id names (its targets are the objects of that kind).
COMMANDS = {
    "POST /orders": "hospital",
    "PUT /hospitals/{hospital_id}/contact": "hospital",
    "PUT /distributors/{distributor_id}/contact": "distributor",
    "POST /distributors/{distributor_id}/licences": "distributor",
    "POST /hospitals/{hospital_id}/licences": "hospital",
    "PUT /hospitals/{hospital_id}/active": "hospital",
    "PUT /distributors/{distributor_id}/active": "distributor",
    "POST /distributors/{distributor_id}/authorizations": "distributor",
    "POST /distributors/{distributor_id}/authorizations/{number}/revoke": "distributor",
    "POST /orders/{order_id}/lines/{line_no}/cancel": "order",
    "POST /fulfilments/{order_id}/picks": "fulfilment",
    "POST /fulfilments/{order_id}/dispatch": "fulfilment",
    "POST /fulfilments/{order_id}/shipments/{shipment_id}/delivery": "fulfilment",
    "POST /fulfilments/{order_id}/shipments/{shipment_id}/acceptance": "fulfilment",
    "POST /returns": "fulfilment",
    "POST /sellout-reports": "sellout-distributor",
    "POST /sellout-reports/upload": "sellout-distributor",
    "POST /orders/{order_id}/price-decision": "order",
    "POST /orders/validate": "hospital",
    "POST /orders/{order_id}/holds": "order",
    "POST /orders/{order_id}/cancel": "order",
    "POST /orders/{order_id}/amendments": "order",
    **{f"POST /orders/{{order_id}}/holds/{hold}/release": "order" for hold in ("credit", "compliance", "manual")},
    "PUT /customers/{customer_id}/credit-limit": "hospital",
    "POST /quotes": "hospital",
    **{f"POST /quotes/{{quote_id}}/{step}": "quote" for step in QUOTE_STEPS},
    "POST /contracts": "hospital",
    "POST /contracts/{contract_id}/sign": "contract",
    "POST /hospitals/{hospital_id}/aliases": "hospital",
    "POST /channel-inventory-reports": "sellout-distributor",
    "POST /channel-inventory-reports/upload": "sellout-distributor",
    "PUT /distributors/{distributor_id}/placement": "distributor",
    "PUT /distributors/{distributor_id}/targets/{period}": "distributor",
    "POST /diversion-alerts/{alert_id}/resolve": "diversion",
    "POST /sellout-reports/{report_id}/unmatched/{line_no}/match": "sellout",
    "POST /rebate-programmes/{programme_id}/settlements": "distributor",
    "POST /rebate-programmes/{programme_id}/settlements/{settlement_no}/{decision}": "distributor",
    "POST /contracts/{contract_id}/amendments": "contract",
    "POST /contracts/{contract_id}/terminate": "contract",
    "POST /invoices/{invoice_id}/credit-notes": "invoice",
    "POST /payments": "hospital",
    "POST /payments/{payment_id}/allocations": "payment",
    "POST /payments/{payment_id}/reverse": "payment",
    "POST /statements": "hospital",
    "POST /statements/{statement_id}/answer": "statement",
    "POST /statements/{statement_id}/lines/{line_no}/resolve": "statement",
    "POST /second-invoices": "distributor",
    "POST /recall-notices/{recall_id}/acknowledgement": "recall-notice",
    "PUT /platform-parties/{platform}/{kind}/{code}": "hospital",
    "POST /platform-orders/{platform}/{platform_order_id}/retry": "order",
}
# Each list: the kind of its rows and the field naming the row's object (returns are the fulfilments' own: their
# rows name the order).
LISTS = {"/orders": ("order", "order_id"), "/invoices": ("invoice", "invoice_id"),
         "/hospitals": ("hospital", "hospital_id"), "/distributors": ("distributor", "distributor_id"),
         "/returns": ("fulfilment", "order_id"), "/sellout-reports": ("sellout", "report_id"),
         "/sellout-lines": ("sellout", "report_id"), "/recall-notices": ("recall-notice", "consignee_id"),
         "/quotes": ("quote", "quote_id"), "/contracts": ("contract", "contract_id"),
         "/vbp-progress": ("hospital", "hospital_id"), "/diversion-alerts": ("diversion", "alert_id"),
         "/sellout-review": ("sellout", "report_id"), "/rebate-settlements": ("distributor", "distributor_id"),
         "/payments": ("hospital", "customer_id"), "/second-invoices": ("distributor", "distributor_id"),
         "/sales/lines": ("invoice", "invoice_id"), "/statements": ("statement", "statement_id"),
         "/fulfilments": ("fulfilment", "order_id"), "/platform-orders": ("order", "order_id")}
# What lets a caller see its own rows in each list (the world records no returns: their list shows nothing).
LIST_PERMISSION = {"/orders": "order:read", "/invoices": "invoice:read", "/hospitals": "hospital:read",
                   "/distributors": "distributor:read", "/sellout-reports": "sellout:read",
                   "/sellout-lines": "sellout:read", "/recall-notices": "recall:read-notices",
                   "/quotes": "quote:read", "/contracts": "contract:read", "/diversion-alerts": "diversion:read",
                   "/sellout-review": "sellout:read", "/payments": "invoice:read", "/second-invoices": "invoice:read",
                   "/sales/lines": "analytics:read", "/statements": "invoice:read",
                   "/fulfilments": "fulfilment:read", "/platform-orders": "order:read"}
SERVICE_OF = {"/orders": "order", "/fulfilments": "inventory", "/returns": "inventory", "/invoices": "billing",
              "/hospitals": "channel", "/distributors": "channel", "/sellout-reports": "traceability",
              "/sellout-lines": "traceability", "/recall-notices": "traceability", "/quotes": "order",
              "/contracts": "order", "/vbp-progress": "order", "/customers": "order",
              "/diversion-alerts": "channel", "/rebate-programmes": "channel", "/rebate-settlements": "channel",
              "/sellout-review": "traceability", "/rebate-allowances": "billing",
              "/channel-inventory-reports": "traceability", "/payments": "billing", "/statements": "billing",
              "/second-invoices": "billing", "/sales": "analytics", "/platform-orders": "order",
              "/platform-parties": "order"}


def service_of(path: str) -> str:
    if re.match(r"^/customers/[^/]+/(account|statement)$", path):  # a customer's account is billing's
        return "billing"
    return SERVICE_OF["/" + path.split("/")[1]]


def objects(side: Side, kind: str) -> list[str]:
    return {"order": [side.direct_order, side.distributor_order],
            "fulfilment": [side.direct_order, side.distributor_order],
            "invoice": [side.hospital_invoice, side.distributor_invoice],
            "hospital": [side.hospital], "distributor": [side.distributor],
            "sellout": [side.sellout_report], "sellout-distributor": [side.distributor],
            "recall-notice": [side.hospital, side.distributor], "quote": [side.quote],
            "contract": [side.contract], "diversion": [side.diversion_alert], "payment": [side.payment],
            "statement": [side.statement]}[kind]


def names_an_object(document: dict, path: str, operation: dict) -> bool:
    """Whether the operation names an existing object: an id in its path, or an `..._id` field in its body (or a
    list, which returns objects)."""
    if "{" in path or ("requestBody" not in operation and operation.get("operationId", "").startswith("list_")):
        return True
    for content in operation.get("requestBody", {}).get("content", {}).values():
        schema = content.get("schema", {})
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if any(name.endswith("_id") for name in schema.get("properties", {})):
            return True
    return False


def scoped_routes(url) -> list[tuple[str, str, dict]]:  # noqa: ANN001
    """(method, path, operation) of every route whose data is scoped and that names an object, from the services'
    OpenAPI documents."""
    found = []
    for service in SERVICES:
        document = httpx.get(f"{url(service)}/openapi.json").json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if operation.get("x-data-scope", "company") != "company" and names_an_object(document, path,
                                                                                           operation):
                    found.append((method.upper(), path, operation))
    return found


def test_no_role_or_scope_reaches_an_object_outside_its_scope(stack, http, settings, pool):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    admin = httpx.Client(headers={"Authorization": f"Bearer {issue_token('bola-admin', ['admin'])}"}, timeout=15)
    a, b = build_world(admin, url)
    record_platform_orders(admin, url, pool, settings, (a, b))

    routes = scoped_routes(url)
    known = {f"{p.method} {p.path}" for p in reads()} | set(COMMANDS) | {f"GET {path}" for path in LISTS}
    unknown = [f"{method} {path}" for method, path, _ in routes if f"{method} {path}" not in known]
    assert not unknown, f"scoped routes this matrix does not cover (add them): {unknown}"

    principals = [(role, scopes) for role in sorted(ROLES) for scopes in scopes_tried(a)
                  # staff without a scope reach the whole company: nothing is outside
                  if scopes or role in PORTAL_ROLES]
    # The principals are independent: asked side by side, so that the matrix takes seconds, not minutes.
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda principal: probe_as(*principal, a, b, url), principals))
    requests = sum(r.requests for r in results)
    leaks = [leak for r in results for leak in r.leaks]
    refused_inside = [refusal for r in results for refusal in r.refused_inside]
    checked_inside = sum(r.checked_inside for r in results)
    admin.close()
    print(f"BOLA matrix: {len(ROLES)} roles x {len(scopes_tried(a))} scopes, {len(routes)} scoped routes,"
          f" {requests} requests, {checked_inside} in-scope reads answered")
    assert not leaks, "\n".join(map(str, leaks[:20]))
    assert not refused_inside, "\n".join(map(str, refused_inside[:20]))
    assert checked_inside > 50


@dataclass
class Findings:
    requests: int = 0
    checked_inside: int = 0
    leaks: list = field(default_factory=list)
    refused_inside: list = field(default_factory=list)


def probe_as(role: str, scopes: list[str], a: Side, b: Side, url) -> Findings:  # noqa: ANN001
    """Every probe of the matrix as one principal: reads of both sides, commands and lists."""
    found, granted = Findings(), permissions_of([role])
    token = issue_token(f"bola-{role}", [role], scopes=scopes)

    def outside(kind: str) -> list[str]:
        return [o for o in objects(a, kind) + objects(b, kind)
                if o not in covered(a, scopes, kind if kind != "sellout-distributor" else "distributor")]

    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        for probe in reads():
            base = url(service_of(probe.path))
            for target in objects(a, probe.kind) + objects(b, probe.kind):
                answer = client.get(base + re.sub(r"\{\w+\}", target, probe.path))
                found.requests += 1
                inside = target in covered(a, scopes, probe.kind)
                if not inside and answer.status_code not in (403, 404):
                    found.leaks.append((role, scopes, probe.path, target, answer.status_code))
                if inside and probe.read_permission in granted:
                    found.checked_inside += 1
                    if answer.status_code != 200:
                        found.refused_inside.append((role, scopes, probe.path, answer.status_code))
        for command, kind in COMMANDS.items():
            for target in outside(kind):
                side = a if target in objects(a, kind) else b
                method, path, kwargs = command_request(command, side, target)
                answer = client.request(method, url(service_of(path)) + path, **kwargs)
                found.requests += 1
                disguised = answer.status_code == 422 and answer.json().get("errors", [{}])[0].get(
                    "rule") in ("registered-hospital", "registered-distributor", "registered-customer")
                if answer.status_code not in (403, 404) and not disguised:
                    found.leaks.append((role, scopes, command, target, answer.status_code, answer.text[:200]))
        for path, (kind, id_field) in LISTS.items():
            answer = client.get(url(service_of(path)) + path, params={"limit": 500})
            found.requests += 1
            listed = {str(row[id_field]) for row in answer.json()["items"]} if answer.status_code == 200 else set()
            hidden = set(objects(a, kind) + objects(b, kind)) - covered(a, scopes, kind)
            if listed & hidden:
                found.leaks.append((role, scopes, path, sorted(listed & hidden), answer.status_code))
            if LIST_PERMISSION.get(path) in granted:
                found.checked_inside += 1
                if not covered(a, scopes, kind) <= listed:
                    found.refused_inside.append((role, scopes, path, "own rows missing"))
    return found
