"""Bank statements (银行流水) imported to record payments: each credit line is matched to a customer — by an invoice
number in its memo (then it pays those invoices first), else by the payer's name being a customer's — and becomes a
payment allocated to that customer's invoices; a line matched to nobody waits in a review queue until finance
names the customer. Reading the file (CSV or xlsx, bounded by shared/domain/workbook.py) answers bad rows by row,
field and rule; only valid rows are kept. Pure."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.domain.workbook import (
    UnreadableFile, cell_of, csv_rows, file_format, header_columns, too_many_rows, xlsx_rows,
)
from shared.platform.aggregate import TracedAggregate

MAX_LINES = 5000
MAX_AMOUNT = Decimal("9999999999999.99")
INVOICE_NUMBER = re.compile(r"INV-\d{4}-\d{6}")
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "交易日期", "记账日期", "日期"),
    "amount": ("amount", "金额", "贷方金额", "收入金额", "贷方发生额"),
    "payer": ("payer", "付款人", "对方户名", "付款人名称", "对方账户名称"),
    "memo": ("memo", "摘要", "附言", "用途", "备注"),
    "bank_reference": ("bank_reference", "流水号", "交易流水号", "银行流水号"),
}
REQUIRED = ("date", "amount", "payer", "bank_reference")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    rule: str
    detail: str


def payment_id_for(bank_reference: str) -> UUID:
    """One payment per bank transaction, however often the statement is imported."""
    return uuid5(NAMESPACE_URL, f"erp:bank-payment:{bank_reference}")


def statement_id_for(digest: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:bank-statement:{digest}")


def normalized_name(name: str) -> str:
    """Full-width to half-width, brackets alike, no blanks: 浙江省人民医院（东院） meets 浙江省人民医院(东院)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


def parse_bank_file(filename: str | None, content: bytes) -> tuple[list[dict[str, Any]], list[RowError]]:
    kind = file_format(filename, content)
    rows = xlsx_rows(content, MAX_LINES) if kind == "xlsx" else csv_rows(content, MAX_LINES)
    if not rows:
        raise UnreadableFile("header-row", "the file is empty: the first row names the columns")
    columns = header_columns(rows[0], COLUMNS)
    if missing := [c for c in REQUIRED if c not in columns]:
        raise UnreadableFile("header-row", "the first row must name the columns date, amount, payer and"
                             f" bank_reference (or 交易日期, 金额, 付款人, 流水号); missing: {', '.join(missing)}")
    if len(rows) - 1 > MAX_LINES:
        raise too_many_rows(MAX_LINES)
    lines, errors, seen = [], [], set()
    for row_no, row in enumerate(rows[1:], start=2):
        cells = {name: cell_of(row, index) for name, index in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        line, found = _line(row_no, cells)
        if line is not None and line["bank_reference"] in seen:
            found = [RowError(row_no, "bank_reference", "bank-reference-unique", "the same transaction twice")]
        errors.extend(found)
        if not found:
            seen.add(line["bank_reference"])
            lines.append(line)
    return lines, errors


def _line(row: int, cells: dict[str, Any]) -> tuple[dict[str, Any] | None, list[RowError]]:
    errors = []
    on = _date(cells["date"])
    if on is None:
        errors.append(RowError(row, "date", "date", "a date such as 2026-11-30"))
    try:
        amount = Decimal(str(cells["amount"]).replace(",", "")).quantize(Decimal("0.01"))
        if not Decimal(0) < amount <= MAX_AMOUNT:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append(RowError(row, "amount", "amount-positive", "money received: above 0, at most 2 decimals"))
        amount = None
    texts = {}
    for name, limit in (("payer", 200), ("memo", 500), ("bank_reference", 100)):
        value = "" if cells.get(name) is None else str(cells[name]).strip()
        if any(unicodedata.category(c) in ("Cc", "Cf") for c in value) or len(value) > limit:
            errors.append(RowError(row, name, "plain-text", f"one line of at most {limit} printable characters"))
        elif not value and name != "memo":
            errors.append(RowError(row, name, "required", f"the {name} is missing"))
        texts[name] = value
    if errors:
        return None, errors
    return {"row": row, "on": on, "amount": amount, **texts}, []


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        try:
            return date(*map(int, compact.groups())) if compact else None
        except ValueError:
            return None


def invoice_numbers_in(memo: str) -> list[str]:
    return list(dict.fromkeys(INVOICE_NUMBER.findall(memo.upper())))


class BankStatement(TracedAggregate):
    @event("Imported")
    def __init__(self, digest: str, filename: str, lines: list[dict[str, Any]]) -> None:
        self.digest, self.filename, self.lines = digest, filename, lines

    @staticmethod
    def create_id(digest: str) -> UUID:
        return statement_id_for(digest)

    @classmethod
    def import_lines(cls, digest: str, filename: str, lines: list[dict[str, Any]]) -> "BankStatement":
        numbered = [{**line, "line_no": n} for n, line in enumerate(lines, start=1)]
        return cls(digest=digest, filename=filename[:200], lines=numbered)

    def match(self, line_no: int, customer_id: UUID) -> bool:
        """Finance names the customer of a line nobody matched; False when it is matched to it already."""
        if not 1 <= line_no <= len(self.lines):
            raise RuleViolation("bank-line", f"the statement has lines 1 to {len(self.lines)}, not {line_no}",
                                "line_no")
        line = self.lines[line_no - 1]
        if line.get("customer_id") is not None:
            if str(line["customer_id"]) == str(customer_id):
                return False
            raise RuleViolation("bank-line-matched", f"line {line_no} is matched to {line['customer_id']} already",
                                "line_no")
        self._matched(line_no=line_no, customer_id=customer_id)
        return True

    @event("LineMatched")
    def _matched(self, line_no: int, customer_id: UUID) -> None:
        self.lines = [{**line, "customer_id": customer_id, "matched_by": "review"} if line["line_no"] == line_no
                      else line for line in self.lines]
