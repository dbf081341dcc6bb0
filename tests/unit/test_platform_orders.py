"""Hospital procurement platforms (阳光采购): the reference adapter's mapping of the simulated platform's records, and
the sync's rules on the in-memory event store — platform orders placed through the normal pre-validation with their
platform ids kept, duplicates ignored, refusals recorded with their rule, the cursor moved only with what the batch
recorded, and the outbox retried with backoff while the platform is down."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.order.application import OrderApplication, OrderUnitOfWork, placing
from services.order.platforms import sync
from services.order.domain import SalesOrder
from services.order.platforms import (
    Acceptance, AcceptancePage, DeliveredLine, DeliveryConfirmation, PlatformInvoice, PlatformRefused,
    PlatformUnavailable,
)
from services.order.platforms import simulated
from shared.domain.business_day import CHINA
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.settings import Settings
from tests.price_facts import InMemoryCreditFacts
from tests.unit.test_order_commands import (
    CATHETER, DISTRIBUTOR, HOSPITAL, STENT, TODAY, KnownFacts, priced_facts,
)


def platform_order(number: str, *lines: tuple[str, Any], hospital: str = "H330100001", **extra: Any) -> dict:
    """An order as the simulated platform sends it."""
    return {"订单编号": number, "医院编码": hospital, "医院名称": "浙江省人民医院", "配送企业": "华东医疗",
            "配送企业编码": "PS3301", "收货地址": "杭州市上塘路158号 设备科", "下单时间": "2026-11-30 09:15:00",
            "要求到货日期": (TODAY + timedelta(days=10)).isoformat(),
            "订单明细": [{"明细序号": index, "产品编码": f"ZJ-HC-{index:04d}", "UDI-DI": udi, "产品名称": "冠脉支架",
                          "规格型号": "3.0x18mm", "采购数量": quantity, "采购单价": "1446.40"}
                         for index, (udi, quantity) in enumerate(lines or ((STENT, 2),), start=1)],
            **extra}


# --- the adapter's mapping ----------------------------------------------------------------------------------------

def test_a_platform_record_maps_to_a_platform_order_in_china_time_with_decimal_prices():
    order = simulated.order_from(platform_order("YG202611300001", (STENT, 2), (CATHETER, "3")))
    assert (order.platform_order_id, order.hospital_code, order.hospital_name) == ("YG202611300001", "H330100001",
                                                                                   "浙江省人民医院")
    assert (order.distributor_name, order.distributor_code) == ("华东医疗", "PS3301")
    assert order.ordered_at == datetime(2026, 11, 30, 9, 15, tzinfo=CHINA)
    assert order.ordered_at.astimezone(UTC) == datetime(2026, 11, 30, 1, 15, tzinfo=UTC)
    assert [(line.line_no, line.product_code, line.udi_di, line.quantity, line.unit_price) for line in order.lines] == [
        (1, "ZJ-HC-0001", STENT, 2, Decimal("1446.40")), (2, "ZJ-HC-0002", CATHETER, 3, Decimal("1446.40"))]
    assert order.requested_delivery_date == TODAY + timedelta(days=10)


def test_records_that_are_not_orders_are_answered_as_unreadable_without_stopping_the_page():
    missing_hospital = platform_order("YG-2")
    del missing_hospital["医院编码"]
    page = simulated.page_of_orders({"订单列表": [platform_order("YG-1"), missing_hospital,
                                              platform_order("YG-3", (STENT, "1.5")), platform_order("YG-4", hospital="")],
                                     "下一游标": "4"}, None)
    assert [order.platform_order_id for order in page.orders] == ["YG-1"]
    assert [(u.platform_order_id, u.reason) for u in page.unreadable] == [
        ("YG-2", "missing '医院编码'"), ("YG-3", "采购数量 must be a positive whole number: '1.5'"),
        ("YG-4", "订单编号 and 医院编码 are required")]
    assert page.cursor == "4"


def test_pushes_are_written_in_the_platforms_field_names_with_the_request_id_and_local_times():
    delivery = simulated.delivery_body(DeliveryConfirmation(
        request_id="sim:delivery:YG-1:S1", platform_order_id="YG-1", delivery_no="S1",
        shipped_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC), lines=(DeliveredLine(
            line_no=1, product_code="ZJ-HC-0001", udi_di=STENT, lot="L2401", expiry=date(2028, 6, 30), quantity=2),)))
    assert delivery == {"请求流水号": "sim:delivery:YG-1:S1", "订单编号": "YG-1", "配送单号": "S1",
                        "配送时间": "2026-12-01 10:00:00", "配送明细": [
                            {"明细序号": 1, "产品编码": "ZJ-HC-0001", "UDI-DI": STENT, "批号": "L2401",
                             "有效期至": "2028-06-30", "配送数量": 2}]}
    invoice = simulated.invoice_body(PlatformInvoice(
        request_id="r", platform_order_id="YG-1", invoice_no="25332000000012345678", invoiced_on=date(2026, 12, 2),
        amount=Decimal("2892.80"), tax_amount=Decimal("332.80"), delivery_no="S1"))
    assert (invoice["发票号码"], invoice["开票日期"], invoice["价税合计"], invoice["税额"]) == (
        "25332000000012345678", "2026-12-02", "2892.80", "332.80")


@pytest.mark.parametrize(("answer", "expected"), [
    (lambda request: httpx.Response(503, json={"code": 503, "message": "系统维护中"}), PlatformUnavailable),
    (lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"), PlatformUnavailable),
    (lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)), PlatformUnavailable),
    (lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)), PlatformUnavailable),
    (lambda request: httpx.Response(400, json={"code": 40401, "message": "订单不存在"}), PlatformRefused),
    (lambda request: httpx.Response(200, json={"code": 1001, "message": "签名错误"}), PlatformRefused),
])
def test_the_adapter_answers_an_outage_as_unavailable_and_a_refusal_as_refused(answer, expected):
    connector = simulated.SimulatedPlatformConnector("http://platform.test", transport=httpx.MockTransport(answer))
    with pytest.raises(expected):
        connector.pull_orders(None)
    connector.close()


def test_the_adapter_pulls_by_cursor():
    seen = []

    def platform(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, json={"code": 0, "message": "成功", "data": {
            "订单列表": [platform_order("YG-1")], "下一游标": "8"}})

    connector = simulated.SimulatedPlatformConnector("http://platform.test", transport=httpx.MockTransport(platform))
    page = connector.pull_orders("7", limit=1)
    assert (seen, [o.platform_order_id for o in page.orders], page.cursor) == ([{"limit": "1", "cursor": "7"}],
                                                                               ["YG-1"], "8")


# --- the sync's rules ---------------------------------------------------------------------------------------------

@dataclass
class FakePlatform:
    """A platform connector in memory, reading its feed through the adapter's mapping."""

    feed: list[dict] = field(default_factory=list)
    acceptances: list[Acceptance] = field(default_factory=list)
    down: bool = False
    refuse: set[str] = field(default_factory=set)  # platform order ids whose pushes it refuses
    received: list[tuple[str, Any]] = field(default_factory=list)  # pushes, duplicates included
    name: str = "sim"

    def _up(self) -> None:
        if self.down:
            raise PlatformUnavailable("HTTP 503")

    def pull_orders(self, cursor: str | None, limit: int = 100) -> Any:
        self._up()
        start = int(cursor or 0)
        return simulated.page_of_orders({"订单列表": self.feed[start:start + limit],
                                         "下一游标": str(start + len(self.feed[start:start + limit]))}, cursor)

    def _push(self, kind: str, value: Any) -> None:
        self._up()
        if value.platform_order_id in self.refuse:
            raise PlatformRefused("HTTP 400 code 40401: 订单不存在")
        self.received.append((kind, value))

    def confirm_distribution(self, confirmation: Any) -> None:
        self._push("distribution", confirmation)

    def confirm_delivery(self, delivery: Any) -> None:
        self._push("delivery", delivery)

    def push_invoice(self, invoice: Any) -> None:
        self._push("invoice", invoice)

    def pull_acceptances(self, cursor: str | None, limit: int = 100) -> AcceptancePage:
        self._up()
        start = int(cursor or 0)
        chunk = self.acceptances[start:start + limit]
        return AcceptancePage(acceptances=tuple(chunk), cursor=str(start + len(chunk)))


@pytest.fixture
def facts() -> KnownFacts:
    facts = KnownFacts()
    facts.licence("distribution_licence")  # the 配送企业 the platform names may deliver class III and II
    facts.licence("filing_certificate")
    return facts


@pytest.fixture
def world(facts):  # noqa: ANN201
    app = OrderApplication.in_memory(Settings(ERP_ENV="test"))
    ledger = sync.InMemoryPlatformLedger()
    ledger.map_party("sim", "hospital", "H330100001", HOSPITAL)
    ledger.map_party("sim", "distributor", "PS3301", DISTRIBUTOR)
    prices, credit = priced_facts(), InMemoryCreditFacts()

    def unit_of_work() -> OrderUnitOfWork:
        return OrderUnitOfWork(app, sale_facts=facts, price_facts=prices, credit_facts=credit)

    yield FakePlatform(), ledger, unit_of_work, app
    app.close()


def stored(app: OrderApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=1000))


def test_platform_orders_are_placed_by_the_normal_rules_with_their_platform_id_kept(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1", (STENT, 2)), platform_order("YG-2", (CATHETER, 1))]
    report = sync.sync_orders(platform, ledger, unit_of_work)
    assert (report.placed, report.duplicates, report.refused, ledger.cursor("sim", "orders")) == (
        ["YG-1", "YG-2"], [], [], "2")
    order = app.get_aggregate(sync.order_id_for("sim", "YG-1"), SalesOrder)
    assert (order.customer_reference, order.hospital_id, order.ship_to_distributor_id, order.status) == (
        "YG-1", HOSPITAL, DISTRIBUTOR, "placed")
    assert order.lines[0]["price_source"] == "list"  # priced by the rulebook: the platform's 采购单价 is not an override
    assert order.requested_delivery_date == TODAY + timedelta(days=10)
    envelope = app.envelope(app.recorder.select_notifications(start=1, limit=1)[0])
    assert (envelope.actor, envelope.correlationid) == ("platform:sim", "sim:YG-1")
    assert ledger.orders("sim")[0].lines == ({"line_no": 1, "product_code": "ZJ-HC-0001", "udi_di": STENT,
                                              "quantity": 2, "unit_price": "1446.40"},)
    assert [(r.platform_order_id, r.status, r.order_id) for r in ledger.orders("sim")] == [
        ("YG-1", "placed", order.id), ("YG-2", "placed", sync.order_id_for("sim", "YG-2"))]
    assert [(m.message_id, m.kind, m.payload) for m in ledger.outbox("sim")] == [
        ("sim:distribution:YG-1", "distribution", {"platform_order_id": "YG-1", "distributor_name": "华东医疗"}),
        ("sim:distribution:YG-2", "distribution", {"platform_order_id": "YG-2", "distributor_name": "华东医疗"})]


def test_an_order_sent_twice_is_placed_once_within_a_page_or_later(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1"), platform_order("YG-1")]
    first = sync.sync_orders(platform, ledger, unit_of_work)
    platform.feed.append(platform_order("YG-1", (STENT, 5)))  # resent, even changed: the first one stands
    second = sync.sync_orders(platform, ledger, unit_of_work)
    assert (first.placed, first.duplicates, second.placed, second.duplicates) == (["YG-1"], ["YG-1"], [], ["YG-1"])
    assert stored(app) == 1
    assert len(ledger.outbox("sim")) == 1 and ledger.cursor("sim", "orders") == "3"


def test_an_order_the_rules_refuse_is_recorded_with_its_rule_and_not_tried_again(world, facts):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1", ("09506000134383", 1)),  # an item the order service does not know
                      platform_order("YG-2", hospital="H999"),  # a hospital code nobody mapped
                      platform_order("YG-3", (None, 1)),  # a line without a UDI-DI
                      platform_order("YG-4", (STENT, 1))]
    report = sync.sync_orders(platform, ledger, unit_of_work)
    assert report.refused == [("YG-1", "registered-item"), ("YG-2", "platform-hospital-mapped"),
                              ("YG-3", "platform-line-udi-di")]
    assert report.placed == ["YG-4"]
    refused = {r.platform_order_id: (r.rule, r.field) for r in ledger.orders("sim", "refused")}
    assert refused == {"YG-1": ("registered-item", "lines[0].gtin"), "YG-2": ("platform-hospital-mapped", "医院编码"),
                       "YG-3": ("platform-line-udi-di", "lines[0].udi_di")}
    assert ledger.orders("sim", "refused")[0].received["订单编号"] == "YG-1"  # what the platform sent, for the desk
    assert stored(app) == 1 and [m.message_id for m in ledger.outbox("sim")] == ["sim:distribution:YG-4"]
    platform.feed.append(platform_order("YG-1", ("09506000134383", 1)))  # resent: recorded, so not placed again
    again = sync.sync_orders(platform, ledger, unit_of_work)
    assert (again.duplicates, again.refused, stored(app)) == (["YG-1"], [], 1)


def test_an_inactive_hospital_is_refused_by_pre_validation(world, facts):
    platform, ledger, unit_of_work, app = world
    facts.hospitals.clear()
    platform.feed.append(platform_order("YG-1"))
    assert sync.sync_orders(platform, ledger, unit_of_work).refused == [("YG-1", "registered-hospital")]
    assert stored(app) == 0


def test_an_unreadable_record_is_recorded_as_refused_and_the_feed_goes_on(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1", (STENT, 0)), platform_order("YG-2")]
    report = sync.sync_orders(platform, ledger, unit_of_work)
    assert (report.refused, report.placed) == ([("YG-1", "platform-order-readable")], ["YG-2"])
    assert ledger.cursor("sim", "orders") == "2"


def test_an_outage_on_the_pull_changes_nothing_and_a_crash_before_the_record_re_pulls_without_placing_twice(world):
    platform, ledger, unit_of_work, app = world
    platform.feed.append(platform_order("YG-1"))
    platform.down = True
    with pytest.raises(PlatformUnavailable):
        sync.sync_orders(platform, ledger, unit_of_work)
    assert (ledger.cursor("sim", "orders"), stored(app), ledger.orders("sim")) == (None, 0, [])
    platform.down = False

    class Crash(Exception):
        pass

    record_batch = ledger.record_batch
    ledger.record_batch = lambda *args, **kwargs: (_ for _ in ()).throw(Crash())  # the process dies after placing
    with pytest.raises(Crash):
        sync.sync_orders(platform, ledger, unit_of_work)
    assert (ledger.cursor("sim", "orders"), stored(app), ledger.outbox("sim")) == (None, 1, [])
    ledger.record_batch = record_batch
    report = sync.sync_orders(platform, ledger, unit_of_work)  # pulled again: found, recorded, its message queued
    assert (report.placed, report.duplicates, stored(app)) == ([], ["YG-1"], 1)
    assert [r.status for r in ledger.orders("sim")] == ["placed"] and len(ledger.outbox("sim")) == 1
    assert ledger.cursor("sim", "orders") == "1"


def test_the_outbox_waits_out_an_outage_with_growing_backoff_and_sends_each_message_once(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1"), platform_order("YG-2")]
    sync.sync_orders(platform, ledger, unit_of_work)
    ledger.enqueue([sync.delivery_message("sim", DeliveryConfirmation(
        request_id="", platform_order_id="YG-1", delivery_no="S1", shipped_at=datetime(2026, 12, 1, tzinfo=UTC),
        lines=(DeliveredLine(line_no=1, product_code="ZJ-HC-0001", udi_di=STENT, lot="L1", expiry=date(2028, 1, 31),
                             quantity=2),))),
        sync.invoice_message("sim", PlatformInvoice(request_id="", platform_order_id="YG-1", invoice_no="F1",
                                                    invoiced_on=date(2026, 12, 2), amount=Decimal("2892.80")))])
    ledger.enqueue([sync.invoice_message("sim", PlatformInvoice(   # the same invoice queued again: queued once
        request_id="", platform_order_id="YG-1", invoice_no="F1", invoiced_on=date(2026, 12, 2),
        amount=Decimal("2892.80")))])
    backoff = sync.Backoff(base=10, cap=60, jitter=0)
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    platform.down = True
    waits = []
    for _ in range(4):
        report = sync.send_due(platform, ledger, backoff=backoff, now=now)
        assert (report.sent, len(report.retrying)) == ([], 1)  # the round stops at the first failure
        message = next(m for m in ledger.outbox("sim") if m.message_id == report.retrying[0])
        waits.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
    assert waits == [10, 20, 40, 60]
    waiting = [m.message_id for m in ledger.due("sim", now - timedelta(seconds=1), 10)]
    assert waiting == ["sim:distribution:YG-2", "sim:delivery:YG-1:S1", "sim:invoice:YG-1:F1"]  # YG-1 waits its turn
    platform.down = False
    report = sync.send_due(platform, ledger, backoff=backoff, now=now)
    assert report.sent == ["sim:distribution:YG-1", "sim:distribution:YG-2", "sim:delivery:YG-1:S1",
                           "sim:invoice:YG-1:F1"]
    assert sync.send_due(platform, ledger, backoff=backoff, now=now + timedelta(days=1)).sent == []
    assert [(kind, value.request_id) for kind, value in platform.received] == [
        ("distribution", "sim:distribution:YG-1"), ("distribution", "sim:distribution:YG-2"),
        ("delivery", "sim:delivery:YG-1:S1"), ("invoice", "sim:invoice:YG-1:F1")]
    delivered = platform.received[2][1]
    assert (delivered.lines[0].lot, delivered.lines[0].expiry, platform.received[3][1].amount) == (
        "L1", date(2028, 1, 31), Decimal("2892.80"))


def test_a_push_the_platform_refuses_is_dead_with_its_answer_and_does_not_block_the_others(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1"), platform_order("YG-2")]
    sync.sync_orders(platform, ledger, unit_of_work)
    platform.refuse.add("YG-1")
    report = sync.send_due(platform, ledger)
    assert (report.dead, report.sent) == (["sim:distribution:YG-1"], ["sim:distribution:YG-2"])
    dead = ledger.outbox("sim")[0]
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "HTTP 400 code 40401: 订单不存在")
    assert sync.send_due(platform, ledger, now=datetime.now(UTC) + timedelta(days=1)).dead == []


def test_acceptances_are_kept_against_the_orders_the_sync_placed(world):
    platform, ledger, unit_of_work, app = world
    platform.feed.append(platform_order("YG-1"))
    sync.sync_orders(platform, ledger, unit_of_work)
    at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    platform.acceptances += [Acceptance(acceptance_id="YS-1", platform_order_id="YG-1", accepted_at=at, quantity=2),
                             Acceptance(acceptance_id="YS-2", platform_order_id="YG-9", accepted_at=at, quantity=1)]
    assert sync.sync_acceptances(platform, ledger) == 1
    assert sync.sync_acceptances(platform, ledger) == 0
    assert [(a.acceptance_id, a.order_id) for a in ledger.acceptances.values()] == [
        ("YS-1", sync.order_id_for("sim", "YG-1"))]
    assert ledger.cursor("sim", "acceptances") == "2"


def test_the_order_id_is_derived_from_the_platform_and_its_order_id():
    assert sync.order_id_for("sim", "YG-1") == sync.order_id_for("sim", "YG-1")
    assert len({sync.order_id_for("sim", "YG-1"), sync.order_id_for("sim", "YG-2"),
                sync.order_id_for("zj", "YG-1")}) == 3


def test_placing_a_platform_order_is_the_placing_handler():  # the sync has no rule of its own about sales
    assert sync.placing is placing


def test_an_order_the_desks_input_rules_refuse_is_recorded_with_the_field_not_retried_forever(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1", 收货地址="杭州市" * 200), platform_order("YG-2")]
    report = sync.sync_orders(platform, ledger, unit_of_work)
    assert (report.placed, stored(app)) == (["YG-2"], 1)
    refused = ledger.orders("sim", "refused")[0]
    assert (refused.platform_order_id, refused.rule, refused.field) == ("YG-1", "string_too_long", "delivery_address")
    platform.feed += [platform_order("YG-3", ("09506000134353", 1)),  # a wrong check digit: the desk's 422 too
                      platform_order("Y" * 101)]  # longer than an order's reference
    report = sync.sync_orders(platform, ledger, unit_of_work)
    assert [(r.rule, r.field) for r in ledger.orders("sim", "refused")[1:]] == [
        ("value_error", "lines[0].gtin"), ("string_too_long", "customer_reference")]


def test_an_order_placed_before_a_crash_is_found_even_if_its_hospital_was_unmapped_since(world):
    platform, ledger, unit_of_work, app = world
    platform.feed.append(platform_order("YG-1"))
    record_batch = ledger.record_batch
    ledger.record_batch = lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("crash"))
    with pytest.raises(RuntimeError):
        sync.sync_orders(platform, ledger, unit_of_work)
    ledger.record_batch = record_batch
    ledger.parties.clear()
    report = sync.sync_orders(platform, ledger, unit_of_work)
    assert (report.duplicates, report.refused, [r.status for r in ledger.orders("sim")]) == (["YG-1"], [], ["placed"])


def test_the_desk_places_a_refused_order_again_once_what_refused_it_is_fixed(world):
    platform, ledger, unit_of_work, app = world
    platform.feed += [platform_order("YG-1", hospital="H330100002"), platform_order("YG-2", (STENT, 0))]
    sync.sync_orders(platform, ledger, unit_of_work)
    again = sync.retry_refused("sim", "YG-1", ledger, unit_of_work)  # nothing fixed yet: refused by the rule of now
    assert (again.status, again.rule, stored(app)) == ("refused", "platform-hospital-mapped", 0)
    ledger.map_party("sim", "hospital", "H330100002", HOSPITAL)  # the desk maps the hospital's code
    placed = sync.retry_refused("sim", "YG-1", ledger, unit_of_work)
    assert (placed.status, placed.order_id, stored(app)) == ("placed", sync.order_id_for("sim", "YG-1"), 1)
    order = app.get_aggregate(placed.order_id, SalesOrder)
    assert (order.customer_reference, order.requested_delivery_date) == ("YG-1", TODAY + timedelta(days=10))
    assert [r.status for r in ledger.orders("sim")] == ["placed", "refused"]
    assert [m.message_id for m in ledger.outbox("sim")] == ["sim:distribution:YG-1"]
    with pytest.raises(NotFound):  # placed: nothing to retry
        sync.retry_refused("sim", "YG-1", ledger, unit_of_work)
    with pytest.raises(RuleViolation) as unreadable:
        sync.retry_refused("sim", "YG-2", ledger, unit_of_work)
    assert unreadable.value.rule == "platform-order-retryable"


def test_an_acceptance_is_recorded_on_its_order_once_even_when_pulled_again(world):
    platform, ledger, unit_of_work, app = world
    platform.feed.append(platform_order("YG-1"))
    sync.sync_orders(platform, ledger, unit_of_work)
    at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    platform.acceptances.append(Acceptance(acceptance_id="YS-1", platform_order_id="YG-1", accepted_at=at,
                                           delivery_no="S-1", quantity=2, rejected_quantity=1))
    record_batch = ledger.record_batch  # a crash after the event, before the ledger's batch: the page is pulled again
    ledger.record_batch = lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("crash"))
    with pytest.raises(RuntimeError):
        sync.sync_acceptances(platform, ledger, unit_of_work)
    ledger.record_batch = record_batch
    assert sync.sync_acceptances(platform, ledger, unit_of_work) == 1
    assert sync.sync_acceptances(platform, ledger, unit_of_work) == 0
    order = app.get_aggregate(sync.order_id_for("sim", "YG-1"), SalesOrder)
    assert order.platform_acceptances == [{
        "platform": "sim", "acceptance_id": "YS-1", "platform_order_id": "YG-1", "delivery_no": "S-1",
        "accepted_quantity": 2, "rejected_quantity": 1, "accepted_at": at}]
    topics = [n.topic for n in app.recorder.select_notifications(start=1, limit=100)]
    assert sum(topic.endswith("PlatformAcceptanceRecorded") for topic in topics) == 1


def test_the_desk_maps_codes_to_registered_parties_of_its_scope_and_a_retry_of_a_placed_order_answers_it(world):
    from services.order.platforms import desk
    from shared.platform.access import EVERYTHING, DataScope
    from shared.platform.context import EventMeta
    from shared.platform.problems import Problem

    platform, ledger, unit_of_work, app = world
    prices = unit_of_work().price_facts
    with pytest.raises(RuleViolation) as kind:
        desk.map_party(ledger, prices, EVERYTHING, "sim", "supplier", "X", HOSPITAL)
    assert (kind.value.field, kind.value.rule) == ("kind", "platform-party-kind")
    with pytest.raises(RuleViolation) as wrong:  # a distributor's id for a hospital's code
        desk.map_party(ledger, prices, EVERYTHING, "sim", "hospital", "H2", DISTRIBUTOR)
    assert (wrong.value.field, wrong.value.rule) == ("party_id", "registered-hospital")
    elsewhere = DataScope(everything=False, regions=frozenset({"四川省"}))
    with pytest.raises(RuleViolation) as hidden:  # outside the caller's scope it looks unregistered
        desk.map_party(ledger, prices, elsewhere, "sim", "hospital", "H2", HOSPITAL)
    assert hidden.value.rule == "registered-hospital" and ledger.party_for("sim", "hospital", "H2") is None
    assert desk.map_party(ledger, prices, EVERYTHING, "sim", "hospital", "H2", HOSPITAL).customer_id == HOSPITAL

    platform.feed += [platform_order("YG-1"), platform_order("YG-2", hospital="H3")]
    sync.sync_orders(platform, ledger, unit_of_work)
    desk_meta = EventMeta(actor="user:desk-wang", correlation_id="c-1", reason="医院编码已对照")
    placed = desk.retry("sim", "YG-1", ledger, unit_of_work, EVERYTHING, desk_meta)
    assert (placed.status, placed.order_id) == ("placed", sync.order_id_for("sim", "YG-1"))
    with pytest.raises(Problem):  # a refused order of a code mapped to nobody: outside every customer's scope
        desk.retry("sim", "YG-2", ledger, unit_of_work, elsewhere, desk_meta)
    with pytest.raises(NotFound):
        desk.retry("sim", "YG-9", ledger, unit_of_work, EVERYTHING, desk_meta)
    ledger.map_party("sim", "hospital", "H3", HOSPITAL)
    retried = desk.retry("sim", "YG-2", ledger, unit_of_work, EVERYTHING, desk_meta)
    assert retried.status == "placed"
    placed_event = app.mapper.to_domain_event(app.recorder.select_notifications(start=1, limit=100)[-1])
    assert (placed_event.meta["actor"], placed_event.meta["reason"]) == ("user:desk-wang", "医院编码已对照")
