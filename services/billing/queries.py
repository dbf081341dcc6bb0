"""What billing reads from its read models: the invoice list for the API (projections/invoice_list.py, with the
billed parties' names beside their ids from projections/parties.py), and the terms each order agreed for its
invoices (`OrderTermsLookup` of application/__init__.py, kept by projections/order_terms.py)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from services.billing.domain import AgreedTerms
from services.billing.domain.aging import DISPUTED, NOT_DUE, aged, bucket_labels
from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

if TYPE_CHECKING:
    from services.billing.settings import BillingSettings

_INVOICES_WITH_NAMES = ("{schema}.invoice_list i LEFT JOIN {schema}.known_parties h ON h.party_id = i.hospital_id"
                        " LEFT JOIN {schema}.known_parties d ON d.party_id = i.bill_to_distributor_id")


@dataclass(frozen=True)
class InvoiceFilter:
    order_id: UUID | None = None
    hospital_id: UUID | None = None
    bill_to_distributor_id: UUID | None = None


def invoices(read: ReadModels, where: InvoiceFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """The newest first, of those billed to a party within the caller's scope."""
    return read.page(_INVOICES_WITH_NAMES, paging, columns="i.*, h.name AS hospital_name, d.name AS distributor_name",
                     order_by="i.raised_at DESC, i.invoice_id", where={
                         "i.order_id = %s": where.order_id, "i.hospital_id = %s": where.hospital_id,
                         "i.bill_to_distributor_id = %s": where.bill_to_distributor_id,
                         # The billed party: the distributor when there is one (两票制), else the hospital.
                         **scope.condition(hospital="CASE WHEN i.bill_to_distributor_id IS NULL THEN i.hospital_id END",
                                           distributor="i.bill_to_distributor_id",
                                           region="coalesce(d.region, CASE WHEN i.bill_to_distributor_id IS NULL"
                                                  " THEN h.region END)")})


def invoice_within(read: ReadModels, scope: DataScope, invoice_id: UUID, hospital_id: UUID | None,
                   bill_to_distributor_id: UUID | None) -> None:
    """Refuse (404) an invoice billed to a party outside the caller's scope: an invoice billed to a distributor
    (两票制) is the distributor's, not the hospital's, whose price it shows."""
    if scope.everything:
        return
    billed = bill_to_distributor_id or hospital_id
    row = read.one("SELECT region FROM {schema}.known_parties WHERE party_id = %s", (billed,))
    regions = [row["region"]] if row else []
    if bill_to_distributor_id is not None:
        scope.require("Invoice", invoice_id, distributors=[billed], regions=regions)
    else:
        scope.require("Invoice", invoice_id, hospitals=[billed], regions=regions)


class OrderTermsFromReadModels:
    """`OrderTermsLookup` on the read model: the port BillingUnitOfWork asks on PostgreSQL."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def agreed(self, order_id: UUID) -> AgreedTerms | None:
        row = self.read.one("SELECT o.currency, o.unit_prices, o.vat_rates, o.contract_id, c.customer_id,"
                            " c.payment_terms_days FROM {schema}.order_terms o LEFT JOIN {schema}.contract_terms c"
                            " ON c.contract_id = o.contract_id WHERE o.order_id = %s", (order_id,))
        if row is None:
            return None
        contract = ((row["contract_id"], row["customer_id"], row["payment_terms_days"])
                    if row["customer_id"] is not None else None)
        return AgreedTerms(row["currency"], {gtin: Decimal(price) for gtin, price in row["unit_prices"].items()},
                           {gtin: Decimal(rate) for gtin, rate in (row["vat_rates"] or {}).items()}, contract)

    def customer_payment_terms(self, customer_id: UUID) -> int | None:
        row = self.read.one("SELECT payment_terms_days FROM {schema}.customer_terms WHERE customer_id = %s",
                            (customer_id,))
        return None if row is None else row["payment_terms_days"]


class ReceivablesFromReadModels:
    """`Receivables` of application/__init__.py on the AR read model (projections/receivables.py)."""

    def __init__(self, read: ReadModels, settings: "BillingSettings") -> None:
        self.read, self.settings = read, settings

    def open_invoices(self, customer_id: UUID, currency: str) -> list[UUID]:
        rows = self.read.all("SELECT invoice_id FROM {schema}.ar_invoices WHERE customer_id = %s AND currency = %s"
                             " AND open > 0 ORDER BY due_on, issued_on, number LIMIT 10000", (customer_id, currency))
        return [row["invoice_id"] for row in rows]

    def statement(self, customer_id: UUID, currency: str, start: date, end: date) -> tuple[Decimal, list[dict]]:
        opening = self.read.one("SELECT coalesce(sum(balance_delta), 0) AS b FROM {schema}.ar_entries"
                                " WHERE customer_id = %s AND currency = %s AND on_date < %s",
                                (customer_id, currency, start))["b"]  # type: ignore[index]
        # An opening receivable (期初应收) is an invoice on a statement, under its old number.
        rows = self.read.all("SELECT CASE kind WHEN 'opening_receivable' THEN 'invoice' ELSE kind END AS kind,"
                             " coalesce(invoice_id, document_id) AS document_id, coalesce(number, '')"
                             " AS number, on_date AS on, due_on, balance_delta AS amount FROM {schema}.ar_entries"
                             " WHERE customer_id = %s AND currency = %s AND on_date BETWEEN %s AND %s"
                             " AND balance_delta <> 0 ORDER BY on_date, seq, entry_id LIMIT 5001",
                             (customer_id, currency, start, end))
        return Decimal(opening), rows

    def aging(self, customer_id: UUID, currency: str, as_of: date) -> dict[str, Decimal]:
        return customer_aging(self.read, customer_id, currency, as_of, self.settings.aging_buckets)

    def invoices_numbered(self, numbers: list[str]) -> dict[str, tuple[UUID, UUID]]:
        rows = self.read.all("SELECT number, invoice_id, customer_id FROM {schema}.ar_invoices"
                             " WHERE number = ANY(%s) LIMIT 100", (numbers[:100],))
        return {row["number"]: (row["invoice_id"], row["customer_id"]) for row in rows}

    def customer_named(self, normalized: str) -> UUID | None:
        rows = self.read.all("SELECT party_id FROM {schema}.known_parties WHERE normalized_name = %s LIMIT 2",
                             (normalized,))
        return rows[0]["party_id"] if len(rows) == 1 else None

    def customer_kind(self, customer_id: UUID) -> str | None:
        row = self.read.one("SELECT kind FROM {schema}.known_parties WHERE party_id = %s", (customer_id,))
        return None if row is None else row["kind"]

    def region_of(self, party_id: UUID) -> str | None:
        row = self.read.one("SELECT region FROM {schema}.known_parties WHERE party_id = %s", (party_id,))
        return None if row is None else row["region"]

    def cited(self, invoice_id: UUID, gtin: str, lot: str) -> int:
        row = self.read.one("SELECT coalesce(sum(quantity), 0) AS q FROM {schema}.second_invoice_lines"
                            " WHERE first_invoice_id = %s AND gtin = %s AND lot = %s", (invoice_id, gtin, lot))
        return int(row["q"])  # type: ignore[index]

    def journal(self, start: date, end: date) -> list[dict]:
        return self.read.all("SELECT j.*, p.name AS customer_name FROM {schema}.ar_journal j"
                             " LEFT JOIN {schema}.known_parties p ON p.party_id = j.customer_id"
                             " WHERE j.on_date BETWEEN %s AND %s ORDER BY j.on_date, j.entry_id, j.line_no"
                             " LIMIT 2000000", (start, end))


def customer_aging(read: ReadModels, customer_id: UUID, currency: str, as_of: date, bounds: list[int],
                   by: str = "due") -> dict[str, Decimal]:
    """The customer's open amounts per bucket as of the day, and its unapplied cash (negative), adding up to its
    balance then."""
    since = "i.due_on" if by == "due" else "i.issued_on"
    rows = read.all(f"SELECT {since} AS since, sum(e.open_delta) AS open, {_DISPUTED} AS disputed"
                    f" FROM {_OPEN_AS_OF} AND i.customer_id = %s GROUP BY i.invoice_id, since"
                    " HAVING sum(e.open_delta) <> 0", (as_of, currency, as_of, as_of, customer_id))
    unapplied = read.one("SELECT coalesce(sum(unapplied_delta), 0) AS u FROM {schema}.ar_entries"
                         " WHERE customer_id = %s AND currency = %s AND on_date <= %s",
                         (customer_id, currency, as_of))["u"]  # type: ignore[index]
    disputed = sum((r["open"] for r in rows if r["disputed"]), Decimal("0.00"))
    return {**aged(((r["since"], r["open"]) for r in rows if not r["disputed"]), as_of, bounds, disputed),
            "unapplied": -Decimal(unapplied)}


# Whether an invoice is disputed now (a statement line about it open): its open amount goes to the `disputed` bucket.
_DISPUTED = ("EXISTS (SELECT 1 FROM {schema}.ar_disputes d WHERE d.document_id = i.invoice_id"
             " AND d.status = 'open')")
# The invoices that may be open as of a day (%s: the day, the currency, the day, the day) with their movements to that
# day: those issued by then and open now, or moved after it (one closed with nothing after the day was closed then).
_OPEN_AS_OF = ("{schema}.ar_invoices i JOIN {schema}.ar_entries e ON e.invoice_id = i.invoice_id AND e.on_date <= %s"
               " WHERE i.currency = %s AND i.issued_on <= %s"
               " AND (i.open <> 0 OR i.last_moved_on IS NULL OR i.last_moved_on > %s)")


_PARTIES = " LEFT JOIN {schema}.known_parties p ON p.party_id = i.customer_id"


def customer_balance(read: ReadModels, customer_id: UUID, currency: str, as_of: date) -> Decimal:
    row = read.one("SELECT coalesce(sum(balance_delta), 0) AS b FROM {schema}.ar_entries WHERE customer_id = %s"
                   " AND currency = %s AND on_date <= %s", (customer_id, currency, as_of))
    return Decimal(row["b"])  # type: ignore[index]


def aging_report(read: ReadModels, as_of: date, bounds: list[int], by: str, group: str, scope: DataScope,
                 currency: str) -> list[dict]:
    """Open amounts per bucket as of the day, grouped by customer, region or channel (direct: the hospital is
    billed; distributor: a distributor is), within the caller's scope, largest first. Each group's buckets add up to
    its open invoices (unapplied cash is per customer: `GET /customers/{id}/account`).

    The invoices open on the day are the spans of ar_open_spans containing it (projections/receivables.py: each
    span carries its invoice's customer, dates and distributor); PostgreSQL buckets them with the domain's own
    buckets (`bucket_case`), so that only groups come back."""
    since = "i.due_on" if by == "due" else "i.issued_on"
    key = {"customer": "i.customer_id", "region": "coalesce(p.region, '')",
           "channel": "CASE WHEN i.bill_to_distributor_id IS NULL THEN 'direct' ELSE 'distributor' END"}[group]
    condition = scope.condition(hospital="CASE WHEN i.bill_to_distributor_id IS NULL THEN i.customer_id END",
                                distributor="i.bill_to_distributor_id", region="p.region")
    where = " AND ".join(["TRUE", *condition])
    args = [as_of, as_of, currency, as_of, *(arg for value in condition.values() for arg in value)]  # type: ignore
    rows = read.report(
        f"SELECT key, max(name) AS name, CASE WHEN disputed THEN '{DISPUTED}' ELSE {bucket_case('days', bounds)} END"
        f" AS bucket, sum(open) AS open FROM (SELECT {key} AS key, p.name, %s::date - {since} AS days,"
        f" {_DISPUTED} AS disputed, i.open FROM {{schema}}.ar_open_spans i {_PARTIES}"
        f" WHERE daterange(i.valid_from, i.valid_to) @> %s::date AND i.open <> 0 AND i.currency = %s"
        f" AND i.issued_on <= %s AND {where}) open_then GROUP BY 1, 3",
        tuple(args))
    groups: dict[str, dict] = {}
    for row in rows:
        entry = groups.setdefault(str(row["key"]), {
            "key": str(row["key"]), "name": row["name"] if group == "customer" else None,
            "buckets": aged((), as_of, bounds)})
        entry["buckets"][row["bucket"]] += row["open"]
    for entry in groups.values():
        entry["total"] = sum(entry["buckets"].values(), Decimal("0.00"))
    return sorted(groups.values(), key=lambda g: -g["total"])


def bucket_case(days: str, bounds: list[int]) -> str:
    """SQL naming the bucket of an item `days` (an SQL expression) past due or old, as `aging.bucket_of` does:
    the same labels, the same edges (tests/integration/test_receivables.py holds them equal day by day)."""
    labels = bucket_labels(bounds)
    whens = " ".join(f"WHEN {days} <= {int(high)} THEN '{label}'" for label, high in zip(labels, bounds, strict=False))
    return f"CASE WHEN {days} < 0 THEN '{NOT_DUE}' {whens} ELSE '{labels[-1]}' END"


def credit_sales(read: ReadModels, customer_id: UUID | None, currency: str, start: date, end: date) -> Decimal:
    """Invoiced less credited, from start to end (a customer's, or everyone's)."""
    row = read.one("SELECT coalesce(sum(balance_delta), 0) AS s FROM {schema}.ar_entries WHERE currency = %s"
                   " AND kind IN ('invoice', 'credit_note') AND on_date BETWEEN %s AND %s"
                   + (" AND customer_id = %s" if customer_id else ""),
                   (currency, start, end, *([customer_id] if customer_id else [])))
    return Decimal(row["s"])  # type: ignore[index]


def total_receivable(read: ReadModels, currency: str, as_of: date) -> Decimal:
    row = read.one("SELECT coalesce(sum(balance_delta), 0) AS b FROM {schema}.ar_entries WHERE currency = %s"
                   " AND on_date <= %s", (currency, as_of))
    return Decimal(row["b"])  # type: ignore[index]


def dunning(read: ReadModels, today: date, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """Overdue open invoices, most overdue first, none with an open dispute, with whom to call."""
    return read.page("{schema}.ar_invoices i LEFT JOIN {schema}.known_parties p ON p.party_id = i.customer_id",
                     paging, columns="i.invoice_id, i.number, i.customer_id, p.name AS customer_name,"
                                     " p.contact, i.issued_on, i.due_on, i.gross, i.open",
                     order_by="i.due_on, i.number", where={
                         "i.open > 0 AND i.due_on < %s": today,
                         f"NOT EXISTS (SELECT 1 FROM {read.table('ar_disputes')} d WHERE d.document_id = i.invoice_id"
                         " AND d.status = 'open') AND TRUE = %s": True,
                         **scope.condition(hospital="CASE WHEN i.bill_to_distributor_id IS NULL THEN i.customer_id"
                                                    " END", distributor="i.bill_to_distributor_id",
                                           region="p.region")})


def customer_within(read: ReadModels, scope: DataScope, customer_id: UUID, what: str = "Customer",
                    key: object = None) -> None:
    """Refuse (404) a customer, or a document of one, outside the caller's scope."""
    if scope.everything:
        return
    row = read.one("SELECT kind, region FROM {schema}.known_parties WHERE party_id = %s", (customer_id,))
    regions = [row["region"]] if row and row["region"] else []
    if row is not None and row["kind"] == "distributor":
        scope.require(what, key or customer_id, distributors=[customer_id], regions=regions)
    else:
        scope.require(what, key or customer_id, hospitals=[customer_id], regions=regions)


def payments(read: ReadModels, customer_id: UUID | None, unapplied: bool | None, scope: DataScope,
             paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.ar_payments a LEFT JOIN {schema}.known_parties p ON p.party_id = a.customer_id",
                     paging, columns="a.payment_id, a.customer_id, p.name AS customer_name, a.currency, a.booked,"
                                     " a.allocated, CASE WHEN a.reversed THEN 0 ELSE a.booked - a.allocated END"
                                     " AS unapplied, a.bank_reference, a.payer, a.received_on, a.reversed",
                     order_by="a.received_on DESC, a.payment_id", where={
                         "a.customer_id = %s": customer_id,
                         "(NOT a.reversed AND a.booked > a.allocated) = %s": unapplied,
                         **_customer_scope(scope, "a.customer_id")})


# A statement's status as the domain names it (domain/statement.py `Statement.status`).
_STATEMENT_STATUS = ("CASE WHEN s.confirmed_by IS NOT NULL THEN 'confirmed'"
                     " WHEN EXISTS (SELECT 1 FROM {disputes} d WHERE d.statement_id = s.statement_id"
                     " AND d.status = 'open') THEN 'disputed'"
                     " WHEN EXISTS (SELECT 1 FROM {disputes} d WHERE d.statement_id = s.statement_id) THEN 'resolved'"
                     " ELSE 'sent' END")


def statements(read: ReadModels, customer_id: UUID | None, status: str | None, scope: DataScope,
               paging: PageRequest) -> tuple[list[dict], int]:
    """Issued statements, the newest period first, of customers within the caller's scope, with open disputes
    counted: finance's follow-up list and a portal user's own statements to answer."""
    state = _STATEMENT_STATUS.format(disputes=read.table("ar_disputes"))
    return read.page("{schema}.ar_statements s LEFT JOIN {schema}.known_parties p ON p.party_id = s.customer_id",
                     paging, columns=f"s.statement_id, s.customer_id, p.name AS customer_name, s.period_start,"
                                     f" s.period_end, s.closing_balance, s.lines, s.confirmed_by, s.issued_at,"
                                     f" {state} AS status, (SELECT count(*) FROM {read.table('ar_disputes')} d"
                                     f" WHERE d.statement_id = s.statement_id AND d.status = 'open') AS open_disputes",
                     order_by="s.period_end DESC, s.issued_at DESC, s.statement_id", where={
                         "s.customer_id = %s": customer_id, f"{state} = %s": status,
                         **_customer_scope(scope, "s.customer_id")})


def _customer_scope(scope: DataScope, column: str) -> dict[str, object]:
    """A customer column within the caller's scope: the customer is a hospital or a distributor the scope names, or
    in a region it names."""
    return scope.condition(hospital=column, distributor=column, region="p.region")


def chain_of(read: ReadModels, invoice_id: UUID) -> list[dict]:
    """The second invoices citing the invoice, line by line."""
    return read.all("SELECT s.second_invoice_id, s.distributor_id, s.number, s.hospital_id, h.name AS hospital_name,"
                    " s.issued_on, s.province, s.rule_applies, l.line_no, l.gtin, l.lot, l.quantity, l.flag"
                    " FROM {schema}.second_invoice_lines l JOIN {schema}.second_invoices s USING (second_invoice_id)"
                    " LEFT JOIN {schema}.known_parties h ON h.party_id = s.hospital_id"
                    " WHERE l.first_invoice_id = %s ORDER BY s.issued_on, s.number, l.line_no LIMIT 5000",
                    (invoice_id,))


def second_invoices(read: ReadModels, flagged: bool | None, province: str | None, distributor_id: UUID | None,
                    scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.second_invoices s LEFT JOIN {schema}.known_parties d ON d.party_id = s.distributor_id"
                     " LEFT JOIN {schema}.known_parties h ON h.party_id = s.hospital_id", paging,
                     columns="s.*, d.name AS distributor_name, h.name AS hospital_name",
                     order_by="s.issued_on DESC, s.number", where={
                         "s.flagged = %s": flagged, "s.province = %s": province,
                         "s.distributor_id = %s": distributor_id,
                         **scope.condition(distributor="s.distributor_id", region="d.region")})


def bank_lines(read: ReadModels, matched: bool | None, statement_id: UUID | None, paging: PageRequest,
               ) -> tuple[list[dict], int]:
    """Imported bank lines across statements, oldest first: with matched=false, the review queue."""
    return read.page("{schema}.bank_lines b LEFT JOIN {schema}.known_parties p ON p.party_id = b.customer_id",
                     paging, columns="b.*, p.name AS customer_name",
                     order_by="b.on_date, b.imported_at, b.statement_id, b.line_no", where={
                         "(b.customer_id IS NOT NULL) = %s": matched, "b.statement_id = %s": statement_id})


def bank_statements(read: ReadModels, paging: PageRequest) -> tuple[list[dict], int]:
    """The statements imported, newest first, each with its lines, amount and what still waits for review."""
    return read.page("(SELECT statement_id, min(filename) AS filename, min(imported_at) AS imported_at,"
                     " min(on_date) AS first_day, max(on_date) AS last_day, count(*) AS lines, sum(amount) AS amount,"
                     " count(*) FILTER (WHERE customer_id IS NULL) AS unmatched FROM {schema}.bank_lines"
                     " GROUP BY statement_id) s", paging, order_by="s.imported_at DESC, s.statement_id", where={})
