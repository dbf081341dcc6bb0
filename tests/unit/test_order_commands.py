"""Order's command handlers on eventsourcing's in-memory persistence, the facts the rules ask kept in the test: placing
an order once and only when the sale passes its checks (customer, certificate, distributor licence on the delivery
day), in milliseconds."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from shared.platform.access import DataScope

from services.order.application import OrderApplication, OrderUnitOfWork, placing
from services.order.domain import SalesOrder
from services.order.domain.compliance import DistributorFacts, HospitalFacts, ItemFacts
from services.order.domain.price_facts import Customer
from tests.price_facts import InMemoryCreditFacts, InMemoryPriceFacts
from shared.domain.business_day import business_day
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.context import acting_as
from shared.platform.settings import Settings

STENT, CATHETER, GAUZE = "09506000134352", "09506000134376", "09506000134369"  # classes III, II, I
TODAY = business_day(datetime.now(UTC))  # the order service's today: China's
HOSPITAL, DISTRIBUTOR = uuid4(), uuid4()


PRACTICE = {"document_type": "practice_licence", "number": "PDY00001X33010011A1001", "valid_from": TODAY - timedelta(days=365),
            "valid_to": TODAY + timedelta(days=1460)}  # 医疗机构执业许可证: 5 years


AUTHORIZATION = {"number": "SQ-2026-001", "gtins": [STENT, CATHETER, GAUZE], "product_groups": [],
                 "provinces": ["浙江省"], "hospitals": [], "valid_from": TODAY - timedelta(days=30),
                 "valid_to": TODAY + timedelta(days=335)}  # 授权书: the three items in 浙江省 for a year


def certificate(valid_to: date = TODAY + timedelta(days=1000)) -> dict:
    return {"number": "国械注准20263130001", "valid_from": (TODAY - timedelta(days=100)).isoformat(),
            "valid_to": valid_to.isoformat()}


@dataclass
class KnownFacts:
    """What the order service's projections would hold: the port, in memory."""

    hospitals: set[UUID] = field(default_factory=lambda: {HOSPITAL})
    standing: dict[UUID, HospitalFacts] = field(default_factory=dict)  # default: active, licensed
    distributors: dict[UUID, DistributorFacts] = field(default_factory=lambda: {
        DISTRIBUTOR: DistributorFacts(DISTRIBUTOR, "华东医疗", [], authorizations=[AUTHORIZATION])})
    items: dict[str, ItemFacts] = field(default_factory=lambda: {
        STENT: ItemFacts(STENT, "Stent", 3, certificate()), CATHETER: ItemFacts(CATHETER, "Catheter", 2, certificate()),
        GAUZE: ItemFacts(GAUZE, "Gauze", 1, certificate())})

    def hospital_known(self, hospital_id: UUID) -> bool:
        return hospital_id in self.hospitals

    def hospital_province(self, hospital_id: UUID) -> str | None:
        return "浙江省" if hospital_id in self.hospitals else None

    def hospital_city(self, hospital_id: UUID) -> str | None:
        return "杭州市" if hospital_id in self.hospitals else None

    def hospital_standing(self, hospital_id: UUID) -> HospitalFacts | None:
        if hospital_id not in self.hospitals:
            return None
        return self.standing.get(hospital_id) or HospitalFacts(hospital_id, "浙江省人民医院", [PRACTICE])

    def distributor(self, distributor_id: UUID) -> DistributorFacts | None:
        return self.distributors.get(distributor_id)

    def item(self, gtin: str) -> ItemFacts | None:
        return self.items.get(gtin)

    def licence(self, document_type: str, valid_to: date = TODAY + timedelta(days=1000)) -> None:
        self.distributors[DISTRIBUTOR].licences.append({
            "document_type": document_type, "number": "苏械经营许20200001号", "valid_from": TODAY - timedelta(days=100),
            "valid_to": valid_to})


@pytest.fixture
def facts() -> KnownFacts:
    return KnownFacts()


def priced_facts() -> InMemoryPriceFacts:
    """The hospital as pricing sees it, and a price list pricing the three items at 1,446.40 (含税)."""
    prices = InMemoryPriceFacts(customers={HOSPITAL: Customer(HOSPITAL, "hospital", "H", "浙江省", grade="3A")})
    prices.price_list(**{f"g{gtin}": Decimal("1446.40") for gtin in (STENT, CATHETER, GAUZE)})
    return prices


def unit_of_work(facts: KnownFacts, grace_until: date | None = None):  # noqa: ANN201
    app = OrderApplication.in_memory(Settings(ERP_ENV="test", REGISTRATION_CERTIFICATE_GRACE_UNTIL=grace_until))
    return OrderUnitOfWork(app, sale_facts=facts, price_facts=priced_facts(), credit_facts=InMemoryCreditFacts())


@pytest.fixture
def uow(facts):
    uow = unit_of_work(facts)
    with acting_as("user:order-desk"):
        yield uow
    uow.app.close()


def order(*gtins: str, order_id: UUID | None = None, **options) -> placing.PlaceOrder:  # noqa: ANN003
    lines = tuple(placing.OrderLine(gtin=g, quantity=2) for g in gtins or (STENT,))
    hospital_id = options.pop("hospital_id", HOSPITAL)
    return placing.PlaceOrder(order_id=order_id or uuid4(), hospital_id=hospital_id, lines=lines, **options)


def stored(uow: OrderUnitOfWork) -> int:
    return len(uow.app.recorder.select_notifications(start=1, limit=100))


def refusal(command: placing.PlaceOrder, uow: OrderUnitOfWork) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        placing.place_order(command, uow)
    return refused.value


def test_an_order_is_placed_once_with_its_lines_numbered_and_a_retry_finds_it_unchecked(uow, facts):
    command = order(STENT, CATHETER, customer_reference="PO-1", requested_delivery_date=TODAY + timedelta(days=30))
    placed, created = placing.place_order(command, uow)
    assert (created, placed.status, [line["line_no"] for line in placed.lines]) == (True, "placed", [1, 2])
    assert (placed.customer_reference, placed.requested_delivery_date) == ("PO-1", TODAY + timedelta(days=30))
    facts.hospitals.clear()  # the retry is not checked again: the order was accepted when it was placed
    again, created_again = placing.place_order(command, uow)
    assert (created_again, again.id, stored(uow)) == (False, placed.id, 1)
    line = placing.order(uow, placed.id).lines[0]
    assert {k: line[k] for k in ("line_no", "gtin", "quantity", "unit_price", "gross_unit_price", "price_source")} == {
        "line_no": 1, "gtin": STENT, "quantity": 2, "unit_price": Decimal("1280.00"),
        "gross_unit_price": Decimal("1446.4000"), "price_source": "list"}


def test_an_unknown_hospital_distributor_or_item_is_an_invalid_reference_naming_the_field(uow):
    cases = [(order(hospital_id=uuid4()), "hospital_id", "registered-hospital"),
             (order(ship_to_distributor_id=uuid4()), "ship_to_distributor_id", "registered-distributor"),
             (order(STENT, "09506000134383"), "lines[1].gtin", "registered-item")]
    for command, field_, rule in cases:
        refused = refusal(command, uow)
        assert (type(refused), refused.field, refused.rule) == (InvalidReference, field_, rule)
    assert stored(uow) == 0


def test_a_caller_with_a_data_scope_may_order_only_for_customers_within_it_and_others_look_unknown(uow):
    def placed_by(scope: DataScope, **fields) -> bool:  # noqa: ANN003
        try:
            return placing.place_order(order(GAUZE, order_id=uuid4(), **fields), uow, scope)[1]
        except InvalidReference as refused:
            assert (refused.field, refused.rule) == ("hospital_id", "registered-hospital")  # as if unknown
            return False

    assert placed_by(DataScope(everything=False, hospitals=frozenset({HOSPITAL})))
    assert placed_by(DataScope(everything=False, regions=frozenset({"浙江省"})))
    assert placed_by(DataScope(everything=False, distributors=frozenset({DISTRIBUTOR})),
                     ship_to_distributor_id=DISTRIBUTOR)
    assert not placed_by(DataScope(everything=False, hospitals=frozenset({uuid4()})))
    assert not placed_by(DataScope(everything=False, regions=frozenset({"四川省"})))
    assert not placed_by(DataScope(everything=False, distributors=frozenset({DISTRIBUTOR})))  # not through it
    assert not placed_by(DataScope(everything=False))  # a portal user without a scope reaches nothing
    assert stored(uow) == 3


def test_a_product_without_a_certificate_valid_on_the_delivery_day_is_refused(uow, facts):
    facts.items[STENT] = ItemFacts(STENT, "Stent", 3, certificate(valid_to=TODAY + timedelta(days=10)))
    assert placing.place_order(order(STENT, requested_delivery_date=TODAY + timedelta(days=10)), uow)[1]
    late = refusal(order(STENT, requested_delivery_date=TODAY + timedelta(days=11)), uow)
    assert (late.rule, late.field, late.context) == ("registration-certificate-valid", "lines[0].gtin", {"gtin": STENT})
    facts.items[CATHETER] = ItemFacts(CATHETER, "Catheter", 2, None)
    assert refusal(order(GAUZE, CATHETER), uow).field == "lines[1].gtin"
    assert stored(uow) == 1


def test_a_grace_period_lets_items_without_a_certificate_on_record_be_sold_until_its_last_day(facts):
    facts.items[STENT] = ItemFacts(STENT, "Stent", 3, None)
    uow = unit_of_work(facts, grace_until=TODAY + timedelta(days=5))
    with acting_as("user:order-desk"):
        assert placing.place_order(order(STENT, requested_delivery_date=TODAY + timedelta(days=5)), uow)[1]
        assert refusal(order(STENT, requested_delivery_date=TODAY + timedelta(days=6)), uow).rule == \
            "registration-certificate-valid"


def test_a_distributor_needs_the_licence_each_class_requires_on_the_delivery_day(uow, facts):
    through = {"ship_to_distributor_id": DISTRIBUTOR}
    assert placing.place_order(order(GAUZE, **through), uow)[1]  # class I needs no licence
    unlicensed = refusal(order(CATHETER, **through), uow)
    assert (unlicensed.rule, unlicensed.field, unlicensed.context["device_class"]) == (
        "distributor-licensed", "ship_to_distributor_id", 2)
    facts.licence("filing_certificate")
    assert placing.place_order(order(CATHETER, **through), uow)[1]
    assert refusal(order(STENT, **through), uow).rule == "distributor-licensed"  # class III: a distribution licence
    facts.licence("distribution_licence", valid_to=TODAY + timedelta(days=20))
    placed, _ = placing.place_order(order(STENT, **through), uow)
    assert placed.ship_to_distributor_id == DISTRIBUTOR
    lapsed = order(STENT, requested_delivery_date=TODAY + timedelta(days=21), **through)
    assert refusal(lapsed, uow).rule == "distributor-licensed"
    assert stored(uow) == 3


def test_an_order_not_held_is_not_found_and_a_refused_order_leaves_nothing_to_save(uow):
    with pytest.raises(NotFound):
        placing.order(uow, uuid4())
    refusal(order(hospital_id=uuid4()), uow)
    uow.commit()
    assert stored(uow) == 0
    assert uow.get(uuid4(), SalesOrder) is None


def test_an_item_blocked_for_sale_is_refused_naming_its_line(uow, facts):
    facts.items[CATHETER] = ItemFacts(CATHETER, "Catheter", 2, certificate(), sales_blocked=True)
    blocked = refusal(order(STENT, CATHETER), uow)
    assert (blocked.rule, blocked.field, blocked.status) == ("item-sellable", "lines[1].gtin", 409)
    assert stored(uow) == 0


def test_a_hospital_needs_a_practice_licence_valid_on_the_delivery_day_and_to_be_active(uow, facts):
    lapsing = {**PRACTICE, "valid_to": TODAY + timedelta(days=30)}
    facts.standing[HOSPITAL] = HospitalFacts(HOSPITAL, "浙江省人民医院", [lapsing])
    assert placing.place_order(order(STENT, requested_delivery_date=TODAY + timedelta(days=30)), uow)[1]
    lapsed = refusal(order(STENT, requested_delivery_date=TODAY + timedelta(days=31)), uow)
    assert (lapsed.rule, lapsed.field, lapsed.status) == ("hospital-licensed", "hospital_id", 409)
    assert "PDY00001X33010011A1001" in lapsed.detail  # says which licence lapsed
    facts.standing[HOSPITAL] = HospitalFacts(HOSPITAL, "浙江省人民医院", [])
    assert refusal(order(STENT), uow).rule == "hospital-licensed"  # none on record
    facts.standing[HOSPITAL] = HospitalFacts(HOSPITAL, "浙江省人民医院", [PRACTICE], active=False)
    inactive = refusal(order(STENT), uow)
    assert (inactive.rule, inactive.field) == ("customer-active", "hospital_id")
    facts.distributors[DISTRIBUTOR] = DistributorFacts(DISTRIBUTOR, "华东医疗", [], active=False)
    facts.standing.clear()
    assert refusal(order(GAUZE, ship_to_distributor_id=DISTRIBUTOR), uow).field == "ship_to_distributor_id"
    assert stored(uow) == 1


def test_while_hospital_master_data_is_migrated_a_hospital_without_a_licence_on_record_may_buy(facts):
    facts.standing[HOSPITAL] = HospitalFacts(HOSPITAL, "浙江省人民医院", [])
    app = OrderApplication.in_memory(Settings(ERP_ENV="test", HOSPITAL_LICENCE_REQUIRED=False))
    uow = OrderUnitOfWork(app, sale_facts=facts, price_facts=priced_facts(), credit_facts=InMemoryCreditFacts())
    with acting_as("user:order-desk"):
        assert placing.place_order(order(STENT), uow)[1]
        facts.standing[HOSPITAL] = HospitalFacts(HOSPITAL, "浙江省人民医院", [
            {**PRACTICE, "valid_to": TODAY - timedelta(days=1)}])
        assert refusal(order(STENT), uow).rule == "hospital-licensed"  # a lapsed licence refuses either way
    app.close()


def test_a_sale_through_a_distributor_needs_an_authorization_covering_the_product_territory_and_day(uow, facts):
    facts.licence("distribution_licence")
    facts.licence("filing_certificate")
    through, licensed = {"ship_to_distributor_id": DISTRIBUTOR}, facts.distributors[DISTRIBUTOR].licences
    facts.items[STENT] = ItemFacts(STENT, "Stent", 3, certificate(), product_group="冠脉支架")
    narrow = {**AUTHORIZATION, "gtins": [CATHETER], "product_groups": ["冠脉支架"], "provinces": ["江苏省"],
              "valid_to": TODAY + timedelta(days=10)}
    facts.distributors[DISTRIBUTOR] = DistributorFacts(DISTRIBUTOR, "华东医疗", licensed, authorizations=[narrow])
    elsewhere = refusal(order(STENT, **through), uow)  # by product group, but for 江苏省: the hospital is in 浙江省
    assert (elsewhere.rule, elsewhere.field, elsewhere.status) == ("distributor-authorized", "ship_to_distributor_id", 409)
    assert "do not cover 浙江省" in elsewhere.detail
    narrow["provinces"].append("浙江省")
    assert placing.place_order(order(STENT, CATHETER, **through), uow)[1]  # the group and the GTIN, now in 浙江省
    other_product = refusal(order(STENT, GAUZE, **through), uow)
    assert (other_product.field, other_product.context["gtin"]) == ("ship_to_distributor_id", GAUZE)
    late = refusal(order(CATHETER, requested_delivery_date=TODAY + timedelta(days=11), **through), uow)
    assert "no authorization (授权书) valid on" in late.detail
    narrow["revoked"] = True
    assert refusal(order(CATHETER, **through), uow).rule == "distributor-authorized"
    by_hospital = {**AUTHORIZATION, "number": "SQ-H", "gtins": [GAUZE], "provinces": [], "hospitals": [str(HOSPITAL)]}
    facts.distributors[DISTRIBUTOR] = DistributorFacts(DISTRIBUTOR, "华东医疗", licensed, authorizations=[by_hospital])
    assert placing.place_order(order(GAUZE, **through), uow)[1]  # named hospital
    facts.distributors[DISTRIBUTOR] = DistributorFacts(DISTRIBUTOR, "华东医疗", licensed)
    assert refusal(order(GAUZE, **through), uow).rule == "distributor-authorized"  # none on record
    assert placing.place_order(order(GAUZE), uow)[1]  # shipped direct: no distributor, nothing to authorize
    assert stored(uow) == 3
