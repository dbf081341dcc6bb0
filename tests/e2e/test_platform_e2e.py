"""The procurement platform connector (阳光采购) with the services running as processes: the simulated platform
(services/order/platforms/simulator.py) served on a free port, the order, channel, inventory and billing services,
and the platform process (`python -m services.order.platforms.loop`) pointed at the simulator.

A hospital orders on the platform: the order is pulled, placed by the normal rules and reserved; another, naming a
hospital code nobody mapped, is refused and listed on the desk's worklist; the desk maps the code and places it
again. The first order is shipped and invoiced while the platform is down (its server stopped): the delivery
confirmation and the invoice wait in the outbox and reach the platform once it is served again on the same port,
each once; the hospital's acceptance, pulled twice, shows once on the order."""

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import uvicorn

from services.demo import udi_scan
from services.order.platforms import sync
from services.order.platforms.ledger import PostgresPlatformLedger
from services.order.platforms.simulator import SimulatedPlatform, create_app
from shared.platform.auth import issue_token
from tests.conftest import service_env
from tests.e2e.commerce import as_, list_price, stocked_item
from tests.e2e.conftest import free_port
from tests.waiting import wait_for

GTIN = "09506000134352"
SERVICES = ["channel", "order", "inventory", "billing"]
DESK, MASTER_DATA = as_("desk-wang", "order_desk"), as_("md-li", "master_data")


class ServedPlatform:
    """The simulator under uvicorn in a thread; stopped (connection refused) and served again on the same port with
    the same state, as a platform's maintenance window looks from outside."""

    def __init__(self) -> None:
        self.state, self.port = SimulatedPlatform(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.state), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, "the simulator to start")

    def stop(self) -> None:
        if self.server is not None and self.thread is not None and self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(10)


@pytest.fixture
def platform() -> Iterator[ServedPlatform]:
    served = ServedPlatform()
    served.start()
    yield served
    served.stop()


def platform_order(number: str, hospital_code: str, quantity: int) -> dict:
    """An order as the platform sends it: no 配送企业编码, so it is delivered direct to the hospital."""
    return {"订单编号": number, "医院编码": hospital_code, "医院名称": "浙江省人民医院", "收货地址": "杭州市上塘路158号 设备科",
            "下单时间": "2026-11-30 09:15:00", "订单明细": [
                {"明细序号": 1, "产品编码": "ZJ-HC-0001", "UDI-DI": GTIN, "产品名称": "药物洗脱冠脉支架",
                 "规格型号": "3.0x18mm", "采购数量": quantity, "采购单价": "1130.00"}]}


def test_platform_orders_are_placed_refused_retried_and_answered_once_across_an_outage(stack, http, settings,
                                                                                         pool, platform, tmp_path):
    for service in SERVICES:
        for role in ("web", "relay", "worker"):
            stack.start(service, role)
    stack.wait_until_ready(services=SERVICES)
    channel, order, inventory, billing = (stack.url(s) for s in SERVICES)
    hospital = http.post(f"{channel}/hospitals", json={"name": "浙江省人民医院", "province": "浙江省",
                                                       "grade": "3A"}).raise_for_status().json()["hospital_id"]
    expiry = stocked_item(http, inventory, GTIN, "ZJ1", 50, "WH-HZ")
    list_price(http, channel, GTIN, "1130.00")
    wait_for(lambda: httpx.post(f"{order}/orders/validate", headers=DESK, json={
        "hospital_id": hospital, "lines": [{"gtin": GTIN, "quantity": 1}]}).status_code == 200,
        "the order service to know the hospital, the item and its price", timeout=60)

    # The platform's codes: an unknown kind is refused naming the field; the hospital's code mapped by master data.
    bad = httpx.put(f"{order}/platform-parties/sim/supplier/X1", headers=MASTER_DATA, json={
        "party_id": hospital, "reason": "对照"})
    assert (bad.status_code, bad.headers["content-type"]) == (422, "application/problem+json"), bad.text
    assert bad.json()["errors"][0]["field"] == "kind" and bad.json()["errors"][0]["rule"] == "platform-party-kind"
    assert httpx.put(f"{order}/platform-parties/sim/hospital/H330100001", headers=DESK, json={
        "party_id": hospital, "reason": "对照"}).status_code == 403  # the desk does not keep master data
    mapped = httpx.put(f"{order}/platform-parties/sim/hospital/H330100001", headers=MASTER_DATA, json={
        "party_id": hospital, "reason": "省平台医院编码对照"})
    assert (mapped.status_code, mapped.json()["party_name"]) == (200, "浙江省人民医院"), mapped.text

    # The hospital orders twice on the platform; the second names a code nobody mapped yet.
    platform.state.put_order(platform_order("YG-1", "H330100001", 2))
    platform.state.put_order(platform_order("YG-2", "H330100002", 1))
    env = {**os.environ, **service_env(settings), "ORDER_PLATFORM_URL": platform.url, "ORDER_PLATFORM_NAME": "sim",
           "ORDER_PLATFORM_INTERVAL_SECONDS": "0.3", "ORDER_PLATFORM_RETRY_CAP_SECONDS": "1",
           "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "platform-loop.log").open("ab")
    loop = subprocess.Popen([sys.executable, "-m", "services.order.platforms.loop"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _story(stack, http, settings, pool, platform, hospital, expiry, loop)
    finally:
        loop.terminate()
        try:
            loop.wait(20)
        except subprocess.TimeoutExpired:
            loop.kill()
            loop.wait()
        log.close()
    assert loop.returncode == 0, (tmp_path / "platform-loop.log").read_text()[-3000:]


def _story(stack, http, settings, pool, platform, hospital, expiry, loop) -> None:  # noqa: ANN001, PLR0915
    order, inventory, billing = stack.url("order"), stack.url("inventory"), stack.url("billing")
    ledger = PostgresPlatformLedger(pool, settings.schema_for("order"))
    first, second = sync.order_id_for("sim", "YG-1"), sync.order_id_for("sim", "YG-2")

    def listed(status: str) -> list[dict]:
        answer = httpx.get(f"{order}/platform-orders", headers=DESK, params={"platform": "sim", "status": status})
        return answer.json()["items"] if answer.status_code == 200 else []

    # 1. YG-1 placed through the normal rules and reserved; YG-2 refused, on the desk's worklist with its rule.
    placed = wait_for(lambda: listed("placed"), "YG-1 to be placed", timeout=30)
    assert [(r["platform_order_id"], r["order_id"], r["hospital_id"], r["hospital_name"]) for r in placed] == [
        ("YG-1", str(first), hospital, "浙江省人民医院")]
    refused = wait_for(lambda: listed("refused"), "YG-2 to be refused")
    assert [(r["platform_order_id"], r["rule"], r["field"], r["hospital_code"], r["platform_hospital_name"])
            for r in refused] == [("YG-2", "platform-hospital-mapped", "医院编码", "H330100002", "浙江省人民医院")]
    wait_for(lambda: (r := http.get(f"{inventory}/fulfilments/{first}")).status_code == 200
             and r.json()["status"] == "reserved", "YG-1's reservation", timeout=30)
    wait_for(lambda: [c["订单编号"] for c in platform.state.confirmations] == ["YG-1"], "确认配送关系 of YG-1")
    bad_status = httpx.get(f"{order}/platform-orders", headers=DESK, params={"status": "lost"})
    assert bad_status.status_code == 422 and bad_status.headers["content-type"] == "application/problem+json"
    # A hospital's own people see their hospital's platform orders only; another hospital's see none.
    own = httpx.get(f"{order}/platform-orders", headers=_scoped(hospital))
    assert {r["platform_order_id"] for r in own.json()["items"]} == {"YG-1"}  # YG-2's code is mapped to nobody
    other = httpx.get(f"{order}/platform-orders", headers=_scoped("00000000-0000-4000-8000-000000000001"))
    assert other.json()["items"] == []

    # 2. The desk maps the code and places YG-2 again, with a reason; asked again, it answers the same order.
    httpx.put(f"{order}/platform-parties/sim/hospital/H330100002", headers=MASTER_DATA, json={
        "party_id": hospital, "reason": "院区编码"}).raise_for_status()
    with pool.connection() as conn:  # who mapped the code and why, kept with the mapping
        mapping = conn.execute(f"SELECT mapped_by, reason FROM {settings.schema_for('order')}.platform_parties"
                               " WHERE code = 'H330100002'").fetchone()
    assert mapping["mapped_by"].endswith("md-li") and mapping["reason"] == "院区编码"
    no_reason = httpx.post(f"{order}/platform-orders/sim/YG-2/retry", headers=DESK, json={})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    retried = httpx.post(f"{order}/platform-orders/sim/YG-2/retry", headers=DESK, json={"reason": "医院编码已对照"})
    assert (retried.status_code, retried.json()["status"], retried.json()["order_id"]) == (
        200, "placed", str(second)), retried.text
    again = httpx.post(f"{order}/platform-orders/sim/YG-2/retry", headers=DESK, json={"reason": "重复点击"})
    assert (again.status_code, again.json()["order_id"]) == (200, str(second))
    assert httpx.post(f"{order}/platform-orders/sim/YG-9/retry", headers=DESK,
                      json={"reason": "?"}).status_code == 404
    assert listed("refused") == []
    wait_for(lambda: sorted(c["订单编号"] for c in platform.state.confirmations) == ["YG-1", "YG-2"],
             "确认配送关系 of YG-2")

    # 3. The platform goes down (its server stopped: connection refused). Meanwhile YG-1 is picked and shipped,
    # billing invoices it, and the platform resends YG-1: the pushes wait in the outbox.
    platform.stop()
    platform.state.put_order(platform_order("YG-1", "H330100001", 2))
    http.post(f"{inventory}/fulfilments/{first}/picks", json={"scans": [
        udi_scan(GTIN, expiry, "ZJ1", 2)]}).raise_for_status()
    http.post(f"{inventory}/fulfilments/{first}/dispatch", json={
        "carrier": "SF Express", "tracking_number": "SF-YG1"}).raise_for_status()
    shipment = http.get(f"{inventory}/fulfilments/{first}").json()["shipments"][0]["shipment_id"]
    invoice = wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": str(first)}).json()["items"],
                       "the invoice", timeout=30)[0]

    def waiting_out_the_outage() -> bool:
        queued = {m.kind: m for m in ledger.outbox("sim")}
        return all(kind in queued and queued[kind].attempts >= 1 and queued[kind].status == "pending"
                   and "ConnectError" in (queued[kind].last_error or "") for kind in ("delivery", "invoice"))

    wait_for(waiting_out_the_outage, "the delivery and the invoice to be tried during the outage", timeout=30)
    assert (platform.state.deliveries, platform.state.invoices) == ([], [])
    assert loop.poll() is None  # an outage is waited out, not a reason to stop

    # 4. Served again on the same port: everything arrives, once. The hospital then accepts the delivery on the
    # platform; the platform's feed has the acceptance twice.
    platform.start()
    wait_for(lambda: platform.state.deliveries and platform.state.invoices, "the delivery and the invoice",
             timeout=30)
    wait_for(lambda: all(m.status == "sent" for m in ledger.outbox("sim")), "the outbox to be sent")
    acceptance = {"验收单号": "YS-1", "订单编号": "YG-1", "配送单号": shipment, "验收时间": "2026-12-03 10:30:00",
                  "验收数量": 2, "拒收数量": 0}
    platform.state.put_acceptance(acceptance)
    platform.state.put_acceptance(acceptance)
    accepted = wait_for(lambda: (o := httpx.get(f"{order}/orders/{first}", headers=DESK).json())[
        "platform_acceptances"] and o, "the acceptance to show on the order", timeout=30)
    wait_for(lambda: ledger.cursor("sim", sync.ACCEPTANCES) == "2", "both acceptance records to be pulled")
    accepted = httpx.get(f"{order}/orders/{first}", headers=DESK).json()
    assert [(a["platform"], a["acceptance_id"], a["delivery_no"], a["accepted_quantity"], a["rejected_quantity"])
            for a in accepted["platform_acceptances"]] == [("sim", "YS-1", shipment, 2, 0)]
    assert accepted["customer_reference"] == "YG-1"

    assert [(d["订单编号"], d["配送单号"], d["配送明细"][0]["批号"], d["配送明细"][0]["配送数量"])
            for d in platform.state.deliveries] == [("YG-1", shipment, "ZJ1", 2)]
    assert [(i["订单编号"], i["配送单号"], i["发票号码"], Decimal(i["价税合计"])) for i in platform.state.invoices] == [
        ("YG-1", shipment, invoice["number"], Decimal(invoice["gross_total"]))]
    assert sorted(c["订单编号"] for c in platform.state.confirmations) == ["YG-1", "YG-2"]
    received = [*platform.state.confirmations, *platform.state.deliveries, *platform.state.invoices]
    assert Counter(r["请求流水号"] for r in received) == {m.message_id: 1 for m in ledger.outbox("sim")}
    assert ledger.cursor("sim", sync.ORDERS) == "3"  # YG-1's resend pulled and ignored
    orders = httpx.get(f"{order}/orders", headers=DESK, params={"hospital_id": hospital}).json()["items"]
    assert sorted((o["customer_reference"], o["order_id"]) for o in orders) == [("YG-1", str(first)),
                                                                                 ("YG-2", str(second))]
    assert httpx.get(f"{order}/platform-orders", headers=DESK).json()["total"] == 2


def _scoped(hospital: str) -> dict[str, str]:
    """A hospital's own person (the portal), scoped to it."""
    return {"Authorization": f"Bearer {issue_token('h-user', ['hospital_user'], scopes=[f'hospital:{hospital}'])}"}
