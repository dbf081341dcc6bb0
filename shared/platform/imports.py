"""Importing a company's existing records (master data, stock, history) from a CSV or .xlsx file, with provenance.

The mechanics exist once, here; each service declares the kinds it owns (`ImportKind`, in services/<s>/imports.py,
listed in its ServiceDefinition's `imports`): the columns of the file and how one row becomes the service's own
commands, run through the same handlers as its API, so no rule is written twice.

- The file is read within the bounds every upload has (shared/domain/workbook.py); its first row names the columns
  (by the layout's name or an alias, without case and blanks); rows are numbered as the spreadsheet numbers them
  (the header is row 1), blank rows skipped.
- A dry run applies every row to a unit of work that is never saved: each row sees what the rows before it would
  have stored (a GTIN twice with different data is refused on the second), and every row's errors come back
  (row, column, rule). Nothing is stored.
- A real run applies the rows in the same way and saves them 200 at a time, each chunk in one transaction (a row's
  several commands are stored together or not at all); a refused row stores nothing and the others go on. A chunk
  that cannot be saved (a concurrent writer took a unique value) is applied again row by row.
- Provenance: every event a row stores records the person importing (`actor`), correlation id `import:<sha256 of
  the file>`, causation id `import:<sha256>:row:<n>`, and reason `import <kind> row <n> of <file name>
  (sha256 <hash>)` — the event metadata every event already carries, which the auditor's
  `GET /audit/aggregates/{id}/history` and `erp events show --correlation import:<sha256>` show.
- Re-importing is a no-op: each kind finds its records by their natural key (a GTIN, a hospital's name, a supplier's
  credit code) or an id derived from the file's hash and row, and its handlers record nothing for what is unchanged.

Grouped rows: a kind may declare `group_by`, a column whose value makes one record of several rows (an order and
its lines, one line a row, as every ERP's migration template lays them out). The rows sharing a value are one group,
wherever they are in the file (in the order of its first row), and the kind's `apply_group(rows, uow)` gets them
together:
- a group is stored whole or not at all: it is never split across chunks (a chunk closes before a group that would
  overflow it, so a chunk may hold more than 200 rows only when one group does), and a refused group leaves nothing;
- when a group is refused every row of it is reported: the row that refused it with its column and rule (a kind
  says which row by `RowError(..., row=n)`; otherwise its first row), each other row with the rule `group-refused`
  naming that row;
- a row without the group's value, and a group of more than MAX_GROUP_ROWS rows, are refused the same way;
- created, changed and unchanged count groups (`rows` still counts rows); the scope and permission checks run for
  every row of the group;
- provenance: the group's events carry the causation id of its first row and the reason names all its rows
  (`import <kind> rows 5, 9 of <file name> (sha256 <hash>)`).
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ValidationError

from shared.domain.rules import RuleViolation
from shared.domain.workbook import UnreadableFile, cell_of, csv_rows, file_format, xlsx_rows
from shared.platform.context import acting_as
from shared.platform.eventstore import IntegrityError
from shared.platform.unit_of_work import UnitOfWork

MAX_IMPORT_ROWS = 10_000  # per file, as every upload (workbook.py's cell bound holds xlsx files to it as well)
CHUNK_ROWS = 200  # rows saved per transaction on a real run
# Rows of one record of a grouped kind (an order's lines): bounded so that a group fits one transaction and one
# command (an order takes at most 200 lines); more is that group's error.
MAX_GROUP_ROWS = 500
Outcome = Literal["created", "changed", "unchanged"]


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    required: bool = False
    aliases: tuple[str, ...] = ()  # other header names read as this column (e.g. the Chinese one)
    example: str = ""


class RowError(Exception):
    """A row refused before any handler ran: a column missing or unreadable (`others`: more of the same row).
    `row`: in a group, the number of the row it concerns (None: the group's first row)."""

    def __init__(self, column: str | None, rule: str, message: str,
                 others: tuple[tuple[str | None, str, str], ...] = (), row: int | None = None) -> None:
        super().__init__(message)
        self.column, self.rule, self.message, self.others, self.row = column, rule, message, others, row


@dataclass(frozen=True)
class ImportRow:
    number: int  # the spreadsheet's row number (the header is row 1)
    values: dict[str, str]  # column -> its text; blank cells absent
    sha256: str  # the file's

    def get(self, column: str) -> str | None:
        return self.values.get(column)

    def key(self, *parts: str) -> UUID:
        """An id derived from the file and this row: the same row of the same file always gets the same one."""
        return uuid5(NAMESPACE_URL, f"urn:erp-md:import:{self.sha256}:{self.number}:{':'.join(parts)}")


@dataclass(frozen=True)
class ImportKind:
    name: str
    service: str
    permission: str  # an existing permission: the one the kind's own API commands need
    scope: str  # the data scope of that permission's routes (shared/platform/access.py)
    columns: tuple[Column, ...]
    # Applies one row through the service's command handlers and says what it did; raises RowError or the
    # handlers' RuleViolation (InvalidReference, NotFound) when the row is refused.
    apply: Callable[[ImportRow, UnitOfWork], Outcome] | None = None
    description: str = ""
    # A further permission a row needs beside the kind's (opening stock released at once: quality's
    # `quality:inspect`), or None; checked on API calls (the command line's operator runs as the services do).
    row_permission: Callable[[ImportRow], str | None] | None = None
    # The API model's field -> the file's column, where they differ (so that an error names the column).
    field_columns: dict[str, str] = field(default_factory=dict, hash=False)
    # Grouped kinds (see the module's description): the column whose value makes one record of several rows, and
    # what applies a group's rows (in file order) together, instead of `apply`.
    group_by: str | None = None
    apply_group: Callable[[list[ImportRow], UnitOfWork], Outcome] | None = None

    def __post_init__(self) -> None:
        single = self.apply is not None and self.group_by is None and self.apply_group is None
        grouped = self.apply is None and self.group_by is not None and self.apply_group is not None
        if not (single or grouped):
            raise ValueError(f"import kind {self.name}: give apply, or group_by with apply_group")

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def template_csv(self) -> bytes:
        """The header row (and an example row) as CSV, UTF-8 with a byte-order mark so that Excel reads Chinese."""
        from shared.platform.tabular import csv_bytes

        return csv_bytes(self.header, [[c.example for c in self.columns]])


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    rule: str
    message: str


@dataclass
class ImportReport:
    kind: str
    filename: str
    sha256: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowProblem] = field(default_factory=list)

    @property
    def rows_refused(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def correlation_id(self) -> str:
        return correlation_of(self.sha256)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "filename": self.filename, "sha256": self.sha256, "dry_run": self.dry_run,
                "correlation_id": self.correlation_id, "rows": self.rows, "created": self.created,
                "changed": self.changed, "unchanged": self.unchanged, "rows_refused": self.rows_refused,
                "errors": [e.__dict__ for e in self.errors]}


def correlation_of(sha256: str) -> str:
    return f"import:{sha256}"


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


_BLANKS = re.compile(r"\s+")


def _header_name(value: Any) -> str:
    return _BLANKS.sub("", str(value)).lower() if value is not None else ""


def _text(value: Any) -> str | None:
    """A cell as the text a command would get: dates as ISO dates, whole numbers without a decimal point."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value).strip()
    return text or None


def read_rows(kind: ImportKind, filename: str | None, content: bytes,
              max_rows: int = MAX_IMPORT_ROWS) -> list[ImportRow]:
    """The file's rows as text by column. A file that cannot be read, or whose header lacks a required column, is
    refused as a whole (UnreadableFile, answered 422 naming `file`)."""
    sha = file_sha256(content)
    # A workbook of several sheets (a migration workbook) is read at the sheet titled after the kind.
    raw = (xlsx_rows(content, max_rows, sheet=kind.name) if file_format(filename, content) == "xlsx"
           else csv_rows(content, max_rows))
    if not raw:
        raise UnreadableFile("header-row", "the file is empty: its first row names the columns")
    names = [_header_name(h) for h in raw[0]]
    index: dict[str, int] = {}
    for column in kind.columns:
        for alias in (column.name, *column.aliases):
            if _header_name(alias) in names:
                index[column.name] = names.index(_header_name(alias))
                break
    missing = [c.name for c in kind.columns if c.required and c.name not in index]
    if missing:
        raise UnreadableFile("header-row", f"the first row must name the column(s) {', '.join(missing)}"
                                           f" (the {kind.name} layout: {', '.join(kind.header)})")
    rows = []
    for offset, row in enumerate(raw[1:], start=2):
        values = {name: text for name, i in index.items() if (text := _text(cell_of(row, i))) is not None}
        if values:
            rows.append(ImportRow(offset, values, sha))
    return rows


def problems_of(row: int, error: Exception, columns: dict[str, str] | None = None) -> list[RowProblem]:
    """What refused a row, by column: a RowError, a rule of a handler, or the API model's validation."""
    columns = columns or {}
    if isinstance(error, RowError):
        return [RowProblem(row, column, rule, message)
                for column, rule, message in ((error.column, error.rule, error.message), *error.others)]
    if isinstance(error, RuleViolation):
        field_name = error.field or ""
        # A handler's field for one element of a list is the list's column (lines[0].serials[3]: serials).
        column = columns.get(field_name) or columns.get(re.sub(r"\[\d+\]$", "", field_name)) or error.field
        return [RowProblem(row, column, error.rule, error.detail)]
    if isinstance(error, IntegrityError):
        return [RowProblem(row, None, "concurrent-change", "another change to the same record was stored meanwhile:"
                                                           " import the file again")]
    raise error


def validated(model: type[BaseModel], data: dict[str, Any], columns: dict[str, str] | None = None) -> Any:
    """The row's values through the API's own input model (the same field rules as a request body), by the model's
    field names; refused with every error of the model, each naming the file's column (`columns`: field -> column
    where they differ)."""
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as error:
        found = []
        for e in error.errors():
            loc = ".".join(str(p) for p in e["loc"])
            column = (columns or {}).get(loc) or (columns or {}).get(loc.split(".")[0]) or loc or None
            found.append((column, e["type"].replace("_", "-"), e["msg"]))
        raise RowError(*found[0], others=tuple(found[1:])) from None


def run_import(kind: ImportKind, filename: str, content: bytes, actor: str,
               new_uow: Callable[[bool], UnitOfWork], *, dry_run: bool,
               check: Callable[[ImportRow, UnitOfWork], None] | None = None,
               progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK_ROWS) -> ImportReport:
    """Read the file and apply every row, or every group of rows (see the module's description). `new_uow(deferred)`
    builds the service's unit of work; `check(row, uow)` refuses a row outside the caller's data scope or
    permissions; `progress(done, total)` in rows, after each row or group.

    A real run saves the rows `chunk` at a time in one transaction (a row that refuses leaves nothing in it; a group
    is never split); when a chunk cannot be saved (another writer claimed a value meanwhile) its rows, or groups, are
    applied again one by one, each in a transaction of its own, so that one conflict refuses that row (group) alone."""
    rows = read_rows(kind, filename, content)
    report = ImportReport(kind.name, filename, file_sha256(content), dry_run, rows=len(rows))
    uow = new_uow(True)  # deferred: a dry run never flushes it
    applied: list[tuple[list[ImportRow], Outcome]] = []  # this chunk's rows (groups), not yet saved

    def save_chunk() -> None:
        nonlocal uow
        if not applied:
            return
        try:
            uow.flush()
        except IntegrityError:
            uow = new_uow(True)
            for unit, _ in applied:
                one = new_uow(True)
                outcome = _apply(kind, unit, one, actor, filename, report, check)
                if outcome is not None:
                    try:
                        one.flush()
                    except IntegrityError as error:
                        report.errors.extend(_refused(kind, unit, unit[0].number, error))
                        continue
                    _count(report, outcome)
        else:
            for _, outcome in applied:
                _count(report, outcome)
        applied.clear()

    done = 0
    for unit in _units(kind, rows, report):
        if not dry_run and applied and sum(len(u) for u, _ in applied) + len(unit) > chunk:
            save_chunk()  # a group is never split: the chunk closes before it
        outcome = _apply(kind, unit, uow, actor, filename, report, check)
        if outcome is not None:
            if dry_run:
                _count(report, outcome)
            else:
                applied.append((unit, outcome))
                if sum(len(u) for u, _ in applied) >= chunk:
                    save_chunk()
        done += len(unit)
        if progress is not None:
            progress(done, len(rows))
    if not dry_run:
        save_chunk()
    report.errors.sort(key=lambda e: e.row)
    return report


def _units(kind: ImportKind, rows: list[ImportRow], report: ImportReport) -> list[list[ImportRow]]:
    """What is applied together: each row alone, or a grouped kind's groups (by the first row of each), the rows of
    a group in file order. A row without the group's value, or a group too large, is refused here."""
    if kind.group_by is None:
        return [[row] for row in rows]
    groups: dict[str, list[ImportRow]] = {}
    for row in rows:
        key = row.get(kind.group_by)
        if key is None:
            report.errors.append(RowProblem(row.number, kind.group_by, "missing", f"name the record this row belongs"
                                                                                  f" to ({kind.group_by})"))
            continue
        groups.setdefault(key, []).append(row)
    units = []
    for key, group in groups.items():
        if len(group) > MAX_GROUP_ROWS:
            report.errors.extend(_refused(kind, group, group[0].number, RowError(
                kind.group_by, "max-group-rows", f"{kind.group_by} {key} has {len(group)} rows: a record is at most"
                                                 f" {MAX_GROUP_ROWS} rows")))
        else:
            units.append(group)
    return units


def _apply(kind: ImportKind, unit: list[ImportRow], uow: UnitOfWork, actor: str, filename: str,
           report: ImportReport, check: Callable[[ImportRow, UnitOfWork], None] | None) -> Outcome | None:
    """One row (or group) through the kind's handlers in the (deferred) unit of work, as the person importing, its
    events carrying the batch; None, and its problems in the report, when it is refused (it then leaves nothing
    behind)."""
    mark = uow.mark()
    first = unit[0]
    numbers = ", ".join(str(row.number) for row in unit)
    with acting_as(actor, correlation_id=report.correlation_id,
                   causation_id=f"{report.correlation_id}:row:{first.number}",
                   reason=f"import {kind.name} row{'s' if len(unit) > 1 else ''} {numbers} of {filename}"
                          f" (sha256 {report.sha256})"):
        row = first  # the row a refusal concerns, unless it says another
        try:
            if check is not None:
                for row in unit:
                    check(row, uow)
                row = first
            if kind.apply_group is not None:
                return kind.apply_group(unit, uow)
            assert kind.apply is not None  # noqa: S101 - ImportKind holds one of the two
            return kind.apply(first, uow)
        except (RowError, RuleViolation) as error:
            uow.restore(mark)
            report.errors.extend(_refused(kind, unit, getattr(error, "row", None) or row.number, error))
            return None


def _refused(kind: ImportKind, unit: list[ImportRow], offending: int, error: Exception) -> list[RowProblem]:
    """The problems of a refused row, or of a refused group: those of the row that refused it, and each other row
    refused with it (a group is stored whole or not at all)."""
    found = problems_of(offending, error, kind.field_columns)
    key = unit[0].get(kind.group_by) if kind.group_by else None
    return found + [RowProblem(row.number, None, "group-refused", f"refused with row {offending}: {kind.group_by}"
                                                                  f" {key} is imported whole or not at all")
                    for row in unit if row.number != offending]


def _count(report: ImportReport, outcome: Outcome) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)
