"""What order reads from its read models: the order list for the API (projections/order_list.py, with the names of
the hospital and the distributor beside their ids), and the facts its rules ask (`SaleFacts` of
domain/compliance.py): its own copies of channel's parties and licences and inventory's items
(projections/hospitals.py, catalogue.py)."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from services.order.domain.compliance import DistributorFacts, HospitalFacts, ItemFacts
from services.order.domain.credit import Exposure
from services.order.domain.price_facts import Customer
from shared.domain.pricing import FromList, PriceLookup, PricingEngine, Validity, rule_of, tender_of
from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

_ORDERS_WITH_NAMES = ("{schema}.order_list o LEFT JOIN {schema}.known_hospitals h USING (hospital_id)"
                      " LEFT JOIN {schema}.known_distributors d ON d.distributor_id = o.ship_to_distributor_id")


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    hospital_id: UUID | None = None
    ship_to_distributor_id: UUID | None = None
    hold: str | None = None


def orders(read: ReadModels, where: OrderFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """The newest first, of those within the caller's scope."""
    return read.page(_ORDERS_WITH_NAMES, paging, columns="o.*, h.name AS hospital_name, d.name AS distributor_name",
                     order_by="o.placed_at DESC, o.order_id", where={
                         "o.status = %s": where.status, "o.hospital_id = %s": where.hospital_id,
                         "o.ship_to_distributor_id = %s": where.ship_to_distributor_id,
                         "%s = ANY(o.holds)": where.hold,
                         **scope.condition(hospital="o.hospital_id", distributor="o.ship_to_distributor_id",
                                           region="h.region")})


# A platform order with its parties: placed, the order's (order_list); refused, those its codes are mapped to now.
_PLATFORM_ORDERS = (
    "{schema}.platform_orders p"
    " LEFT JOIN {schema}.order_list o ON o.order_id = p.order_id"
    " LEFT JOIN {schema}.platform_parties ph ON ph.platform = p.platform AND ph.kind = 'hospital'"
    " AND ph.code = p.hospital_code"
    " LEFT JOIN {schema}.platform_parties pd ON pd.platform = p.platform AND pd.kind = 'distributor'"
    " AND pd.code = p.platform_order->>'distributor_code'"
    " LEFT JOIN {schema}.known_hospitals h ON h.hospital_id = COALESCE(o.hospital_id, ph.party_id)")
_PLATFORM_ORDER_COLUMNS = (
    "p.platform, p.platform_order_id, p.status, p.order_id, p.rule, p.field, p.detail, p.hospital_code,"
    " COALESCE(o.hospital_id, ph.party_id) AS hospital_id, h.name AS hospital_name,"
    " COALESCE(p.platform_order->>'hospital_name', p.received->>'医院名称') AS platform_hospital_name,"
    " p.platform_order->>'distributor_code' AS distributor_code,"
    " COALESCE(o.ship_to_distributor_id, pd.party_id) AS distributor_id, p.recorded_at")


def platform_orders(read: ReadModels, platform: str | None, status: str | None, scope: DataScope,
                    paging: PageRequest) -> tuple[list[dict], int]:
    """What became of the orders pulled from procurement platforms, the newest first, of those within the caller's
    scope (a refused order whose hospital code is mapped to nobody is the company's only)."""
    return read.page(_PLATFORM_ORDERS, paging, columns=_PLATFORM_ORDER_COLUMNS,
                     order_by="p.recorded_at DESC, p.platform, p.platform_order_id", where={
                         "p.platform = %s": platform, "p.status = %s": status,
                         **scope.condition(hospital="COALESCE(o.hospital_id, ph.party_id)",
                                           distributor="COALESCE(o.ship_to_distributor_id, pd.party_id)",
                                           region="h.region")})


def order_within(read: ReadModels, scope: DataScope, order_id: UUID, hospital_id: UUID,
                 distributor_id: UUID | None) -> None:
    """Refuse (404) an order outside the caller's scope."""
    if scope.everything:
        return
    province = SaleFactsFromReadModels(read).hospital_province(hospital_id)
    scope.require("Order", order_id, hospitals=[hospital_id], distributors=[distributor_id], regions=[province])


class SaleFactsFromReadModels:
    """`SaleFacts` on the read models: the port OrderUnitOfWork asks on PostgreSQL."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def hospital_known(self, hospital_id: UUID) -> bool:
        known = self.read.one("SELECT 1 FROM {schema}.known_hospitals WHERE hospital_id = %s", (hospital_id,))
        return known is not None

    def hospitals_named(self, name_key: str) -> list[UUID]:
        # The channel's name key (NFKC, case-folded, spaces collapsed), in SQL: lower() is casefold for the names
        # hospitals have.
        rows = self.read.all("SELECT hospital_id FROM {schema}.known_hospitals WHERE lower(regexp_replace(btrim("
                             "normalize(name, NFKC)), '\\s+', ' ', 'g')) = %s ORDER BY hospital_id LIMIT 2", (name_key,))
        return [row["hospital_id"] for row in rows]

    def hospital_province(self, hospital_id: UUID) -> str | None:
        known = self.read.one("SELECT region FROM {schema}.known_hospitals WHERE hospital_id = %s", (hospital_id,))
        return None if known is None else known["region"]

    def hospital_city(self, hospital_id: UUID) -> str | None:
        known = self.read.one("SELECT city FROM {schema}.known_hospitals WHERE hospital_id = %s", (hospital_id,))
        return None if known is None else known["city"]

    def hospital_standing(self, hospital_id: UUID) -> HospitalFacts | None:
        row = self.read.one("SELECT name, active FROM {schema}.known_hospitals WHERE hospital_id = %s", (hospital_id,))
        if row is None:
            return None
        licences = self.read.all("SELECT document_type, number, valid_from, valid_to FROM {schema}.hospital_licences"
                                 " WHERE hospital_id = %s", (hospital_id,))
        return HospitalFacts(hospital_id, row["name"], [dict(r) for r in licences], row["active"])

    def distributor(self, distributor_id: UUID) -> DistributorFacts | None:
        row = self.read.one("SELECT name, active FROM {schema}.known_distributors WHERE distributor_id = %s",
                            (distributor_id,))
        if row is None:
            return None
        licences = self.read.all("SELECT document_type, number, valid_from, valid_to FROM {schema}.distributor_licences"
                                 " WHERE distributor_id = %s", (distributor_id,))
        authorizations = self.read.all(
            "SELECT number, gtins, product_groups, provinces, hospitals, cities, valid_from, valid_to, revoked"
            " FROM {schema}.distributor_authorizations WHERE distributor_id = %s ORDER BY number LIMIT 500",
            (distributor_id,))
        return DistributorFacts(distributor_id, row["name"], [dict(r) for r in licences], row["active"],
                                [dict(r) for r in authorizations])

    def item(self, gtin: str) -> ItemFacts | None:
        row = self.read.one("SELECT gtin, name, device_class, certificate, sales_blocked, product_group"
                            " FROM {schema}.known_items"
                            " WHERE gtin = %s", (gtin,))
        return None if row is None else ItemFacts(**row)


class PriceFactsFromReadModels:
    """`PriceFacts` on the read models (projections/price_book.py, hospitals.py, catalogue.py, contract_list.py):
    the port OrderUnitOfWork asks on PostgreSQL. The engine is built from the whole rulebook per command: a
    company's rulebook is thousands of rules at most (bench/pricing.py measures the engine itself)."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def customer(self, customer_id: UUID) -> Customer | None:
        row = self.read.one("SELECT name, region, city, grade FROM {schema}.known_hospitals WHERE hospital_id = %s",
                            (customer_id,))
        if row is not None:
            return Customer(customer_id, "hospital", row["name"], row["region"], city=row["city"], grade=row["grade"])
        row = self.read.one("SELECT name, region, tier FROM {schema}.known_distributors WHERE distributor_id = %s",
                            (customer_id,))
        return None if row is None else Customer(customer_id, "distributor", row["name"], row["region"],
                                                 tier=row["tier"])

    def base_list(self, currency: str) -> UUID | None:
        row = self.read.one("SELECT price_list_id FROM {schema}.price_lists WHERE currency = %s"
                            " ORDER BY created_at, price_list_id LIMIT 1", (currency,))
        return None if row is None else row["price_list_id"]

    def list_currency(self, price_list_id: UUID) -> str | None:
        row = self.read.one("SELECT currency FROM {schema}.price_lists WHERE price_list_id = %s", (price_list_id,))
        return None if row is None else row["currency"]

    def engine(self, base_list_id: UUID) -> PricingEngine:
        rules = [rule_of(row["rule"]) for row in self.read.all("SELECT rule FROM {schema}.pricing_rules")]
        tenders = [tender_of(row["tender"]) for row in self.read.all("SELECT tender FROM {schema}.tender_prices")]
        lists = {str(base_list_id)} | {r.effect.price_list_id for r in rules if isinstance(r.effect, FromList)}
        entries = self.read.all("SELECT price_list_id::text AS list_id, gtin, valid_from, valid_to, price"
                                " FROM {schema}.list_prices WHERE price_list_id::text = ANY(%s)", (sorted(lists),))
        lookup = PriceLookup((e["list_id"], e["gtin"], Validity(e["valid_from"], e["valid_to"]), e["price"])
                             for e in entries)
        return PricingEngine(rules, tenders, lookup, str(base_list_id))

    def product_groups(self, gtin: str) -> frozenset[str]:
        row = self.read.one("SELECT product_group FROM {schema}.known_items WHERE gtin = %s", (gtin,))
        return frozenset() if row is None or row["product_group"] is None else frozenset({row["product_group"]})

    def vat_rate(self, gtin: str) -> Decimal | None:
        row = self.read.one("SELECT vat_rate FROM {schema}.known_items WHERE gtin = %s", (gtin,))
        return None if row is None else row["vat_rate"]

    def promotion_budget(self, rule_id: str) -> Decimal | None:
        row = self.read.one("SELECT budget FROM {schema}.promotion_budgets WHERE rule_id = %s", (rule_id,))
        return None if row is None else row["budget"]

    def active_contracts(self, customer_id: UUID) -> list[UUID]:
        return [row["contract_id"] for row in self.read.all(
            "SELECT contract_id FROM {schema}.contract_list c WHERE customer_id = %s"
            f" AND {_CONTRACT_STATUS} = 'active' ORDER BY signed_at DESC NULLS LAST, contract_id", (customer_id,))]


def amounts(unit_price: Decimal, net_unit_price: Decimal, quantity: int) -> tuple[Decimal, Decimal]:
    """A line's tax-inclusive and net amounts, each rounded half up to the cent (VAT is their difference)."""
    cent = Decimal("0.01")
    return (unit_price * quantity).quantize(cent, ROUND_HALF_UP), (net_unit_price * quantity).quantize(cent,
                                                                                                      ROUND_HALF_UP)


def names(read: ReadModels, parties: list[UUID], gtins: list[str]) -> dict[str, str]:
    """Names to print beside ids: of hospitals and distributors, and of items."""
    found = {str(r["id"]): r["name"] for r in read.all(
        "SELECT hospital_id AS id, name FROM {schema}.known_hospitals WHERE hospital_id = ANY(%s) UNION ALL"
        " SELECT distributor_id, name FROM {schema}.known_distributors WHERE distributor_id = ANY(%s)",
        (parties, parties))}
    found |= {r["gtin"]: r["name"] for r in read.all("SELECT gtin, name FROM {schema}.known_items"
                                                     " WHERE gtin = ANY(%s)", (gtins,))}
    return found


_CUSTOMERS = ("LEFT JOIN {schema}.known_hospitals h ON h.hospital_id = {alias}.customer_id"
              " LEFT JOIN {schema}.known_distributors d ON d.distributor_id = {alias}.customer_id")
_QUOTE_STATUS = ("CASE WHEN q.status IN ('draft', 'submitted', 'approved', 'sent') AND q.valid_until < current_date"
                 " THEN 'expired' ELSE q.status END")


def quotes(read: ReadModels, status: str | None, customer_id: UUID | None, visible: tuple[str, ...] | None,
           scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """Newest first; an open quote past its validity reads as expired."""
    return read.page("{schema}.quote_list q " + _CUSTOMERS.replace("{alias}", "q"), paging,
                     columns=f"q.*, {_QUOTE_STATUS} AS status, coalesce(h.name, d.name) AS customer_name",
                     order_by="q.drafted_at DESC, q.quote_id", where={
                         f"{_QUOTE_STATUS} = %s": status, "q.customer_id = %s": customer_id,
                         "q.status = ANY(%s)": list(visible) if visible else None,
                         **scope.condition(hospital="q.customer_id", distributor="q.customer_id",
                                           region="coalesce(h.region, d.region)")})


# As Contract.status_on says it: a signed contract terminated from a later day is active until then.
_CONTRACT_STATUS = ("CASE WHEN c.status IN ('active', 'terminated') AND c.signed_at IS NOT NULL"
                    " AND (c.status = 'active' OR c.terminated_on > current_date)"
                    " THEN CASE WHEN c.valid_to < current_date THEN 'expired' ELSE 'active' END ELSE c.status END")


@dataclass(frozen=True)
class ContractFilter:
    status: str | None = None
    customer_id: UUID | None = None
    template: str | None = None
    gtin: str | None = None


def contracts(read: ReadModels, where: ContractFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.contract_list c " + _CUSTOMERS.replace("{alias}", "c"), paging,
                     columns=f"c.*, {_CONTRACT_STATUS} AS status, coalesce(h.name, d.name) AS customer_name,"
                             " jsonb_array_length(c.terms->'lines') AS line_count",
                     order_by="c.drafted_at DESC, c.contract_id", where={
                         f"{_CONTRACT_STATUS} = %s": where.status, "c.customer_id = %s": where.customer_id,
                         "c.template = %s": where.template,
                         "c.terms->'lines' @> %s::jsonb": None if where.gtin is None else f'[{{"gtin": "{where.gtin}"}}]',
                         **scope.condition(hospital="c.customer_id",
                                           distributor="coalesce(c.authorized_distributor_id, c.customer_id)",
                                           region="coalesce(h.region, d.region)")})


def contract_flows(read: ReadModels, contract_id: UUID) -> dict[str, dict[str, int]]:
    """Per GTIN: units ordered under the contract, and of those orders' units of the GTIN, shipped and invoiced."""
    rows = read.all("SELECT c.gtin, sum(c.quantity)::int AS ordered, coalesce(sum(f.shipped), 0)::int AS shipped,"
                    " coalesce(sum(f.invoiced), 0)::int AS invoiced FROM {schema}.contract_calloffs c"
                    " LEFT JOIN {schema}.order_line_flows f ON f.order_id = c.order_id AND f.gtin = c.gtin"
                    " WHERE c.contract_id = %s GROUP BY c.gtin", (contract_id,))
    return {r["gtin"]: {"ordered": r["ordered"], "shipped": r["shipped"], "invoiced": r["invoiced"]} for r in rows}


def contract_orders(read: ReadModels, contract_id: UUID, limit: int = 200) -> list[dict]:
    """The orders that called off from the contract, newest first (at most `limit`)."""
    return read.all("SELECT o.order_id, o.status, o.total_amount, o.currency, o.placed_at,"
                    " array_agg(c.gtin ORDER BY c.gtin) AS gtins FROM {schema}.contract_calloffs c"
                    " JOIN {schema}.order_list o USING (order_id) WHERE c.contract_id = %s"
                    " GROUP BY o.order_id, o.status, o.total_amount, o.currency, o.placed_at"
                    " ORDER BY o.placed_at DESC LIMIT %s", (contract_id, limit))


def vbp_progress(read: ReadModels, hospital_id: UUID | None, gtin: str | None, scope: DataScope,
                 paging: PageRequest) -> tuple[list[dict], int]:
    """Per award and hospital: the agreed volume and the units ordered at the award's price within its period."""
    tables = ("(SELECT a.*, h.name AS hospital_name, h.region, coalesce((SELECT sum(o.quantity) FROM"
              " {schema}.vbp_ordered o WHERE o.hospital_id = a.hospital_id AND o.gtin = a.gtin"
              " AND o.reference = a.reference AND o.ordered_on >= a.valid_from"
              " AND (a.valid_to IS NULL OR o.ordered_on <= a.valid_to)), 0)::int AS ordered"
              " FROM {schema}.vbp_agreed a LEFT JOIN {schema}.known_hospitals h USING (hospital_id)) v")
    return read.page(tables, paging, order_by="v.reference, v.gtin, v.hospital_name, v.hospital_id", where={
        "v.hospital_id = %s": hospital_id, "v.gtin = %s": gtin,
        **scope.condition(hospital="v.hospital_id", region="v.region")})


class CreditFactsFromReadModels:
    """`CreditFacts` (domain/credit.py's exposure) on the read model projections/credit_exposure.py."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def lapsed_credit_releases(self, day: date, limit: int = 500) -> list[UUID]:
        rows = self.read.all(
            "SELECT order_id FROM {schema}.order_list WHERE credit_release_expires_on < %s"
            " AND status NOT IN ('shipped', 'cancelled', 'closed', 'price_rejected') AND NOT 'credit' = ANY(holds)"
            " ORDER BY credit_release_expires_on, order_id LIMIT %s", (day, limit))
        return [r["order_id"] for r in rows]

    def groups_of(self, customer_id: UUID) -> list[UUID]:
        rows = self.read.all("SELECT group_id FROM {schema}.credit_group_members WHERE member_id = %s"
                             " ORDER BY group_id LIMIT 20", (customer_id,))
        return [r["group_id"] for r in rows]

    def exposure(self, customer_id: UUID, currency: str, day: date, payment_terms_days: int,
                 overdue_days: int) -> Exposure:
        row = self.read.one(
            "WITH shipped AS (SELECT s.order_id, s.gtin, sum(s.quantity) AS quantity,"
            "   sum(s.quantity) FILTER (WHERE i.invoice_id IS NULL) AS uninvoiced_quantity"
            "   FROM {schema}.credit_shipment_lines s LEFT JOIN {schema}.credit_invoices i USING (shipment_id)"
            "   WHERE s.order_id IN (SELECT order_id FROM {schema}.credit_orders WHERE customer_id = %(c)s)"
            "   GROUP BY s.order_id, s.gtin)"
            " SELECT"
            " (SELECT coalesce(sum(gross_total - settled), 0) FROM {schema}.credit_invoices WHERE customer_id = %(c)s"
            "   AND currency = %(k)s) AS open_receivables,"
            " (SELECT coalesce(sum(gross_total - settled), 0) FROM {schema}.credit_invoices WHERE customer_id = %(c)s"
            "   AND currency = %(k)s AND coalesce(due_on, raised_on + %(terms)s) + %(late)s < %(day)s) AS overdue,"
            " (SELECT coalesce(sum(round(coalesce(sh.uninvoiced_quantity, 0) * l.gross_unit_price, 2)), 0)"
            "   FROM shipped sh JOIN {schema}.credit_order_lines l USING (order_id, gtin)"
            "   JOIN {schema}.credit_orders o USING (order_id) WHERE o.currency = %(k)s) AS shipped_not_invoiced,"
            " (SELECT coalesce(sum(round(greatest(l.quantity - coalesce(sh.quantity, 0), 0) * l.gross_unit_price, 2)), 0)"
            "   FROM {schema}.credit_orders o JOIN {schema}.credit_order_lines l USING (order_id)"
            "   LEFT JOIN shipped sh USING (order_id, gtin)"
            "   WHERE o.customer_id = %(c)s AND o.currency = %(k)s AND o.open) AS open_orders",
            {"c": customer_id, "k": currency, "day": day, "terms": payment_terms_days, "late": overdue_days})
        assert row is not None
        return Exposure(row["open_receivables"], row["overdue"], row["shipped_not_invoiced"], row["open_orders"])


def order_history(read: ReadModels, order_id: UUID) -> dict[str, list[dict]]:
    """The order's shipments (with lots, expiry, serials, delivery and acceptance), invoices and returns."""
    return {
        "shipments": read.all("SELECT shipment_id, warehouse, carrier, tracking_number, dispatched_at, lines,"
                              " delivered_at, received_by, accepted_at, accepted_by, discrepancies"
                              " FROM {schema}.order_shipments WHERE order_id = %s ORDER BY dispatched_at", (order_id,)),
        "invoices": read.all("SELECT invoice_id, shipment_id, bill_to_distributor_id, currency, net_total, vat_total,"
                             " gross_total, raised_at FROM {schema}.order_invoices WHERE order_id = %s"
                             " ORDER BY raised_at", (order_id,)),
        "returns": read.all("SELECT return_id, shipment_id, reason, disposition, lines, returned_at"
                            " FROM {schema}.order_returns WHERE order_id = %s ORDER BY returned_at", (order_id,)),
    }
