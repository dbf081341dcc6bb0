"""Producers: every event each service stores maps to its public contract and validates against the schema.

The domain is driven through every command (pure, no I/O), so an event type added without a
contract, or a field renamed on one side only, fails here.
"""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import jsonschema

from services.billing.application import BillingApplication
from services.billing.domain import Invoice, price_lines
from services.channel.application import ChannelApplication
from services.channel.domain import Distributor, Hospital
from services.inventory.application import InventoryApplication
from services.channel.domain.territories import TerritoryRegister, grant_of
from services.inventory.domain.consignment import ConsignmentLocation
from services.inventory.domain import Fulfilment, StockItem, Supplier
from services.order.application import OrderApplication
from services.order.domain import SalesOrder
from services.traceability.application import TraceabilityApplication
from shared.events import EVENT_TYPES
from shared.events.schemas import SCHEMA_DIR
from shared.platform.context import acting_as
from services.channel.domain.price_books import PriceList, PricingRuleBook
from shared.platform.deadletters import DeadLetterCase, DeadLetterSkipProposal

GTIN = "09506000134352"


def every_domain_event() -> list:
    order_id, shipment_id, hospital_id = uuid4(), uuid4(), uuid4()
    with acting_as("user:contract-test"):
        hospital = Hospital(hospital_id=hospital_id, name="H", province="四川省", city="成都市", grade="3A")
        distributor = Distributor(distributor_id=uuid4(), name="D", region="江苏省", tier="gold",
                                  contact={"name": "周经理", "email": "zhou@example.cn"})
        hospital.change_contact({"name": "设备科 王主任", "phone": "+86 28 8542 2114"})
        distributor.record_licence("distribution_licence", "苏食药监械经营许20200001号", date(2024, 1, 1),
                                   date(2029, 1, 1), "III类: 6846 植入材料和人工器官")
        distributor.change_contact({"name": "周经理", "phone": "025-8888 6666"})
        hospital.record_licence("practice_licence", "PDY00001X51010011A1001", date(2024, 1, 1), date(2029, 1, 1),
                                "内科;外科;心血管内科专业")
        hospital.add_alias("华西医院")
        hospital.set_active(False)
        distributor.set_active(False)
        price_list = PriceList(price_list_id=uuid4(), name="2026 目录价", currency="CNY", tax_included=True)
        price_list.set_price(GTIN, Decimal("1280.0000"), date(2026, 1, 1), None)
        rule_book = PricingRuleBook()
        rule_book.save_rule({"rule_id": "zj-5", "name": "浙江95折", "priority": 10, "scope": {"provinces": ["浙江省"]},
                             "valid_from": date(2026, 1, 1), "valid_to": None,
                             "effect": {"kind": "discount_percent", "value": "5"}})
        rule_book.record_tender_price({"tender_price_id": "vbp-1", "gtin": GTIN, "kind": "award",
                                       "price": Decimal("700.0000"), "province": "浙江省", "hospitals": [],
                                       "valid_from": date(2026, 1, 1), "valid_to": date(2027, 12, 31),
                                       "reference": "国家组织冠脉支架集中带量采购",
                                       "agreed_volumes": {str(hospital_id): 1200}})
        order = SalesOrder(order_id=order_id, hospital_id=hospital_id, customer_reference="PO-1", currency="CNY",
                           lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2, "unit_price": Decimal("10.00"),
                                   "min_remaining_shelf_life_days": 180}],
                           requested_delivery_date=date(2026, 12, 1))
        order.mark_reserved([{"gtin": GTIN, "lot": "L1", "expiry": date(2030, 1, 1), "quantity": 2}])
        order.record_shipment(shipment_id)
        order.record_platform_acceptance("sim", "YS-0001", "YG-1", str(shipment_id), 2, 0,
                                         datetime(2026, 11, 26, 2, 30, tzinfo=UTC))
        assert not order.record_platform_acceptance("sim", "YS-0001", "YG-1", str(shipment_id), 2, 0,
                                                    datetime(2026, 11, 26, 2, 30, tzinfo=UTC))  # pulled again
        backordered = SalesOrder(order_id=uuid4(), hospital_id=hospital_id, customer_reference=None, currency="CNY",
                                 lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2, "unit_price": Decimal("10.00")}])
        backordered.backorder("no stock")
        order_events = commercial_events(hospital_id, order_id)
        supplier = Supplier(supplier_id=uuid4(), name="S", credit_code=None)
        supplier.record_qualification("business_licence", "BL-1", date(2024, 1, 1), date(2030, 1, 1))
        item = StockItem(gtin=GTIN, name="Stent", device_class=3)
        item.receive_lot("L1", date(2030, 1, 1), 5, "WH1", today=date(2026, 11, 24), supplier_id=supplier.id,
                         receipt_id=uuid4(), serials=["S1", "S2", "S3", "S4", "S5"], production_date=date(2025, 1, 1),
                         location="A-01-02", near_expiry_days=90)
        item.receive_lot("L2", date(2027, 1, 1), 5, "WH1", today=date(2026, 11, 24))
        item.inspect_lot("L1", "WH1", "available", None)
        item.inspect_lot("L2", "WH1", "rejected", "damaged packaging")
        item.hold_lot("L1", "complaint")
        item.release_hold("L1", "investigated: no defect")
        recall_id = str(uuid4())
        item.recalls.stop(recall_id, ["L2"], ["S1"], "recall RC-2026-0001: 输送系统回撤困难")
        item.recalls.lift(recall_id, ["L2"], ["S1"], "recall_closed", "recall closed")
        item.allocate(order_id, 2, date(2026, 11, 24), date(2026, 12, 1), 180)
        item.ship_allocated(order_id, shipment_id, "WH1")
        fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=hospital_id,
                                lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2, "min_remaining_shelf_life_days": 180}],
                                requested_delivery_date=date(2026, 12, 1))
        fulfilment.reserve(order_id=order_id, lines=[
            {"line_no": 1, "gtin": GTIN, "lot": "L1", "expiry": date(2030, 1, 1), "warehouse": "WH1", "quantity": 2}])
        fulfilment.dispatch(shipment_id, "WH1", "SF Express", "SF1", datetime.now(UTC))
        outbound = outbound_events(item, fulfilment, shipment_id)
        rejected = Fulfilment(order_id=uuid4(), ship_to_hospital_id=hospital_id,
                              lines=[{"line_no": 1, "gtin": GTIN, "quantity": 9}])
        rejected.reject(order_id=rejected.order_id, reason="no stock",
                        shortages=[{"gtin": GTIN, "requested": 9, "available": 0}])
        invoice = Invoice.raise_for(shipment_id, order_id, hospital_id, "CNY",
                                    price_lines([{"gtin": GTIN, "lot": "L1", "quantity": 2}], {GTIN: Decimal("10.00")}),
                                    number="INV-2026-000001", issued_on=date(2026, 12, 1), due_on=date(2027, 3, 1),
                                    payment_terms_days=90, payment_terms_source="default")
        from services.billing.domain import DocumentSeries, Payment, Statement
        series = DocumentSeries(series="CN-2026")
        credit_note_id = uuid4()
        invoice.issue_credit_note(credit_note_id, series.number_for(credit_note_id)[0], "return",
                                  invoice.credit_note_lines([{"line_no": 1, "quantity": 1}]), date(2026, 12, 2))
        payment = Payment.receive(uuid4(), hospital_id, Decimal("10.00"), "CNY", date(2026, 12, 3), "BR-20261203-01",
                                  "浙江省人民医院", "CNY")
        payment.allocate(invoice.id, hospital_id, Decimal("10.00"), date(2026, 12, 3))
        invoice.apply_payment(payment.id, Decimal("10.00"), date(2026, 12, 3))
        invoice.unapply_payment(payment.id, "退票", date(2026, 12, 4))
        payment.reverse("退票", date(2026, 12, 4))
        statement = Statement.issue(hospital_id, "CNY", date(2026, 12, 1), date(2026, 12, 31), Decimal("0.00"), [
            {"kind": "invoice", "document_id": invoice.id, "number": "INV-2026-000001", "on": date(2026, 12, 1),
             "due_on": date(2027, 3, 1), "amount": Decimal("22.60")}], {"not_due": Decimal("22.60")})
        statement.dispute(1, "数量不符")
        statement.resolve(1, "upheld", "红冲一支")
        confirmed = Statement.issue(hospital_id, "CNY", date(2026, 11, 1), date(2026, 11, 30), Decimal("0.00"), [], {})
        confirmed.confirm("user:hospital-finance")
        from services.billing.domain.ledger import LedgerPeriod
        ledger = LedgerPeriod(period="2026-11", vouchers=2, lines=5, debit_total=Decimal("32.60"), digest="0" * 64)
        ledger.export_again(2, 5, Decimal("32.60"), "1" * 64, "金蝶导入失败，重新导出")
        from services.billing.domain.bank_statement import BankStatement
        bank = BankStatement.import_lines("2" * 64, "流水-202612.xlsx", [
            {"row": 2, "on": date(2026, 12, 3), "amount": Decimal("22.60"), "payer": "浙江省人民医院",
             "memo": "货款 INV-2026-000001", "bank_reference": "BR-20261203-01", "customer_id": hospital_id,
             "matched_by": "invoice_number", "invoice_ids": [invoice.id]},
            {"row": 3, "on": date(2026, 12, 3), "amount": Decimal("5.00"), "payer": "某某公司", "memo": "",
             "bank_reference": "BR-20261203-02", "customer_id": None, "matched_by": None, "invoice_ids": []}])
        bank.match(2, hospital_id)
        from services.billing.domain.two_invoices import SecondInvoice
        second = SecondInvoice(distributor_id=distributor.id, number="25332000000012345678", hospital_id=hospital_id,
                               issued_on=date(2026, 12, 5), province="浙江省", rule_applies=True, lines=[
                                   {"line_no": 1, "gtin": GTIN, "lot": "L1", "quantity": 1,
                                    "first_invoice_number": "INV-2026-000001", "first_invoice_id": invoice.id,
                                    "flag": "third-invoice"}])
        from services.billing.domain import OpeningReceivable
        opening = OpeningReceivable.record(hospital_id, "hospital", "04457821", "CNY", date(2026, 7, 1),
                                           date(2026, 8, 1), Decimal("5000.00"), Decimal("8000.00"), note="部分回款",
                                           today=date(2026, 12, 1))  # an old invoice taken over at go-live
        skipped = DeadLetterCase(dead_letter_id=uuid4(), consumer="channel-directory", skipped_event_id="channel-3",
                                 skipped_event_type="erp.channel.HospitalRegistered", topic="channel.events",
                                 partition=0, offset=2, error="ValueError: bad", reason="a duplicate registration",
                                 proposed_by="user:alice")
        proposal = DeadLetterSkipProposal(dead_letter_id=skipped.id, consumer="channel-directory",
                                          reason="a duplicate registration", proposed_by="user:alice")
        proposal.propose_again(dead_letter_id=skipped.id, consumer="channel-directory", reason="a duplicate",
                               proposed_by="user:carol")
        planned = Fulfilment(order_id=uuid4(), ship_to_hospital_id=hospital_id, lines=[
            {"line_no": 1, "gtin": GTIN, "quantity": 4, "deliveries": [{"date": date(2026, 12, 1), "quantity": 2},
                                                                        {"date": date(2027, 1, 4), "quantity": 2}]}])
        later = [{"line_no": 1, "gtin": GTIN, "quantity": 2, "delivery_date": date(2027, 1, 4)}]
        planned.schedule(later)
        planned.make_due(later)
        distributor.authorize("SQ-2026-001", [GTIN], ["冠脉支架"], ["四川省"], [hospital_id], date(2026, 1, 1),
                              date(2026, 12, 31))
        distributor.revoke_authorization("SQ-2026-001")
        distributor.authorize("SQ-2026-002", [GTIN], [], [], [], date(2026, 1, 1), date(2026, 12, 31), False,
                              [{"province": "四川省", "city": "成都市"}])
        parent = Distributor(distributor_id=uuid4(), name="P", region="江苏省", tier="gold")
        parent.place("tier_1", None)
        distributor.place("tier_2", parent)
        distributor.set_target("2026-Q4", Decimal("1200000.00"), 1500)
        register = TerritoryRegister()
        register.claim(distributor.id, grant_of("SQ-2026-001", [GTIN], ["冠脉支架"], ["四川省"],
                                                {str(hospital_id): "四川省"}, date(2026, 1, 1), date(2026, 12, 31), True))
        register.release(distributor.id, "SQ-2026-001")
        from services.channel.domain.diversion import DiversionAlert
        alert = DiversionAlert(report_id=uuid4(), line_no=2, report_reference="HD-2026-11",
                               distributor_id=distributor.id, hospital_id=hospital_id, province="浙江省", gtin=GTIN,
                               lot="L1", serials=["S1"], quantity=1, sold_at=date(2026, 11, 3),
                               authorizations=["SQ-2026-001"],
                               problem="its authorizations for this product do not cover 浙江省")
        alert.resolve("confirmed", "警告并扣减当季返利")
        from services.channel.domain.rebate_programmes import RebateAccount, RebateProgramme
        rebate = RebateProgramme.define("FL-2026", "2026 一级经销商返利", "sell_in", "amount", "marginal", True, "quarter",
                                        date(2026, 1, 1), date(2026, 12, 31), [distributor.id], ["tier_1"], [GTIN], [],
                                        [{"from": "0", "to": "100000", "rate": "2"},
                                         {"from": "100000", "to": None, "rate": "3.5"}])
        account = RebateAccount(programme_id=rebate.id, distributor_id=distributor.id)
        account.propose("RS-1", "2026-Q1", Decimal("2600.00"), "invoice_discount", "user:zhou", None)
        account.decide("RS-1", True, "user:li")
        account.propose("RS-2", "2026-Q2", Decimal("2700.00"), "free_goods", "user:zhou", GTIN, Decimal("70.00"))
        account.decide("RS-2", True, "user:li")  # 货补: 100 due pays for 1 unit of 70
        account.propose("RS-3", "2026-Q3", Decimal("2800.00"), "invoice_discount", "user:zhou", None)
        account.decide("RS-3", False, "user:li")
        from services.channel.domain.promotions import Promotion
        from services.order.domain.promotions import PromotionBudget
        promotion = Promotion.launch("Q4-ZJ", "浙江四季度支架促销", Decimal("50000.00"), date(2026, 10, 1),
                                     date(2026, 12, 31), {"provinces": ["浙江省"], "gtins": [GTIN]},
                                     {"kind": "discount_percent", "value": "8"}, "user:pricing-li")
        budget = PromotionBudget(rule_id=promotion.rule_id, budget=Decimal("50000.00"))
        budget.spend(order_id, Decimal("231.42"))
        from services.billing.domain import RebateAllowance
        allowance = RebateAllowance(distributor_id=distributor.id)
        allowance.grant(f"{account.id}:RS-1", Decimal("2600.00"))
        allowance.apply(invoice.id, Decimal("22.60"))
        allowance.restore(invoice.id, "CN-2026-000003", Decimal("22.60"))  # a full 红冲 gave it back
        loaner = ConsignmentLocation(kind="loaner", consignee_id=hospital_id, hospital_id=hospital_id,
                                     loaner_order_id=order_id)
        loaner.place(order_id, shipment_id, [{"line_no": 1, "gtin": GTIN, "lot": "L1", "expiry": date(2030, 1, 1),
                                              "quantity": 2, "serials": ["S4", "S5"]}])
        loaner.use(uuid4(), [{"gtin": GTIN, "lot": "L1", "quantity": 1, "serials": ["S4"]}], date(2026, 12, 2),
                   "手术 2026-1202-03")
        loaner.take_back(uuid4(), [{"gtin": GTIN, "lot": "L1", "quantity": 1, "serials": ["S5"]}])
    aggregates = [hospital, distributor, price_list, rule_book, order, backordered, supplier, item, fulfilment,
                  rejected, invoice, skipped, proposal, loaner, planned, register, alert, rebate, account,
                  allowance, parent, promotion, budget, series, payment, statement, confirmed, ledger,
                  bank, second, opening, *outbound]
    return ([event for aggregate in aggregates for event in aggregate.collect_events()] + stock_control_events()
            + traceability_events() + order_events)


def commercial_events(hospital_id, order_id) -> list:  # noqa: ANN001
    """Quotes (approved and rejected), a contract (signed, amended, called off, terminated), orders held for a typed
    price (approved and rejected). Call inside acting_as."""
    from services.order.domain.contracts import Contract
    from services.order.domain.quotes import Quote

    explanation = {"price": "1446.4000", "source": "list", "list_price": "1446.4000", "winner": None, "award": None,
                   "ceiling": None, "capped": False, "considered": []}
    line = {"line_no": 1, "gtin": GTIN, "quantity": 10, "unit_price": Decimal("1300.0000"),
            "net_unit_price": Decimal("1150.4425"), "vat_rate": Decimal("0.13"), "computed_price": Decimal("1446.4000"),
            "price_source": "manual", "price_explanation": explanation,
            "approval_reason": "deviates -10.12% from the computed price 1446.4000, beyond the 5% the desk may give"}
    quote = Quote(quote_id=uuid4(), number="Q-1", customer_id=hospital_id, customer_kind="hospital", currency="CNY",
                  price_list_id=uuid4(), valid_until=date(2026, 12, 31), lines=[line], note="年度报价")
    quote.submit("user:desk", date(2026, 12, 1))
    quote.approve("user:pricing", date(2026, 12, 1))
    quote.send(date(2026, 12, 1))
    quote.accept(date(2026, 12, 2))
    refused = Quote(quote_id=uuid4(), number="Q-2", customer_id=hospital_id, customer_kind="hospital", currency="CNY",
                    price_list_id=uuid4(), valid_until=date(2026, 12, 31), lines=[line], note=None)
    refused.submit("user:desk", date(2026, 12, 1))
    refused.reject("user:pricing", date(2026, 12, 1))
    terms = {"valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31), "payment_terms_days": 90,
             "delivery_terms": "DAP 设备科", "min_remaining_shelf_life_days": 180,
             "over_delivery_allowance_percent": Decimal("10"), "authorized_distributor_id": None,
             "lines": [{"gtin": GTIN, "unit_price": Decimal("1300.0000"), "net_unit_price": Decimal("1150.4425"),
                        "vat_rate": Decimal("0.13"), "committed_quantity": 100}]}
    contract = Contract(contract_id=uuid4(), number="C-1", template="framework", customer_id=hospital_id,
                        customer_kind="hospital", currency="CNY", terms=terms, from_quote_id=quote.id)
    contract.sign(date(2026, 1, 5))
    contract.call_off(order_id, [(GTIN, 10)], date(2026, 6, 1), None)
    contract.amend({**terms, "payment_terms_days": 120}, date(2026, 6, 2))
    contract.terminate(date(2026, 11, 30), date(2026, 11, 1))
    typed = [{"gtin": GTIN, "quantity": 1, "unit_price": Decimal("900.00"), "gross_unit_price": Decimal("1017.0000"),
              "vat_rate": Decimal("0.13"), "price_source": "manual", "price_explanation": explanation}]
    held = SalesOrder.place(uuid4(), hospital_id, None, "CNY", typed, placed_by="user:desk")
    held.approve_price("user:pricing")
    turned_down = SalesOrder.place(uuid4(), hospital_id, None, "CNY", typed, placed_by="user:desk")
    turned_down.reject_price("user:pricing")
    over_credit = SalesOrder.place(uuid4(), hospital_id, None, "CNY", typed, placed_by="user:desk",
                                   credit_problems=["credit-limit-exceeded: exposure 90000.00 plus this order 1017.00"
                                                    " is above the limit 90000.00"])
    over_credit.hold("manual")
    over_credit.approve_price("user:pricing")
    over_credit.release_hold("credit", "user:finance", date(2026, 12, 31))
    over_credit.release_hold("manual", "user:supervisor")
    from services.inventory.domain import Fulfilment
    from services.order.domain.credit import CreditLimit

    limit = CreditLimit(customer_id=hospital_id, terms={
        "currency": "CNY", "limit": Decimal("90000.00"), "valid_from": date(2026, 1, 1), "valid_to": None,
        "max_order_value": Decimal("50000.00"), "overdue_days": 30, "overdue_share_percent": Decimal("10"),
        "payment_terms_days": 120})
    limit.change({**limit.terms, "limit": Decimal("120000.00")})
    fulfilment = Fulfilment(order_id=over_credit.id, ship_to_hospital_id=hospital_id,
                            lines=[{"line_no": 1, "gtin": GTIN, "quantity": 1}])
    fulfilment.hold("compliance")
    fulfilment.release("compliance")
    fulfilment.replan([{"line_no": 1, "gtin": GTIN, "quantity": 2}], date(2026, 12, 20))
    fulfilment.refuse_amendment("already shipped: it is no longer amended")
    fulfilment.refuse_cancellation("already shipped: 1 shipment(s) left")
    fulfilment.cancel()
    contract.release_call_off(order_id)
    cancelled = SalesOrder.place(uuid4(), hospital_id, None, "CNY", typed, placed_by="user:desk")
    cancelled.cancel()  # still on hold: cancelled at once
    in_fulfilment = SalesOrder.place(uuid4(), hospital_id, None, "CNY", [{**typed[0], "price_source": "list"}])
    in_fulfilment.amend([{**in_fulfilment.lines[0], "quantity": 3}], date(2026, 12, 20), ["credit"],
                        "credit-limit-exceeded", "user:desk")
    in_fulfilment.refuse_amendment("already shipped")
    in_fulfilment.amend([{**in_fulfilment.lines[0], "quantity": 2}], None, [], None, "user:desk")
    in_fulfilment.confirm_amendment()
    in_fulfilment.cancel()
    in_fulfilment.cancellation_refused("already shipped")
    from services.inventory.domain import StockItem

    item = StockItem(gtin=GTIN, name="Stent", device_class=3)
    item.receive_lot("C1", date(2030, 1, 1), 5, "WH1", today=date(2026, 11, 24))
    item.inspect_lot("C1", "WH1", "available", None)
    item.allocate(in_fulfilment.id, 2, date(2026, 11, 24))
    item.deallocate(in_fulfilment.id)
    item.master.set_sales_block(True)
    item.master.set_sales_block(False)
    item.master.set_product_group("冠脉支架")
    item.master.set_insurance_code("C0203011230010001234")
    return [event for aggregate in (quote, refused, contract, held, turned_down, over_credit, limit, fulfilment,
                                    cancelled, in_fulfilment, item) for event in aggregate.collect_events()]


def outbound_events(item: StockItem, fulfilment: Fulfilment, shipment_id) -> list:  # noqa: ANN001
    """Picking by scan, delivery, acceptance, a return and a kit assembly (call inside acting_as)."""
    from services.inventory.domain.fulfilment import Scan

    picked = Fulfilment(order_id=uuid4(), ship_to_hospital_id=uuid4(), lines=[{"line_no": 1, "gtin": GTIN, "quantity": 1}])
    picked.reserve(order_id=picked.order_id, lines=[
        {"line_no": 1, "gtin": GTIN, "lot": "L1", "expiry": date(2030, 1, 1), "warehouse": "WH1", "quantity": 1}],
        picking_required=True)
    picked.confirm_picks([Scan(gtin=GTIN, lot="L1", serial="S5")], {(GTIN, "L1"): {"S1", "S2", "S3", "S4", "S5"}})
    fulfilment.confirm_delivery(shipment_id, datetime.now(UTC), "王护士长")
    fulfilment.accept(shipment_id, "李明", datetime.now(UTC),
                      [{"gtin": GTIN, "lot": "L1", "kind": "damaged", "quantity": 1, "note": "破损"}], None)
    return_id = uuid4()
    for line in fulfilment.record_return(return_id, shipment_id, "damaged", "restock", "WH-RET",
                                         [{"gtin": GTIN, "lot": "L1", "quantity": 1}], None):
        item.returns.receive(line["lot"], line["expiry"], "WH-RET", line["quantity"], return_id=return_id,
                             order_id=fulfilment.order_id, shipment_id=shipment_id, reason="damaged",
                             disposition="restock")
    kit, assembly_id = StockItem(gtin="09506000134383", name="Stent kit", device_class=3), uuid4()
    consumed = item.kits.consume_components(assembly_id, kit.gtin, "K1",
                                            [{"lot": "L1", "warehouse": "WH1", "quantity": 1}], date(2026, 11, 24))
    kit.kits.assemble(assembly_id, "K1", 1, "WH1", [{"gtin": GTIN, **c} for c in consumed], None)
    return [picked, kit]


APPLICATIONS = {
    "channel": ChannelApplication, "order": OrderApplication, "inventory": InventoryApplication,
    "billing": BillingApplication, "traceability": TraceabilityApplication,
}


def test_every_stored_event_maps_to_a_contract_that_validates():
    produced = set()
    for event in every_domain_event():
        # erp.ops events are in no service's own mapping: every service publishes them.
        app_class = next((a for a in APPLICATIONS.values() if type(event) in a.published), ChannelApplication)
        payload = app_class.to_payload(event)
        schema = json.loads((SCHEMA_DIR / f"{payload.event_type()}.v{payload.schema_version}.json").read_text())
        jsonschema.validate(payload.model_dump(mode="json"), schema)
        assert str(getattr(payload, payload.subject_field)) == str(event.originator_id)
        produced.add(payload.event_type())
    assert produced == set(EVENT_TYPES), f"never produced in this test: {set(EVENT_TYPES) - produced}"


def test_every_published_mapping_points_at_the_producers_own_contracts():
    for service, app_class in APPLICATIONS.items():
        for contract in app_class.published.values():
            assert contract.producer == service, f"{app_class.__name__} publishes {contract.event_type()}"


def test_hospitals_are_published_as_hospital_registered_v2():
    with acting_as("user:contract-test"):
        (event,) = Hospital(hospital_id=uuid4(), name="H", province="四川省", city="成都市", grade="3A").collect_events()
    payload = ChannelApplication.to_payload(event)
    assert (payload.schema_version, payload.province, payload.city) == (2, "四川省", "成都市")
    data = payload.model_dump(mode="json")
    jsonschema.validate(data, json.loads((SCHEMA_DIR / "erp.channel.HospitalRegistered.v2.json").read_text()))
    assert "region" not in data


def stock_control_events() -> list:
    """Item master data, stock moves, a cycle count with its adjustment, a near-expiry report, a WMS message."""
    from services.inventory.domain.external import ExternalMessage

    with acting_as("user:contract-test"):
        item = StockItem(gtin=GTIN, name="Stent", device_class=3)
        item.master.add_packaging_level("box", "19506000134359", 10)
        item.master.set_registration_certificate("国械注准20193130001", "苏州医疗器械制造有限公司", date(2019, 1, 1),
                                                 date(2029, 12, 31), "冠状动脉狭窄的介入治疗")
        item.master.set_storage_conditions(2.0, 25.0, "干燥、避光")
        item.master.set_tracking(lot_tracked=True, serial_tracked=False, implant=True)
        item.receive_lot("L1", date(2027, 1, 31), 50, "WH1", today=date(2026, 11, 24))
        item.inspect_lot("L1", "WH1", "available", None)
        item.control.move("L1", "WH1", "WH2", 10, to_location="B-01", move_id="WMS-MOVE-1")
        item.control.count("L1", "WH1", 39, "盘点差异", count_id="CC-1")
        item.control.report_near_expiry(date(2026, 11, 24), [180, 90, 30])
        message = ExternalMessage(external_reference="WMS-RCV-1", kind="receipt", payload_sha256="0" * 64,
                                  result={"receipt_id": str(uuid4()), "warnings": []})
    return [event for aggregate in (item, message) for event in aggregate.collect_events()]


def traceability_events() -> list:
    """A recall case from an adverse event: opened, notified, acknowledged, units back, closed."""
    from services.traceability.domain.adverse import AdverseEvent
    from services.traceability.domain.recall import Effectiveness, RecallCase
    from services.traceability.domain.recall_number import RecallNumbers

    now, hospital_id = datetime.now(UTC), uuid4()
    with acting_as("user:contract-test"):
        adverse = AdverseEvent.report(uuid4(), gtin=GTIN, lot="L1", serial=None, udi=None, hospital_id=hospital_id,
                                      outcome="death", description="死亡病例", occurred_at=None,
                                      became_aware_at=now, now=now)
        adverse.submit(now, "ADR-1", now)
        case_id = uuid4()
        numbers = RecallNumbers.first(2026, case_id)  # the year's first number, then the next one
        numbers.issue(uuid4())
        case = RecallCase.open(case_id, "Stent recall", "NMPA", 1, "断裂风险", now, [{"gtin": GTIN, "lot": "L1"}],
                               [{"gtin": GTIN, "serial": "S1"}], now, adverse.id,
                               [{"gtin": "09506000134383", "lot": "K1"}], number=numbers.issued[str(case_id)])
        adverse.link_recall(case.id)
        case.notify(hospital_id, now, "phone", None, now)
        case.acknowledge(hospital_id, now, "王主任", None, now)
        case.record_return(hospital_id, GTIN, "L1", 2, uuid4(), now)
        drop, keep = uuid4(), uuid4()  # four eyes: one officer proposes, another approves or rejects
        case.propose_scope_reduction(drop, [{"gtin": "09506000134383", "lot": "K1"}], [{"gtin": GTIN, "serial": "S1"}],
                                     "K1 was made from another lot", "user:contract-test")
        case.propose_scope_reduction(keep, [{"gtin": GTIN, "lot": "L1"}], [], "tested compliant", "user:contract-test")
        case.approve_scope_reduction(drop, "user:second-officer")
        case.reject_scope_reduction(keep, "user:second-officer", "still at risk")
        case.request_closure(now, "done", "user:contract-test", now)  # four eyes again
        case.close("user:second-officer", Effectiveness(1, 1, 1, 2, 2))
        sellout = sellout_report(hospital_id)
        stock = channel_stock_report()
        from services.traceability.domain.historical import HistoricalShipment
        historical = HistoricalShipment.record(  # a shipment from before go-live, imported
            uuid4(), now=now, shipment_reference="CK-2025-0001", hospital_id=hospital_id, distributor_id=None,
            shipped_at=now - timedelta(days=400), gtin=GTIN, lot="L1", expiry=date(2027, 6, 30), quantity=10,
            serials=None, ship_from="WH-SH")
    return [event for aggregate in (adverse, case, numbers, sellout, stock, historical)
            for event in aggregate.collect_events()]


def sellout_report(hospital_id):  # noqa: ANN001, ANN201 - a distributor's sell-out report, one line over-reported
    from services.traceability.domain.sellout import ReportedLine, SellOutReport, flagged_lines, unmatched_lines
    from services.traceability.domain.terminal_matching import Match

    line = ReportedLine(hospital_id=hospital_id, gtin=GTIN, lot="L1", quantity=2, sold_at=date(2026, 11, 3),
                        serials=("S1", "S2"))
    named = ReportedLine(hospital_id=None, gtin=GTIN, lot="L1", quantity=1, sold_at=date(2026, 11, 4),
                         serials=("S3",), hospital_name="华西医院 新院区")
    reported, matches = [(2, line), (3, named)], {3: Match(None, None)}
    report = SellOutReport(distributor_id=uuid4(), report_reference="HD-2026-11", source="csv",
                           period={"start": date(2026, 11, 1), "end": date(2026, 11, 30)},
                           lines=flagged_lines(reported, {(GTIN, "L1"): 1}, {}, {hospital_id}, matches),
                           unmatched=unmatched_lines(reported, matches))
    report.match_line(3, hospital_id, 1, 2, True)
    return report


def channel_stock_report():  # noqa: ANN201 - a distributor's inventory report (进销存)
    from services.traceability.domain.channel_stock import ChannelInventoryReport

    return ChannelInventoryReport(distributor_id=uuid4(), report_reference="HD-进销存-2026-11", as_of=date(2026, 11, 30),
                                  source="xlsx", lines=[{"line_no": 2, "gtin": GTIN, "lot": "L1", "quantity": 7},
                                                        {"line_no": 3, "gtin": GTIN, "lot": "L2", "quantity": 0}])
